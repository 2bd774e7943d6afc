"""Running a user's own model code: import their file, find their class, build it with their arguments.

The file is Python code, so it runs only where the user consented (naming it with `--model-code`, or saying yes in
the window, once per file content). Each import gets a fresh module name, so two files called `model.py` (or one
file changed between two opens) never share a module. Everything that goes wrong inside the user's code comes out
as OwnCodeError carrying their traceback: it is their code, and the traceback is what they need to fix it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import sys
import traceback
import types
from pathlib import Path

from torch import nn

from core.settings import ModelSource

#: The largest code file read: a model definition is a few KB; anything this large is not one.
MAX_CODE_BYTES = 8 << 20
_counter = itertools.count()


class OwnCodeError(Exception):
    """The user's code could not be loaded or run; `details` holds the traceback from inside their code, if any."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details

    def full(self) -> str:
        """The message, then the traceback from the user's code (what the command line prints)."""
        return f"{self}\n{self.details}".rstrip()


def parse_model_code(text: str) -> tuple[Path, str]:
    """`FILE.py:Class` to (path, class name); ValueError saying what the form is."""
    path, sep, name = text.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise ValueError(f"--model-code takes FILE.py:Class (e.g. mymodel.py:AutoEncoder), got {text!r}")
    return Path(path).expanduser(), name


def parse_model_args(text: str | None) -> str:
    """--model-args JSON (an object of keyword arguments) to canonical JSON; ValueError naming what is wrong."""
    if text is None or not text.strip():
        return "{}"
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValueError(f"--model-args must be a JSON object such as '{{\"latent\": 2}}' ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"--model-args must be a JSON object of keyword arguments, got {type(value).__name__}")
    return json.dumps(value, sort_keys=True)


def read_code(path: Path) -> bytes:
    """The file's bytes (a regular file, bounded): what is hashed is exactly what is run."""
    if not path.exists():
        raise OwnCodeError(f"the model code {path} does not exist")
    if not path.is_file():
        raise OwnCodeError(f"the model code {path} is not a regular file")
    size = path.stat().st_size
    if size > MAX_CODE_BYTES:
        raise OwnCodeError(f"the model code {path} is {size:,} bytes; a model definition is far smaller")
    return path.read_bytes()


def code_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes: the trust record (a changed file is asked about again)."""
    return hashlib.sha256(read_code(path)).hexdigest()


def source_of(path: Path, class_name: str, args_json: str = "{}", **ranges) -> ModelSource:
    """A ModelSource for the file as it is now (its absolute path and hash)."""
    path = path.resolve()
    return ModelSource(str(path), class_name, args_json, code_sha256(path), **ranges)


def _user_traceback(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def import_class(source: ModelSource) -> type[nn.Module]:
    """Import the source's file (checked against its recorded SHA-256) and return its class, an nn.Module subclass."""
    path = Path(source.path)
    code = read_code(path)
    digest = hashlib.sha256(code).hexdigest()
    if source.sha256 and digest != source.sha256:
        raise OwnCodeError(
            f"the model code {path} has changed since this model was saved (SHA-256 {source.sha256[:12]}…, now "
            f"{digest[:12]}…): it needs the file as it was, or open the weights again with --model-code "
            f"{path}:{source.class_name} to trust the file as it is now"
        )
    cached = _IMPORTED.get((str(path), digest))
    module = cached if cached is not None else _run_file(path, code)
    _IMPORTED[(str(path), digest)] = module
    return _class_in(module, source, path)


#: Files already imported, by (path, SHA-256 of their bytes): one import per file content, not one per model built
#: (a run builds its module several times: training, a reference for the checkpoint's shapes, each reopen).
_IMPORTED: dict[tuple[str, str], types.ModuleType] = {}


def _run_file(path: Path, code: bytes) -> types.ModuleType:
    name = f"convae_own_model_{next(_counter)}"
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses and pickling of the user's classes look their module up here
    try:
        exec(compile(code, str(path), "exec"), module.__dict__)  # the bytes hashed above, not a re-read of the file
    except BaseException as error:  # their code: any exception (a SystemExit too) is theirs to see
        sys.modules.pop(name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise OwnCodeError(f"importing {path} raised {type(error).__name__}: {error}", _user_traceback(error)) from None
    return module


def _class_in(module: types.ModuleType, source: ModelSource, path: Path) -> type[nn.Module]:
    name = module.__name__
    found = module.__dict__.get(source.class_name)
    if found is None:
        classes = sorted(
            n
            for n, v in module.__dict__.items()
            if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == name
        )
        hint = f"; its nn.Module classes: {', '.join(classes)}" if classes else "; it defines no nn.Module class"
        raise OwnCodeError(f"{path} has no class {source.class_name}{hint}")
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise OwnCodeError(
            f"{source.class_name} in {path} is not a torch.nn.Module class (it is {type(found).__name__}); "
            "name a class that subclasses nn.Module and has encode(x) and decode(z)"
        )
    missing = [method for method in ("encode", "decode") if not callable(getattr(found, method, None))]
    if missing:
        raise OwnCodeError(f"{source.class_name} in {path} has no {' and no '.join(missing)} method")
    return found


def build_module(source: ModelSource) -> nn.Module:
    """The user's class built with the source's keyword arguments (their exceptions with their traceback)."""
    cls = import_class(source)
    kwargs = json.loads(source.args_json)
    try:
        return cls(**kwargs)
    except Exception as error:
        raise OwnCodeError(
            f"{source.class_name}(**{source.args_json}) raised {type(error).__name__}: {error}", _user_traceback(error)
        ) from None
