"""Checkpoints: safetensors for every tensor, JSON metadata beside them, atomic saves, strict loads.

Nothing here ever unpickles: a checkpoint cannot run code. Every way a file can be wrong comes out
as CheckpointError with a message a user can act on.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as parse_tensors
from safetensors.torch import save as serialize_tensors

from core import __version__
from core.atomic_write import FileWriteError, write_atomically
from core.data.datasets import ImageDataset
from core.files.checkpoint_header import HEADER_LIMIT, META_KEY
from core.files.file_kind import foreign_kind
from core.model.autoencoder import ModelConfig
from core.model.own_code import OwnCodeError
from core.model.vae import build_network
from core.timelapse.recording import RunHistory
from core.timelapse.stored import HistoryFileError, history_from_tensors, history_tensors
from core.timelapse.stored import tensor_names as history_tensor_names
from core.training.engine import TrainConfig, Trainer, TrainingProgress, build_model, build_optimizer

FORMAT_NAME = "convae-explorer"
FORMAT_VERSION = 1
_OPTIMIZER_KEYS = ("step", "exp_avg", "exp_avg_sq")
_PROGRESS_TENSORS = (
    "progress.batch_losses",
    "progress.epoch_losses",
    "progress.epoch_rng_state",
    "progress.batch_loss_parts",  # a VAE's (reconstruction, KL) per step, float32; absent in files from before it
)

# Bounds checked before a single tensor byte is read, so that no file, however damaged or crafted, can make a load
# take more than a few hundred MB or more than moments. Each is far above what a file of ours can hold.

#: The most loss-history entries (optimizer steps) a checkpoint may hold: 20 M float64 values are 160 MB on disk
#: and about 0.8 GB as the Python list the engine appends to. Only an extreme run gets there: 10,000 epochs (the most
#: TrainConfig allows) of all 60,000 MNIST images at a batch size under 30. save_checkpoint refuses to write a longer
#: history than load_checkpoint reads. The progress counters share the bound: `step` counts the history's entries,
#: and `epoch` and `batch_in_epoch` never exceed `step`.
_MAX_STEPS = 20_000_000
#: Whole-file cap. The largest model (3×64×64 images, latent 64) holds 2.3 M weights; with Adam's two moments that is
#: 28 MB, a loss history at _MAX_STEPS adds 160 MB and a VAE's two loss terms (float32) 160 MB more: under 350 MB.
_MAX_FILE_BYTES = 384 << 20
#: The dtypes our files hold: float32 weights and optimizer state, float64 losses, the uint8 shuffle state, and the
#: run history's float16 decoder weights and reconstructions (core.timelapse.stored).
_DTYPE_SIZES = {"F32": 4, "F64": 8, "U8": 1, "F16": 2, "I64": 8}  # I64 only in a user's module's (BatchNorm counts)
#: A user's own module names its tensors: a checkpoint of one may hold as many as this (a large U-Net has a few
#: thousand), with three Adam tensors beside each parameter.
_MAX_OWN_TENSORS = 65_536


def _tensor_names(kind: str) -> frozenset[str]:
    """Every tensor name a checkpoint of one model kind can hold: the weights, three Adam tensors per parameter,
    the progress tensors.

    The layers, and so these names, are the same whatever the model's other settings.
    """
    with torch.device("meta"):
        model = build_network(ModelConfig(kind=kind))
    optimizer = {f"optimizer.{i}.{key}" for i, _ in enumerate(model.parameters()) for key in _OPTIMIZER_KEYS}
    names = {*(f"model.{k}" for k in model.state_dict()), *optimizer, *_PROGRESS_TENSORS}
    return frozenset(names | history_tensor_names())


_TENSOR_NAMES = _tensor_names("autoencoder") | _tensor_names("variational")
#: 105 for an autoencoder and 113 for a VAE, each with a run history (every progress tensor counted).
_MAX_TENSORS = max(len(_tensor_names("autoencoder")), len(_tensor_names("variational")))


class CheckpointError(Exception):
    """A checkpoint could not be saved or loaded; the message says why."""


@dataclass
class Checkpoint:
    model_config: ModelConfig
    train_config: TrainConfig
    dataset: str
    classes: tuple[str, ...]
    model_state: dict[str, torch.Tensor]
    optimizer_state: dict | None  # torch's Adam state_dict layout, or None for weights only
    progress: TrainingProgress
    history: RunHistory | None = None  # the run's time-lapse (core.timelapse.recording); None in files from before it

    @classmethod
    def from_trainer(cls, trainer: Trainer, history: RunHistory | None = None) -> Checkpoint:
        """CPU copies of everything needed to resume `trainer` exactly (and the history recorded beside it)."""
        p = trainer.progress
        return cls(
            model_config=trainer.model_config,
            train_config=trainer.config,
            dataset=trainer.dataset.name,
            classes=tuple(trainer.dataset.classes),
            model_state={k: v.detach().to("cpu", copy=True) for k, v in trainer.model.state_dict().items()},
            optimizer_state=_cpu_optimizer_state(trainer.optimizer.state_dict()),
            progress=TrainingProgress(
                epoch=p.epoch,
                batch_in_epoch=p.batch_in_epoch,
                step=p.step,
                epoch_rng_state=None if p.epoch_rng_state is None else p.epoch_rng_state.clone(),
                batch_losses=list(p.batch_losses),
                epoch_losses=list(p.epoch_losses),
                batch_loss_parts=list(p.batch_loss_parts),
            ),
            history=None if history is None else history.copy(),
        )

    def build_model(self) -> torch.nn.Module:
        model = build_model(self.model_config, self.train_config.seed)
        model.load_state_dict(self.model_state)
        return model.eval()

    def resume(self, dataset: ImageDataset, **overrides) -> Trainer:
        """A Trainer that continues this run as if it had never stopped (overrides: e.g. epochs, device).

        The GPU levers (bf16, compile) belong to the machine a run trained on, not to the run: a resume leaves
        them off unless the overrides ask for them again.
        """
        levers_off = {"bf16": False, "compile": False}
        config = TrainConfig.from_dict({**self.train_config.to_dict(), **levers_off, **overrides})
        p = self.progress
        if dataset.name != self.dataset:
            raise CheckpointError(f"this checkpoint was trained on {self.dataset}, not {dataset.name}")
        splits = [split for split in (dataset.train, dataset.test) if split is not None and len(split)]
        top = max((int(split.labels.max()) for split in splits), default=-1)
        if top >= len(self.classes):
            raise CheckpointError(
                f"{dataset.name} has images labelled {top}, but this checkpoint names only {len(self.classes)} "
                f"classes (labels 0–{len(self.classes) - 1}): it was not trained on this data"
            )
        trainer = Trainer(
            dataset,
            config,
            self.model_config,
            model_state=self.model_state,
            optimizer_state=None if self.optimizer_state is None else _cpu_optimizer_state(self.optimizer_state),
            progress=TrainingProgress(  # fresh lists: the trainer appends to them, this checkpoint must not change
                **{
                    **vars(self.progress),
                    "batch_losses": [*p.batch_losses],
                    "epoch_losses": [*p.epoch_losses],
                    "batch_loss_parts": [*p.batch_loss_parts],
                }
            ),
        )
        # Saved after batch N of an epoch that has fewer batches here (the data set shrank since, or the file was
        # edited): that position does not exist in this data. Count the epoch's batches as done, so the epoch closes
        # at once and training goes on with the next one; restarting the epoch instead would log its steps twice.
        # Left as it was, the epoch would show as more than complete (epoch 1.7 of 1) and its batches as "9 of 3".
        trainer.progress.batch_in_epoch = min(trainer.progress.batch_in_epoch, trainer.batches_per_epoch)
        return trainer


def _cpu_optimizer_state(state_dict: dict) -> dict:
    return {
        "state": {
            i: {k: v.detach().to("cpu", copy=True) for k, v in s.items()} for i, s in state_dict["state"].items()
        },
        "param_groups": state_dict["param_groups"],
    }


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> Path:
    """Write atomically: a temporary file in the same folder, fsync, then rename over `path`."""
    path = Path(path)
    tensors = {f"model.{k}": v.contiguous() for k, v in checkpoint.model_state.items()}
    if checkpoint.optimizer_state is not None:
        for index, state in checkpoint.optimizer_state["state"].items():
            for key in _OPTIMIZER_KEYS:
                tensors[f"optimizer.{index}.{key}"] = (
                    state[key].detach().to(torch.float32).reshape(()) if key == "step" else state[key].contiguous()
                )
    progress = checkpoint.progress
    if max(len(progress.batch_losses), progress.step) > _MAX_STEPS:
        raise CheckpointError(
            f"cannot save {path.name}: the run took {progress.step:,} steps, and a checkpoint holds a loss history of "
            f"at most {_MAX_STEPS:,}"
        )
    tensors["progress.batch_losses"] = torch.tensor(progress.batch_losses, dtype=torch.float64)
    tensors["progress.epoch_losses"] = torch.tensor(progress.epoch_losses, dtype=torch.float64)
    if progress.batch_loss_parts:
        tensors["progress.batch_loss_parts"] = torch.tensor(progress.batch_loss_parts, dtype=torch.float32).reshape(
            -1, 2
        )
    if progress.epoch_rng_state is not None:
        tensors["progress.epoch_rng_state"] = progress.epoch_rng_state
    tensors.update(history_tensors(checkpoint.history))
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_config": checkpoint.model_config.to_dict(),
        "train_config": checkpoint.train_config.to_dict(),
        "dataset": checkpoint.dataset,
        "classes": list(checkpoint.classes),
        "progress": {"epoch": progress.epoch, "batch_in_epoch": progress.batch_in_epoch, "step": progress.step},
    }
    payload = serialize_tensors(tensors, metadata={META_KEY: json.dumps(meta)})
    try:
        write_atomically(path, payload)
    except FileWriteError as error:
        raise CheckpointError(str(error)) from error
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and validate a checkpoint; raise CheckpointError for anything not exactly as we write it.

    The header is read and checked first, from a bounded read; only a header that describes a file of ours (few
    tensors, a bounded loss history, shapes and offsets that fit the file) lets the rest be read, whole, into
    memory in one read and parsed from there. Never memory-mapped: a file truncated while it is being read (as
    `cp` over it does) must give an error here, not kill the process with SIGBUS.
    """
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # checked before opening: opening a FIFO would wait for a writer
            raise CheckpointError(f"{path} is not a file")
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise CheckpointError(f"cannot open {path}: {error.strerror or error}") from error
    with handle:
        try:
            metadata, tensors = _read_safetensors(path, handle)
        except OSError as error:
            raise CheckpointError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return _checkpoint_from_parts(metadata, tensors)
    except CheckpointError as error:
        raise CheckpointError(f"{path.name}: {error}") from None


