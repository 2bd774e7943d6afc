"""A run's time-lapse: every snapshot the engine publishes kept as a frame, within a memory budget.

A frame is one network state as the window showed it: step, epoch, the loss at that step, the display codes, the
sample reconstructions and the decoder's weights. Decoder weights and reconstructions are kept in float16 (half
the memory, and exactly what a checkpoint stores, so a saved history opens unchanged); codes stay float32, so a
replayed frame's points are the snapshot's points. When the frames outgrow the budget, the older half is thinned
evenly (every other frame goes); the first and the newest frame always stay.

Each frame also carries its view plane, fitted when it was recorded and turned to line up with the previous
frame's (core.latent.plane.fit_aligned_plane), so a replay of a PCA view never flips. Frames are immutable, so a tuple
of them (HistoryFrames) can cross threads as a record.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.events import BatchEnd, Snapshot
from core.latent.plane import LatentPlane, fit_aligned_plane
from core.latent.view import SnapshotView, view_of
from core.model.snapshot_encoder import LazyEncoder
from core.settings import ModelConfig

DEFAULT_BUDGET_BYTES = 200 << 20
STORED_DTYPE = torch.float16


@dataclass(frozen=True, eq=False)
class Frame:
    """One recorded network state (immutable: arrays are read-only)."""

    step: int
    epoch: float
    loss: float  # the last batch's loss at this step; NaN before the first step
    codes: np.ndarray  # (N, D) float32, the display set encoded with these weights
    reconstructions: np.ndarray  # (K, C, H, W) float16, the samples through these weights
    decoder_state: dict[str, torch.Tensor]  # float16 CPU tensors
    plane: LatentPlane  # aligned with the previous frame's plane when it was recorded
    #: float16 CPU tensors of the snapshot's encoder (core.model.snapshot_encoder), so the user's own picture can be
    #: encoded on a replayed frame; None for frames read from a file (a history file keeps decoders only).
    encoder_state: dict[str, torch.Tensor] | None = None
    #: (N,) float32: the display images' reconstruction errors at this step (the snapshot's, 4 bytes an image);
    #: None for frames read from a file (HistoryFrames.errors computes them from the stored decoder).
    errors: np.ndarray | None = None
    #: The step `errors` were decoded at (the snapshot's errors_step): earlier than `step` where the run's errors
    #: budget carried them over (core.training.snapshot_pacing).
    errors_step: int | None = None

    @property
    def nbytes(self) -> int:
        states = (self.decoder_state, self.encoder_state or {})
        weights = sum(t.numel() * t.element_size() for state in states for t in state.values())
        errors = 0 if self.errors is None else self.errors.nbytes
        return int(self.codes.nbytes + self.reconstructions.nbytes + weights + errors)

    @property
    def xy(self) -> np.ndarray:
        return self.plane.to_plane(self.codes)


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


def frame_of(snapshot: Snapshot, loss: float, previous: LatentPlane | None) -> Frame:
    """The frame of a snapshot, its plane aligned to `previous` (None for the first frame)."""
    state = {
        k: v.detach().to("cpu", STORED_DTYPE, copy=True).contiguous() for k, v in snapshot.decoder.state_dict().items()
    }
    codes = _read_only(np.asarray(snapshot.codes, np.float32))
    encoder = getattr(snapshot, "encoder", None)
    encoder_state = None if encoder is None else _stored(encoder)
    errors = getattr(snapshot, "errors", None)
    return Frame(
        step=int(snapshot.step),
        epoch=float(snapshot.epoch),
        loss=float(loss),
        codes=codes,
        reconstructions=_read_only(np.asarray(snapshot.reconstructions, np.float16)),
        decoder_state=state,
        plane=fit_aligned_plane(codes, previous),
        encoder_state=encoder_state,
        errors=None if errors is None else _read_only(np.asarray(errors, np.float32)),
        errors_step=getattr(snapshot, "errors_step", None) if errors is not None else None,
    )


def _stored(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", STORED_DTYPE, copy=True).contiguous() for k, v in module.state_dict().items()}


@dataclass(frozen=True)
class DisplayRecord:
    """What every frame shares: the display set's labels and images, the sample originals, classes, model shape."""

    labels: np.ndarray  # (N,) int64
    display_images: np.ndarray  # (N, C, H, W) uint8
    originals: np.ndarray  # (K, C, H, W) float32 0–1
    classes: tuple[str, ...]
    model_config: ModelConfig
    #: The display images' positions in their split of the data set (Snapshot.data_indices); None where unknown.
    data_indices: np.ndarray | None = None
    data_split: str | None = None

    @classmethod
    def of(cls, snapshot: Snapshot, model_config: ModelConfig) -> DisplayRecord:
        data_indices = getattr(snapshot, "data_indices", None)
        return cls(
            _read_only(np.asarray(snapshot.labels, np.int64)),
            _read_only(np.asarray(snapshot.display_images, np.uint8)),
            _read_only(np.asarray(snapshot.originals, np.float32)),
            tuple(snapshot.classes),
            model_config,
            None if data_indices is None else _read_only(np.asarray(data_indices, np.int64)),
            getattr(snapshot, "data_split", None),
        )

    def matches(self, snapshot: Snapshot) -> bool:
        """The snapshot shows the same display set (a resumed run on the same data), so its frames continue these."""
        return (
            len(snapshot.labels) == len(self.labels)
            and np.array_equal(snapshot.labels, self.labels)
            and np.array_equal(snapshot.display_images, self.display_images)
        )


