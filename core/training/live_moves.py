"""When the live view's points move between two full snapshots, and where their new codes come from.

Why one clock for every kind of move: the window's latent panel should move at least once a second while training
(issue 25, defect 9). Before, batch codes (core.training.batch_codes), re-encoded slices and snapshots each kept a
timer of their own, and the gaps between moves added up: a slice's cost postponed the next slice by 65 times that
cost (a 1.5 % budget), so one slice slowed by a busy host held the points still for seconds (bench: 4.4-13 s), and a
full snapshot (0.3-0.4 s of encoding on 2 cores) came on top of a whole live interval. Here any move (a snapshot or
LivePoints) restarts one clock; LivePoints are due one interval after the last move; and a snapshot is led by
LivePoints when the interval would run out while it encodes, so the largest gap is about one interval plus a step,
or one snapshot's encoding, whichever is longer.

Where the codes come from: the batches' own forward passes where they hold display images (free), else a rotating
slice of the display set re-encoded with the current weights, sized from the cheapest recent slices per image to
cost `budget` of the interval. Its cost never postpones the next slice: a slice slowed by other processes says
little about the next one, and the next slice is made smaller instead.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from core.events import LivePoints
from core.training.batch_codes import BatchCodes

#: How many recent slices the per-image cost is the least of: one slice slowed by other processes does not shrink
#: the next ones, and a host that is slower for good is noticed within a few seconds.
_COST_MEMORY = 5
#: The smallest slice worth a move.
_LEAST_SLICE = 4

#: Encodes display images (positions in the display set) with the current weights: (M,) → (M, latent_dim) float32.
Encode = Callable[[np.ndarray], np.ndarray]


class LiveSlices:
    """Re-encodes a rotating slice of the display set, sized to cost about `budget` of each `interval_s`."""

    def __init__(self, count: int, interval_s: float, budget: float) -> None:
        self._count = count
        self._target_s = interval_s * budget / (1 - budget)  # the slice's share of the time between two moves
        self._per_image: deque[float] = deque(maxlen=_COST_MEMORY)
        self._size = min(count, 8)
        self._offset = 0

    def take(self, encode: Encode) -> tuple[np.ndarray, np.ndarray]:
        """The next slice's (positions, codes)."""
        indices = (self._offset + np.arange(self._size)) % self._count
        self._offset = (self._offset + self._size) % self._count
        start = time.perf_counter()
        codes = encode(indices)
        self._per_image.append((time.perf_counter() - start) / len(indices))
        fits = self._target_s / max(min(self._per_image), 1e-7)
        # A power of two: the encoder meets a few batch sizes only, so their kernels' set-up is paid once each.
        size = 1 << int(math.log2(max(_LEAST_SLICE, fits)))
        self._size = int(min(self._count, size))
        return indices.astype(np.int64), codes


class LiveMoves:
    """The live clock of one run: when the points move next, and the LivePoints that move them."""

    def __init__(self, count: int, interval_s: float, budget: float, batch_codes: BatchCodes | None) -> None:
        self._count, self._interval = count, interval_s
        self.batch_codes = batch_codes
        self._slices = LiveSlices(count, interval_s, budget) if count else None
        self._last: float | None = None  # the last move; None before the first snapshot (no view to move points on)

    def moved(self) -> None:
        """Every point has just moved (a full snapshot): collected batch codes are older than it, and the clock
        restarts."""
        if self.batch_codes is not None:
            self.batch_codes.clear()
        self._last = time.perf_counter()

    def due(self) -> bool:
        """An interval has passed since the last move, or the batches have just moved every display point (the
        first epoch's first 40 %: core.training.batch_codes)."""
        if self._last is None:
            return False
        if self.batch_codes is not None and self.batch_codes.complete:
            return True
        return self._slices is not None and time.perf_counter() - self._last >= self._interval

    def due_during(self, seconds: float) -> bool:
        """The interval would run out during the next `seconds` (a snapshot's encoding): move the points first."""
        if self._last is None or self._slices is None:
            return False
        return time.perf_counter() - self._last + seconds >= self._interval

    def take(self, step: int, epoch: float, encode: Encode) -> LivePoints:
        """The points to move now: the batches' codes since the last move, else a re-encoded slice. Call it only
        while no step waits to be committed (the weights are those after `step`)."""
        if self.batch_codes is not None and self.batch_codes.pending:
            points = self.batch_codes.take(step, epoch)
        else:
            assert self._slices is not None
            indices, codes = self._slices.take(encode)
            points = LivePoints(step, epoch, indices, codes)
        self._last = time.perf_counter()
        return points
