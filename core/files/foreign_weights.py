"""Weights trained elsewhere for a user's own module: read them without running any code, and fit them to the module.

Three formats are read: a safetensors state dict (preferred), a `.pt`/`.pth` state dict and a Lightning `.ckpt`
(its `state_dict`, the LightningModule's attribute prefix stripped where the keys then match the module's). The two
torch formats go through `torch.load(weights_only=True)` only, which rebuilds tensors and plain containers and
refuses anything else. So a file that needs real unpickling (a whole model saved with `torch.save(model)`, pythae's
`encoder.pkl`, a TorchScript archive) is refused with the reason and what to save instead: nothing here runs code
from a weights file.

Then `fit_state` compares the file's tensors with the module's state dict and refuses, listing them, missing and
unexpected keys and differing shapes. `checkpoint_from_code` puts it together for the commands: the module probed
on the data, the weights in, a Checkpoint every command and the window open like a saved run.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as parse_safetensors
from torch import nn

#: The largest weights file read (into memory, once): far above an autoencoder's, below what would exhaust a laptop.
MAX_WEIGHTS_BYTES = 4 << 30


class WeightsError(Exception):
    """A weights file could not be read or does not fit the module; the message says why and what would."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors, .pt/.pth or Lightning .ckpt file, by name (nothing unpickled beyond weights)."""
    try:
        status = path.stat()
    except OSError as error:
        raise WeightsError(f"cannot open the weights {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):  # a FIFO would block the read forever
        raise WeightsError(f"the weights {path} are not a regular file")
    if status.st_size > MAX_WEIGHTS_BYTES:
        raise WeightsError(f"the weights {path} are {status.st_size / 2**30:.1f} GiB; at most 4 GiB are read")
    data = path.read_bytes()  # into memory: safetensors' memory map would die of SIGBUS on a file cut meanwhile
    if len(data) >= 9 and data[8:9] == b"{":
        return _safetensors(path, data)
    if path.suffix.lower() == ".pkl":
        raise WeightsError(
            f"{path.name} is a pickle of whole Python objects (pythae saves its encoder.pkl and decoder.pkl so): "
            "reading it would run code from the file, which convae-explorer never does. Pass the state dict "
            "instead: pythae keeps it in model_weights.pt beside them, or save module.state_dict() with "
            "safetensors.torch.save_file"
        )
    if data[:2] == b"PK":
        _refuse_torchscript(path, data)
    if data[:2] == b"PK" or data[:1] == b"\x80":
        return _torch_file(path, data)
    raise WeightsError(
        f"{path.name} is neither a safetensors file nor a PyTorch .pt/.pth/.ckpt file (its first bytes are "
        f"{data[:8]!r})"
    )


def _safetensors(path: Path, data: bytes) -> dict[str, torch.Tensor]:
    try:
        return parse_safetensors(data)
    except (SafetensorError, ValueError, RuntimeError, TypeError, OverflowError, MemoryError) as error:
        raise WeightsError(f"{path.name} is not a readable safetensors file: {error}") from None


def _refuse_torchscript(path: Path, data: bytes) -> None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile as error:
        raise WeightsError(f"{path.name} is a damaged ZIP archive: {error}") from None
    if any(name.split("/", 2)[1:2] == ["code"] or name.endswith("/constants.pkl") for name in names):
        raise WeightsError(
            f"{path.name} is a TorchScript archive (torch.jit.save): a compiled program, not a state dict. "
            "Save the weights with torch.save(module.state_dict(), …) or safetensors instead"
        )


def _torch_file(path: Path, data: bytes) -> dict[str, torch.Tensor]:
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch's refusal is an UnpicklingError; anything else is a damaged file
        if type(error).__name__ != "UnpicklingError":
            raise WeightsError(f"{path.name} is not a readable PyTorch file: {error}") from None
        first = _reason(str(error)) or type(error).__name__
        raise WeightsError(
            f"{path.name} holds more than weights: reading it needs full unpickling, which can run any code, so it "
            f"is refused (torch.load with weights_only=True said: {first}). It is probably a whole model saved with "
            "torch.save(model); save torch.save(model.state_dict(), …) instead"
        ) from None
    return _state_of(path, loaded)


def _reason(text: str) -> str:
    """The line of torch's refusal that names what needed unpickling (its message is long, with terminal colours)."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in text.splitlines()]
    named = [line for line in lines if "Unsupported global" in line or "WeightsUnpickler error" in line]
    return (named or [line for line in lines if line] or [""])[0][:300]


def _state_of(path: Path, loaded: object) -> dict[str, torch.Tensor]:
    """The state dict inside what the weights-only load gave: itself, Lightning's `state_dict`, or pythae's
    `model_state_dict`."""
    if isinstance(loaded, dict):
        for key in ("state_dict", "model_state_dict"):
            if isinstance(loaded.get(key), dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not loaded:
        raise WeightsError(f"{path.name} holds {type(loaded).__name__}, not a state dict of named tensors")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()):
        odd = next(k for k, v in loaded.items() if not (isinstance(k, str) and isinstance(v, torch.Tensor)))
        raise WeightsError(f"{path.name}: the entry {odd!r} is not a tensor; a state dict maps names to tensors")
    return dict(loaded)


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "")


def _candidates(keys: list[str]) -> list[str]:
    """Prefixes to strip: '' and every leading run of dotted parts the keys share (Lightning's `model.`, `net.`)."""
    prefixes = {""}
    for key in keys:
        parts = key.split(".")
        for depth in range(1, min(3, len(parts))):
            prefixes.add(".".join(parts[:depth]) + ".")
    return sorted(prefixes, key=len)


def fit_state(path: Path, loaded: dict[str, torch.Tensor], module: nn.Module) -> dict[str, torch.Tensor]:
    """`loaded` renamed to the module's state dict names (a shared prefix stripped where that makes them match) and
    checked: every key present, none extra, every shape equal. WeightsError lists what differs."""
    expected = module.state_dict()
    best, best_score = loaded, -1
    for prefix in _candidates(list(loaded)):
        renamed = {k[len(prefix) :]: v for k, v in loaded.items() if k.startswith(prefix)}
        score = len(set(renamed) & set(expected))
        if score > best_score or (score == best_score and len(renamed) < len(best)):
            best, best_score = renamed, score
    missing = sorted(set(expected) - set(best))
    unexpected = sorted(set(best) - set(expected))
    problems = []
    if missing:
        problems.append(f"missing keys: {_listed(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listed(unexpected)}")
    shapes = [
        f"{k}: file {'×'.join(map(str, best[k].shape)) or 'scalar'}, module {'×'.join(map(str, v.shape)) or 'scalar'}"
        for k, v in expected.items()
        if k in best and tuple(best[k].shape) != tuple(v.shape)
    ]
    if shapes:
        problems.append(f"shapes differ: {_listed(shapes, 5)}")
    if problems:
        raise WeightsError(
            f"the weights in {path.name} do not fit {type(module).__name__}: "
            + "; ".join(problems)
            + ". Check --model-args (the sizes the module is built with) and that the file belongs to this class"
        )
    return {k: best[k].to(v.dtype) if v.is_floating_point() else best[k] for k, v in expected.items()}


def checkpoint_from_code(
    source,
    weights: Path | None,
    dataset,
    *,
    beta: float | None = None,
):
    """A Checkpoint of the user's module with weights from `weights` (None: its initial weights), on `dataset`:
    what `open`, `render` and `export` explore. Raises WeightsError, or OwnCodeError / OwnModelError from the
    module (core.model)."""
    from core.files.checkpoint import Checkpoint
    from core.model.own_module import probe
    from core.settings import SETTINGS, TrainConfig
    from core.training.engine import TrainingProgress

    state: dict[str, torch.Tensor] = {}
    loaded = None if weights is None else read_state_dict(weights)

    def load(net: nn.Module) -> None:
        if loaded is not None:
            state.update(fit_state(weights, loaded, net))
            net.load_state_dict(state)
        else:
            state.update({k: v.detach().clone() for k, v in net.state_dict().items()})

    model_config = probe(
        source, dataset.train.images, beta=SETTINGS["beta"].default if beta is None else beta, load=load
    )
    return Checkpoint(
        model_config=model_config,
        train_config=TrainConfig(),
        dataset=dataset.name,
        classes=tuple(dataset.classes),
        model_state=state,
        optimizer_state=None,
        progress=TrainingProgress(),
    )