@dataclass(frozen=True)
class HistoryFrames:
    """An immutable view of a history at one moment: safe to hand to another thread."""

    display: DisplayRecord
    frames: tuple[Frame, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)  # "bounds", and "decoders" by frame id

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def steps(self) -> np.ndarray:
        return np.array([f.step for f in self.frames], np.int64)

    def index_at_step(self, step: int) -> int:
        """The frame at or just before `step` (the first one for an earlier step)."""
        return max(0, int(np.searchsorted(self.steps, step, side="right")) - 1)

    def bounds(self) -> tuple[float, float, float, float]:
        """x0, x1, y0, y1: fixed axes for a replay, so the points move and the axes do not.

        They cover the frames' points except for transients. Early in training a few steps can throw every code far
        away: a 20-epoch digits-5k run had |z| ≈ 70 at step 44 while the trained space spans about ±7. The box over
        every point of every frame would leave the trained space a speck in one corner. Instead, each frame counts
        with the box of its central 99 % of points, and the axes take the 10th percentile of the frames' lower edges
        and the 90th of their upper edges, widened to hold every point of the last frame (the trained space, whole).
        Points of the few frames outside that box are clipped at the edge.
        """
        if not self.frames:
            return (-1.0, 1.0, -1.0, 1.0)
        cached = self._cache.get("bounds")
        if cached is not None:
            return cached
        last = self.frames[-1].xy
        lows = np.percentile([np.percentile(f.xy, 0.5, axis=0) for f in self.frames], 10, axis=0)
        highs = np.percentile([np.percentile(f.xy, 99.5, axis=0) for f in self.frames], 90, axis=0)
        lows, highs = np.minimum(lows, last.min(axis=0)), np.maximum(highs, last.max(axis=0))
        highs = np.maximum(highs, lows + 1e-6)
        bounds = float(lows[0]), float(highs[0]), float(lows[1]), float(highs[1])
        self._cache["bounds"] = bounds  # the frames never change: computed once
        return bounds

    def decoder(self, index: int) -> nn.Module:
        """Frame `index`'s decoder as a float32 CPU module (built once, then cached for hover and scrubbing)."""
        frame = self.frames[index]
        decoders = self._cache.setdefault("decoders", {})
        cached = decoders.get(id(frame))
        if cached is not None and cached[0] is frame:
            return cached[1]
        module = _template_decoder(self.display.model_config)
        module.load_state_dict({k: v.float() for k, v in frame.decoder_state.items()})
        if len(decoders) > 32:  # a few dozen decoders (~0.4 MB each): scrubbing back and forth stays fast
            decoders.clear()
        decoders[id(frame)] = (frame, module)
        return module

    def snapshot(self, index: int) -> Snapshot:
        frame, display = self.frames[index], self.display
        return Snapshot(
            step=frame.step,
            epoch=frame.epoch,
            decoder=self.decoder(index),
            codes=np.array(frame.codes),  # a writable copy (torch warns about read-only arrays it is handed)
            labels=display.labels,
            display_images=display.display_images,
            originals=display.originals,
            reconstructions=frame.reconstructions.astype(np.float32),
            classes=display.classes,
            encoder=None if frame.encoder_state is None else LazyEncoder(lambda: self.encoder(index)),
            errors=frame.errors,
            errors_step=frame.errors_step,
            data_indices=display.data_indices,
            data_split=display.data_split,
        )

    def errors(self, index: int) -> np.ndarray:
        """Frame `index`'s reconstruction errors (N,) float32: those recorded with it where they are its own step's,
        else computed once from its stored decoder and codes (a frame read from a file, or one whose snapshot carried
        an earlier step's errors; float16 weights give errors within about 1e-3 of the live ones) and cached, so a
        selection sorted by error follows the scrubber."""
        frame = self.frames[index]
        if frame.errors is not None and frame.errors_step == frame.step:
            return frame.errors
        computed = self._cache.setdefault("errors", {})
        cached = computed.get(id(frame))
        if cached is not None and cached[0] is frame:
            return cached[1]
        from core.model.errors import reconstruction_errors

        errors = _read_only(reconstruction_errors(self.decoder(index), frame.codes, self.display.display_images))
        computed[id(frame)] = (frame, errors)
        return errors

    def encoder(self, index: int) -> nn.Module | None:
        """Frame `index`'s encoder as a float32 CPU module, or None where the frame kept none (read from a file)."""
        frame = self.frames[index]
        if frame.encoder_state is None:
            return None
        encoders = self._cache.setdefault("encoders", {})
        cached = encoders.get(id(frame))
        if cached is not None and cached[0] is frame:
            return cached[1]
        from core.model.snapshot_encoder import encoder_from_state

        module = encoder_from_state(self.display.model_config, frame.encoder_state)
        if len(encoders) > 32:
            encoders.clear()
        encoders[id(frame)] = (frame, module)
        return module

    def view(self, index: int) -> SnapshotView:
        """What the window shows of frame `index`: its points on its aligned plane, its decoder, its grids.

        Built on the caller's thread (the window's, when the slider picks a frame): the off-the-data meter's unit
        waits for the first hover.
        """
        return view_of(self.snapshot(index), self.frames[index].plane, prepare=False)


