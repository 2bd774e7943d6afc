"""Where `train` may write its checkpoint, decided before any training: a run is never lost to a bad --out.

An existing file is replaced only when it is a checkpoint of this app (a newer run of the same experiment) or
the user said --force; the default name never replaces anything, it counts up instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.files.checkpoint_header import read_app_metadata


class OutputError(Exception):
    """The checkpoint could not be written there; the message says why and what to do."""


def is_app_checkpoint(path: Path) -> bool:
    """True when `path` is a safetensors file whose metadata says convae-explorer wrote it (reads the header only)."""
    return read_app_metadata(path) is not None


def free_default_name(folder: Path, stem: str, suffix: str = ".safetensors") -> Path:
    """`stem.safetensors` in `folder`, or `stem-2`, `stem-3`… when taken: a default name never replaces a file."""
    candidate = folder / f"{stem}{suffix}"
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def check_output(path: Path, force: bool) -> str | None:
    """Raise OutputError unless a checkpoint can be written at `path`; return a note when one will be replaced.

    A name no file system takes was refused before this, with every other path a user gives
    (core.files.user_path); the default name is kept short enough (core.settings.dataset_file_stem).
    """
    if path.is_dir():
        raise OutputError(f"{path} is a folder: name a file inside it, e.g. {path / 'model.safetensors'}")
    replaces = path.exists()
    if replaces and not force and not is_app_checkpoint(path):
        raise OutputError(
            f"{path} exists and is not a convae-explorer checkpoint: it is left as it is. "
            "Choose another --out, or add --force to replace it."
        )
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise OutputError(f"cannot write to {folder}: {error.strerror or error}") from error
    return f"{path} will be replaced" if replaces else None
