"""A run history as checkpoint tensors, and back, validated like everything else a checkpoint holds.

Frames are stacked per kind (one tensor of every frame's codes, one per decoder weight), so a history adds a fixed
18 tensors whatever its length. What is stored is what is kept in memory (float16 decoder weights and
reconstructions, float32 codes, float64 planes), so save → open gives the very same frames. A history larger than
the file budget is thinned evenly (first and last frame kept) so that a 20-epoch file stays well under 50 MB.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from core.latent.plane import LatentPlane
from core.settings import ModelConfig
from core.timelapse.recording import STORED_DTYPE, DisplayRecord, Frame, RunHistory, thinned_evenly

#: The most bytes of history a checkpoint stores (frames beyond it are thinned evenly when saving).
FILE_BUDGET_BYTES = 40 << 20
_PREFIX = "history."
_SCALARS = ("step", "epoch", "loss")
_ARRAYS = ("codes", "reconstructions", "labels", "display_images", "originals")
_PLANES = ("plane_mean", "plane_components", "plane_explained")


class HistoryFileError(ValueError):
    """The history tensors of a checkpoint are not as we write them; the message says how."""


def _decoder_shapes(config: ModelConfig | None) -> dict[str, torch.Tensor]:
    """The decoder's state dict on the meta device: the lecture's, or a user's own module's (whose decoder is the
    whole module, core.model.own_module)."""
    from core.model.vae import build_network

    with torch.device("meta"):
        return build_network(config or ModelConfig()).decoder.state_dict()


def decoder_keys(config: ModelConfig | None = None) -> list[str]:
    return list(_decoder_shapes(config))


def tensor_names(config: ModelConfig | None = None) -> frozenset[str]:
    """Every tensor name a history adds to a checkpoint (the lecture's decoder's keys do not depend on the settings;
    a user's own module's are its own)."""
    names = [*_SCALARS, *_ARRAYS, *_PLANES, *(f"decoder.{k}" for k in decoder_keys(config))]
    return frozenset(_PREFIX + n for n in names)


def _label_dtype(classes: int) -> type:
    """Labels are bytes, as every file with up to 256 classes has them; a folder of more classes stores them as
    float32 (whole numbers up to 2²⁴ exactly, and a dtype checkpoints hold already) rather than losing its history."""
    return np.uint8 if classes <= 256 else np.float32


def history_tensors(history: RunHistory | None, budget_bytes: int = FILE_BUDGET_BYTES) -> dict[str, torch.Tensor]:
    """The tensors that store `history` (none for an empty one), thinned evenly to fit `budget_bytes`."""
    if history is None or history.display is None or not len(history):
        return {}
    frames, display = history.frames, history.display
    per_frame = max(1, frames[-1].nbytes)
    shared = display.display_images.nbytes + display.originals.nbytes // 4 + display.labels.nbytes // 8
    frames = thinned_evenly(frames, max(2, (budget_bytes - shared) // per_frame))
    recon = np.stack([f.reconstructions for f in frames])
    count, samples, channels, height, width = recon.shape
    tensors = {
        "step": torch.tensor([f.step for f in frames], dtype=torch.float64),
        "epoch": torch.tensor([f.epoch for f in frames], dtype=torch.float64),
        "loss": torch.tensor([f.loss for f in frames], dtype=torch.float64),
        "codes": torch.from_numpy(np.stack([f.codes for f in frames])),  # np.stack copies: writable
        "reconstructions": torch.from_numpy(recon.reshape(count, samples * channels, height, width)),
        "labels": torch.from_numpy(display.labels.astype(_label_dtype(len(display.classes)))),
        "display_images": torch.from_numpy(np.array(display.display_images)),
        "originals": torch.from_numpy(np.round(display.originals * 255).astype(np.uint8)),
        "plane_mean": torch.from_numpy(np.stack([f.plane.mean for f in frames]).astype(np.float64)),
        "plane_components": torch.from_numpy(np.stack([f.plane.components for f in frames]).astype(np.float64)),
        "plane_explained": torch.tensor([f.plane.explained for f in frames], dtype=torch.float64),
    }
    for key in frames[0].decoder_state:
        tensors[f"decoder.{key}"] = torch.stack([f.decoder_state[key].reshape(-1) for f in frames])
    return {_PREFIX + k: v.contiguous() for k, v in tensors.items()}


def history_from_tensors(
    tensors: dict[str, torch.Tensor], config: ModelConfig, classes: tuple[str, ...], last_step: int
) -> RunHistory | None:
    """The history a checkpoint holds (None when it has none: files from before histories open as they did)."""
    present = {k for k in tensors if k.startswith(_PREFIX)}
    if not present:
        return None
    keys = decoder_keys(config)
    expected = {_PREFIX + n for n in (*_SCALARS, *_ARRAYS, *_PLANES, *(f"decoder.{k}" for k in keys))}
    if present != expected:
        missing, extra = sorted(expected - present), sorted(present - expected)
        raise HistoryFileError(f"its run history is incomplete or unknown (missing {missing[:3]}, extra {extra[:3]})")

    def get(name: str, dtype: torch.dtype, shape: tuple[int | None, ...]) -> torch.Tensor:
        tensor = tensors[_PREFIX + name]
        if tensor.dtype != dtype:
            raise HistoryFileError(f"the run history's tensor {name!r} has dtype {tensor.dtype}, expected {dtype}")
        if len(tensor.shape) != len(shape) or any(
            want is not None and have != want for have, want in zip(tensor.shape, shape, strict=True)
        ):
            shown = tuple("?" if s is None else s for s in shape)
            raise HistoryFileError(
                f"the run history's tensor {name!r} has shape {tuple(tensor.shape)}, expected {shown}"
            )
        if tensor.is_floating_point() and name != "loss" and not bool(torch.isfinite(tensor).all()):
            raise HistoryFileError(f"the run history's tensor {name!r} holds NaN or infinite values")
        return tensor

    d, c, size = config.latent_dim, config.channels, config.image_size
    steps = get("step", torch.float64, (None,))
    count = len(steps)
    labels = get("labels", torch.uint8 if _label_dtype(len(classes)) is np.uint8 else torch.float32, (None,))
    if labels.is_floating_point():
        if bool((labels < 0).any()) or bool((labels != labels.round()).any()):
            raise HistoryFileError("the run history's labels are not whole numbers")
        labels = labels.to(torch.int64)
    n = len(labels)
    epochs = get("epoch", torch.float64, (count,))
    losses = get("loss", torch.float64, (count,))
    codes = get("codes", torch.float32, (count, n, d))
    display_images = get("display_images", torch.uint8, (n, c, size, size))
    originals = get("originals", torch.uint8, (None, c, size, size))
    samples = len(originals)
    recon = get("reconstructions", STORED_DTYPE, (count, samples * c, size, size))
    means = get("plane_mean", torch.float64, (count, d))
    components = get("plane_components", torch.float64, (count, 2, d))
    explained = get("plane_explained", torch.float64, (count, 2))
    weights = {}
    shapes = _decoder_shapes(config)
    for key in keys:
        weights[key] = get(f"decoder.{key}", STORED_DTYPE, (count, math.prod(shapes[key].shape)))

    step_values = steps.tolist()
    if count == 0 or n == 0:
        raise HistoryFileError("its run history holds no frames")
    if any(s != int(s) or s < 0 for s in step_values) or any(b <= a for a, b in itertools.pairwise(step_values)):
        raise HistoryFileError("the run history's steps are not whole numbers counting up")
    if step_values[-1] > last_step:
        raise HistoryFileError(f"the run history goes to step {int(step_values[-1]):,}, past the model's {last_step:,}")
    if bool((epochs < 0).any()) or bool((epochs[1:] < epochs[:-1]).any()):
        raise HistoryFileError("the run history's epochs are negative or go backwards")
    if bool(torch.isinf(losses).any()):
        raise HistoryFileError("the run history's losses hold infinite values")
    if int(labels.max()) >= len(classes):
        raise HistoryFileError(f"the run history labels images beyond the {len(classes)} classes")
    if bool(((recon < 0) | (recon > 1)).any()):
        raise HistoryFileError("the run history's reconstructions are outside 0–1")
    gram = components @ components.transpose(1, 2)
    if not bool(torch.allclose(gram, _expected_gram(d, count), atol=1e-6)):
        raise HistoryFileError("the run history's view planes are not orthonormal")

    display = DisplayRecord(
        labels=labels.numpy().astype(np.int64),
        display_images=display_images.numpy(),
        originals=originals.numpy().astype(np.float32) / np.float32(255.0),
        classes=tuple(classes),
        model_config=config,
    )
    for array in (display.labels, display.display_images, display.originals):
        array.flags.writeable = False
    recon_frames = recon.reshape(count, samples, c, size, size).numpy()
    frames = []
    for i in range(count):
        frame_codes = codes[i].numpy()
        frame_codes.flags.writeable = False
        frame_recon = recon_frames[i]
        frame_recon.flags.writeable = False
        plane = LatentPlane(means[i].numpy(), components[i].numpy(), (float(explained[i, 0]), float(explained[i, 1])))
        frames.append(
            Frame(
                step=int(step_values[i]),
                epoch=float(epochs[i]),
                loss=float(losses[i]),
                codes=frame_codes,
                reconstructions=frame_recon,
                decoder_state={k: weights[k][i].reshape(shapes[k].shape) for k in keys},
                plane=plane,
            )
        )
    return RunHistory(display, frames)


def _expected_gram(dim: int, count: int) -> torch.Tensor:
    """Each plane's components @ components.T: the identity, with a zero second row for latent size 1."""
    gram = torch.eye(2, dtype=torch.float64)
    if dim == 1:
        gram[1, 1] = 0.0
    return gram.expand(count, 2, 2)