_TEMPLATES: dict[ModelConfig, nn.Module] = {}
_TEMPLATE_LOCK = threading.Lock()


def _template_decoder(config: ModelConfig) -> nn.Module:
    """A fresh decoder module of this shape, copied from a template (building the whole model each time costs more)."""
    with _TEMPLATE_LOCK:
        template = _TEMPLATES.get(config)
        if template is None:
            from core.model.vae import build_network

            template = build_network(config).decoder.eval()
            for parameter in template.parameters():
                parameter.requires_grad_(False)
            _TEMPLATES[config] = template
        return copy.deepcopy(template)


class RunHistory:
    """The frames of one run (and of the runs it continues), thinned to stay within `budget_bytes`."""

    def __init__(
        self,
        display: DisplayRecord | None = None,
        frames: Iterable[Frame] = (),
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.display = display
        self.budget_bytes = int(budget_bytes)
        self._frames: list[Frame] = list(frames)
        self._bytes = sum(f.nbytes for f in self._frames)
        self._lock = threading.Lock()
        self.thinned = 0  # frames dropped to stay within the budget

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def frames(self) -> tuple[Frame, ...]:
        with self._lock:
            return tuple(self._frames)

    def frozen(self) -> HistoryFrames | None:
        if self.display is None:
            return None
        return HistoryFrames(self.display, self.frames)

    def copy(self) -> RunHistory:
        """Another history holding the same (immutable) frames: a continued run appends to its own."""
        twin = RunHistory(self.display, self.frames, self.budget_bytes)
        twin.thinned = self.thinned
        return twin

    def record(self, snapshot: Snapshot, loss: float, model_config: ModelConfig) -> Frame | None:
        """Keep this snapshot as a frame; None when it repeats the last frame's step, shows another display set, or
        holds values that are not finite (they could be neither replayed nor stored)."""
        if self.display is None:
            self.display = DisplayRecord.of(snapshot, model_config)
        elif not self.display.matches(snapshot):
            return None  # e.g. a model opened on a fallback data set: its frames would not belong to these
        with self._lock:
            last = self._frames[-1] if self._frames else None
        if last is not None and last.step == snapshot.step:
            return None
        if not (np.isfinite(snapshot.codes).all() and np.isfinite(snapshot.reconstructions).all()):
            return None  # a network that overflowed (the run is about to end as diverged): nothing to replay
        frame = frame_of(snapshot, loss, last.plane if last is not None else None)
        if not all(bool(torch.isfinite(t).all()) for t in frame.decoder_state.values()):
            return None  # weights beyond float16's range (±65,504) would not survive being stored
        with self._lock:
            self._frames.append(frame)
            self._bytes += frame.nbytes
            self._thin()
        return frame

    def _thin(self) -> None:
        """Drop every other frame of the older half until within budget; the first and the newest always stay."""
        while self._bytes > self.budget_bytes and len(self._frames) > 2:
            frames = self._frames
            middle = max(2, len(frames) // 2)
            older = frames[1:middle]
            dropped = older[::2] if len(older) > 1 else older
            if not dropped:
                dropped = [frames[1]]
            keep = {id(f) for f in dropped}
            self._frames = [f for f in frames if id(f) not in keep]
            self._bytes -= sum(f.nbytes for f in dropped)
            self.thinned += len(dropped)


def thinned_evenly(frames: tuple[Frame, ...], count: int) -> tuple[Frame, ...]:
    """`count` frames spread evenly over `frames`, the first and last among them."""
    if count >= len(frames):
        return frames
    if count <= 1:
        return frames[-1:]
    picks = np.unique(np.round(np.linspace(0, len(frames) - 1, count)).astype(int))
    return tuple(frames[i] for i in picks)


class HistoryRecorder:
    """Consumes the engine's events and records each Snapshot with the loss of the step it shows.

    Used by the window's worker and by `convae-explorer train`; the engine itself does not know about it.
    """

    def __init__(self, history: RunHistory, model_config: ModelConfig) -> None:
        self.history, self._model_config = history, model_config
        self._loss = math.nan
        self.last_frame: Frame | None = None

    def consume(self, event: object) -> Frame | None:
        if isinstance(event, BatchEnd):
            self._loss = event.loss
            return None
        if isinstance(event, Snapshot):
            frame = self.history.record(event, self._loss, self._model_config)
            if frame is not None:
                self.last_frame = frame
            return frame
        return None