def _read_safetensors(path: Path, handle) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    """The metadata and tensors of an open safetensors file, refused before any tensor is read if out of bounds."""
    status = os.fstat(handle.fileno())
    if not stat.S_ISREG(status.st_mode):
        raise CheckpointError(f"{path} is not a file")
    if status.st_size > _MAX_FILE_BYTES:
        raise CheckpointError(
            f"{path.name} is {status.st_size / 2**20:,.0f} MiB, too large to be a convae-explorer checkpoint "
            f"(they stay under {_MAX_FILE_BYTES >> 20} MiB)"
        )
    head = handle.read(8)
    # A safetensors file opens with its header length (u64 LE, whose first byte may well be 0x80) and then "{".
    if (head[:1] == b"\x80" or head[:2] == b"PK") and handle.read(1) != b"{":
        raise CheckpointError(
            f"{path.name} looks like a PyTorch pickle (.pt/.pth) file. convae-explorer never unpickles files, "
            "because a pickle can run any code; it reads only .safetensors checkpoints it wrote itself."
        )
    handle.seek(0)
    kind = foreign_kind(handle.read(16))
    if kind is not None:
        raise CheckpointError(
            f"{path.name} is {kind}, not a checkpoint: convae-explorer opens the .safetensors files it saves"
        )

    def unreadable(reason: str) -> CheckpointError:
        return CheckpointError(f"{path.name} is not a readable safetensors file (truncated or corrupt?): {reason}")

    if len(head) < 8:
        raise unreadable(f"it holds only {len(head)} bytes")
    (header_size,) = struct.unpack("<Q", head)
    if header_size > HEADER_LIMIT:
        raise unreadable(
            f"its header claims {header_size:,} bytes; a convae-explorer checkpoint's header is a few KB "
            f"(at most {HEADER_LIMIT:,} bytes are read)"
        )
    handle.seek(8)
    header_bytes = handle.read(header_size)
    if len(header_bytes) < header_size:
        raise unreadable(f"its header claims {header_size:,} bytes, but the file ends after {len(header_bytes):,}")
    try:
        header = json.loads(header_bytes, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise unreadable(f"its header is not valid JSON ({error})") from error
    if not isinstance(header, dict):
        raise unreadable("its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise unreadable("its metadata is not a mapping of names to strings")
    if len(header) > (_MAX_OWN_TENSORS if _names_own_module(metadata) else _MAX_TENSORS):
        unknown = sorted(set(header) - _TENSOR_NAMES)
        raise CheckpointError(
            f"{path.name}: unexpected tensors {', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''} "
            f"({len(header):,} tensors; a checkpoint of ours has at most {_MAX_TENSORS})"
        )
    for name in ("progress.batch_losses", "progress.epoch_losses"):
        shape = header.get(name, {}).get("shape") if isinstance(header.get(name), dict) else None
        if isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int) and shape[0] > _MAX_STEPS:
            raise CheckpointError(
                f"{path.name}: its loss history holds {shape[0]:,} entries; convae-explorer reads at most "
                f"{_MAX_STEPS:,}, as many as 10,000 epochs of all of MNIST at batch size 30 take"
            )
    data_size = status.st_size - 8 - header_size
    try:
        _check_layout(header, data_size, _names_own_module(metadata))
    except CheckpointError as error:
        raise unreadable(str(error)) from None
    handle.seek(0)
    data = handle.read(status.st_size + 1)  # all of it in one read: a file that grew or shrank meanwhile shows
    if len(data) != status.st_size or data[8 : 8 + header_size] != header_bytes:
        raise unreadable(f"it changed while it was read ({status.st_size:,} bytes, then {len(data):,})")
    try:
        tensors = parse_tensors(data)
    except (SafetensorError, ValueError, RuntimeError, TypeError, OverflowError, MemoryError) as error:
        raise unreadable(str(error)) from error
    return metadata, tensors


def _names_own_module(metadata: dict[str, str]) -> bool:
    """Whether the metadata describes a user's own module (whose tensors are named by the module, not by us)."""
    try:
        meta = json.loads(metadata.get(META_KEY, "{}"))
        config = meta.get("model_config") if isinstance(meta, dict) else None
        return isinstance(config, dict) and "source" in config
    except (ValueError, RecursionError):
        return False


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict:
    """JSON objects as dicts, refusing a repeated key (which safetensors' own parser might resolve differently)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a key appears twice")
    return result


def _check_layout(header: dict, data_size: int, own: bool = False) -> None:
    """Refuse a header that no checkpoint of ours has, before any tensor data is read.

    An unknown dtype, an impossible shape, or shapes and offsets that do not tile the file's data exactly
    (safetensors lays tensors out back to back, in offset order).
    """
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            raise CheckpointError(f"the entry for tensor {name!r} is not a JSON object")
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if dtype not in _DTYPE_SIZES or (dtype == "I64" and not own):  # I64: a user's module's step counts only
            raise CheckpointError(
                f"the tensor {name!r} has dtype {dtype!r}; our checkpoints hold only F32, F64, F16 and U8"
            )
        if not _int_list(shape) or len(shape) > 4:
            raise CheckpointError(f"the tensor {name!r} has the impossible shape {shape!r}")
        if name in ("progress.batch_losses", "progress.epoch_losses") and len(shape) != 1:
            raise CheckpointError(f"the loss history {name!r} has shape {shape}, not a list of losses")
        if not _int_list(offsets) or len(offsets) != 2 or not 0 <= offsets[0] <= offsets[1] <= data_size:
            raise CheckpointError(
                f"the tensor {name!r} has offsets {offsets!r} outside the file's {data_size:,} data bytes"
            )
        if math.prod(shape) * _DTYPE_SIZES[dtype] != offsets[1] - offsets[0]:
            raise CheckpointError(
                f"the tensor {name!r} of shape {shape} ({dtype}) does not fit its {offsets[1] - offsets[0]:,} bytes"
            )
        spans.append(offsets)
    end = 0
    for begin, stop in sorted(spans):
        if begin != end:
            raise CheckpointError("its tensors overlap or leave gaps in the data")
        end = stop
    if end != data_size:
        raise CheckpointError(f"its tensors take {end:,} bytes, but the file holds {data_size:,} bytes of data")


def _int_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)


def _checkpoint_from_parts(metadata: dict[str, str], tensors: dict[str, torch.Tensor]) -> Checkpoint:
    if META_KEY not in metadata:
        raise CheckpointError("no convae-explorer metadata: this safetensors file was not written by convae-explorer")
    try:
        meta = json.loads(metadata[META_KEY])
    except (ValueError, TypeError, RecursionError) as error:  # ValueError: JSONDecodeError, or an int of 4,300+ digits
        raise CheckpointError(f"the metadata is not valid JSON ({error})") from error
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise CheckpointError("the metadata does not describe a convae-explorer checkpoint")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"format_version {version!r} is not valid")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"it was written by a newer convae-explorer (checkpoint format {version}); "
            f"this version reads format {FORMAT_VERSION}. Update convae-explorer to open it."
        )
    try:
        model_config = ModelConfig.from_dict(_field(meta, "model_config", dict))
        train_config = TrainConfig.from_dict(_field(meta, "train_config", dict))
        progress_meta = _field(meta, "progress", dict)
        counters = {key: _field(progress_meta, key, int) for key in ("epoch", "batch_in_epoch", "step")}
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:  # e.g. device 5, size Infinity
        raise CheckpointError(f"the metadata holds an invalid setting: {error}") from error
    dataset = _field(meta, "dataset", str)
    classes = _field(meta, "classes", list)
    if not classes or not all(isinstance(c, str) for c in classes):
        raise CheckpointError("the class names in the metadata are not a list of strings")
    if any(value < 0 for value in counters.values()):
        raise CheckpointError("the progress counters in the metadata are negative")
    for key, value in counters.items():  # bounded here, or 10**400 would overflow float arithmetic much later
        if value > _MAX_STEPS:
            raise CheckpointError(
                f"the progress counter {key!r} in the metadata is larger than {_MAX_STEPS:,}, "
                "the most steps a checkpoint holds"
            )
    if counters["batch_in_epoch"] > counters["step"]:
        raise CheckpointError(
            f"the progress counter 'batch_in_epoch' ({counters['batch_in_epoch']:,}) exceeds the steps taken "
            f"({counters['step']:,})"
        )

    try:  # shapes from a model on the meta device: a huge image_size in the metadata must not allocate anything
        with torch.device("meta"):
            shapes = build_network(model_config).state_dict()
    except OwnCodeError as error:  # the trust record: a changed or missing file is named, never run unasked
        raise CheckpointError(f"its model is your own code ({model_config.source.label}): {error.full()}") from None
    except (RuntimeError, TypeError, ValueError, OverflowError) as error:
        raise CheckpointError(f"the model settings {model_config.to_dict()} are impossible ({error})") from error
    expected = {f"model.{k}": v for k, v in shapes.items()}
    model_state = {k.removeprefix("model."): _checked(tensors, k, v.shape, v.dtype) for k, v in expected.items()}
    reference = build_model(model_config, 0)  # as large as the tensors the file really holds, checked just above
    optimizer_state = _optimizer_state(tensors, reference, train_config.lr)
    known = set(expected) | {k for k in tensors if k.startswith("optimizer.")}
    known |= set(_PROGRESS_TENSORS)
    known |= history_tensor_names(model_config)
    unknown = sorted(set(tensors) - known)
    if unknown:
        raise CheckpointError(f"unexpected tensors {', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''}")
    batch_losses = _checked(tensors, "progress.batch_losses", (counters["step"],), torch.float64)
    epoch_losses = _checked(tensors, "progress.epoch_losses", (counters["epoch"],), torch.float64)
    loss_parts = _loss_parts(tensors, model_config, counters["step"])
    rng_state = tensors.get("progress.epoch_rng_state")
    if rng_state is not None:
        try:
            torch.Generator().set_state(rng_state)
        except (RuntimeError, TypeError) as error:
            raise CheckpointError("the saved shuffle state is not a valid generator state") from error
    try:
        history = history_from_tensors(tensors, model_config, tuple(classes), counters["step"])
    except HistoryFileError as error:
        raise CheckpointError(str(error)) from None
    return Checkpoint(
        model_config=model_config,
        train_config=train_config,
        dataset=dataset,
        classes=tuple(classes),
        model_state=model_state,
        optimizer_state=optimizer_state,
        progress=TrainingProgress(
            **counters,
            epoch_rng_state=rng_state,
            batch_losses=batch_losses.tolist(),
            epoch_losses=epoch_losses.tolist(),
            batch_loss_parts=loss_parts,
        ),
        history=history,
    )


def _loss_parts(tensors: dict[str, torch.Tensor], model_config: ModelConfig, steps: int) -> list[tuple[float, float]]:
    """A VAE's (reconstruction, KL) per step. NaN marks a step whose terms were not kept: every step of a file saved
    before they were (it opens as before, its two curves blank), or the steps before a resume of such a file. An
    autoencoder's file holds none."""
    name = "progress.batch_loss_parts"
    if not model_config.variational:
        if name in tensors:
            raise CheckpointError(f"an autoencoder's checkpoint holds a VAE's loss terms ({name!r})")
        return []
    if name not in tensors:
        return [(math.nan, math.nan)] * steps
    parts = tensors[name]
    if tuple(parts.shape) != (steps, 2) or parts.dtype != torch.float32:
        raise CheckpointError(
            f"the tensor {name!r} has shape {tuple(parts.shape)} ({parts.dtype}), expected {(steps, 2)} (float32)"
        )
    if bool(torch.isinf(parts).any()):
        raise CheckpointError(f"the tensor {name!r} holds infinite values")
    return [(a, b) for a, b in parts.double().tolist()]


def _field(mapping: dict, key: str, kind: type):
    value = mapping.get(key) if isinstance(mapping, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise CheckpointError(f"the metadata field {key!r} is missing or not a {kind.__name__}")
    return value


def _checked(tensors: dict[str, torch.Tensor], key: str, shape: tuple, dtype: torch.dtype) -> torch.Tensor:
    if key not in tensors:
        raise CheckpointError(f"the tensor {key!r} is missing")
    tensor = tensors[key]
    if tuple(tensor.shape) != tuple(shape):
        raise CheckpointError(f"the tensor {key!r} has shape {tuple(tensor.shape)}, expected {tuple(shape)}")
    if tensor.dtype != dtype:
        raise CheckpointError(f"the tensor {key!r} has dtype {tensor.dtype}, expected {dtype}")
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        raise CheckpointError(f"the tensor {key!r} holds NaN or infinite values")
    return tensor


def _optimizer_state(tensors: dict[str, torch.Tensor], reference: torch.nn.Module, lr: float) -> dict | None:
    present = [k for k in tensors if k.startswith("optimizer.")]
    if not present:
        return None
    state = {}
    for index, parameter in enumerate(reference.parameters()):
        state[index] = {
            "step": _checked(tensors, f"optimizer.{index}.step", (), torch.float32),
            "exp_avg": _checked(tensors, f"optimizer.{index}.exp_avg", parameter.shape, torch.float32),
            "exp_avg_sq": _checked(tensors, f"optimizer.{index}.exp_avg_sq", parameter.shape, torch.float32),
        }
        if float(state[index]["step"]) < 0 or not math.isfinite(float(state[index]["step"])):
            raise CheckpointError(f"optimizer step count {index} is invalid")
        if bool((state[index]["exp_avg_sq"] < 0).any()):
            raise CheckpointError(f"optimizer second moments {index} are negative")
    expected = {f"optimizer.{i}.{k}" for i in state for k in _OPTIMIZER_KEYS}
    if set(present) != expected:
        raise CheckpointError(f"unexpected optimizer tensors {sorted(set(present) - expected)[:5]}")
    return {"state": state, "param_groups": build_optimizer(reference, lr).state_dict()["param_groups"]}
