"""When the engine makes a snapshot mid-run, and which snapshots decode every display image for its error.

A snapshot encodes the display set (2,000 images by default) so the latent panel shows the network as it is now;
its reconstruction errors decode them all once more (core.model.errors). On a GPU both take milliseconds. On a
2-core CPU each takes about as long as the other (the decoder's transposed convolutions cost what the encoder's
convolutions do): about 0.4 s each for the lecture's network. The two are paced apart:

- SnapshotPacer spaces mid-epoch snapshots so that they take at most their budget of the time (5 % by default).
- ErrorsBudget lets a snapshot made between training steps decode the errors only while the time spent decoding
  them stays within its own share of the run's time (1 % by default). Every epoch's end makes a snapshot whatever
  the pacer says, and on the built-in digits an epoch is 4 s on 2 cores: decoded at every snapshot, the errors took
  about a tenth of the training time. A snapshot that skips the decode carries the newest errors with the step they
  were decoded at (core.events.Snapshot.errors_step). Snapshots made while no step runs (the run's start, a pause,
  a stop, the end) always decode them: they cost no training time, and they are what the user then explores.
  So does a fresh run's first epoch end, counted in the budget: the start's errors are an untrained network's, and
  on 2 cores the budget's first decode would otherwise come about 40 s into the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class SnapshotPacer:
    """Spaces snapshots so that encoding the display set never eats more than a set share of training time."""

    def __init__(self, interval_s: float, budget: float) -> None:
        self._interval, self._budget = interval_s, budget
        self._next = 0.0

    def due(self) -> bool:
        return time.perf_counter() >= self._next

    def timed(self, make: Callable[[], T]) -> T:
        start = time.perf_counter()
        made = make()
        end = time.perf_counter()
        self._next = end + max(self._interval, (end - start) * (1 / self._budget - 1))
        return made


class ErrorsBudget:
    """Decides whether a snapshot made between steps may decode the display set's errors: only if, with this decode,
    the time spent on errors stays within `share` of the time since the run began.

    The cost of the next decode is taken to be the longest one so far (one decode took 0.2 s and the next 0.4 s on
    a 2-core host: taking the last as the estimate let a 50 s run spend 1.1 %); before the first, the caller's
    estimate (the display set's encoding, which costs about what its decoding does). A share of 1 or more decodes
    at every snapshot.
    """

    def __init__(self, share: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self._share, self._clock = share, clock
        self._start = clock()
        self.spent_s = 0.0  # time spent decoding errors for snapshots made between steps
        self._cost: float | None = None

    def allows(self, estimate_s: float) -> bool:
        if self._share >= 1:
            return True
        return self.spent_s + self.expected_s(estimate_s) <= self._share * (self._clock() - self._start)

    def expected_s(self, estimate_s: float) -> float:
        """The next decode's likely cost: the longest so far, else `estimate_s`."""
        return self._cost if self._cost is not None else estimate_s

    def spent(self, seconds: float, *, between_steps: bool) -> None:
        """A decode took `seconds`; only one made between steps counts against the share."""
        self._cost = max(seconds, self._cost or 0.0)
        if between_steps:
            self.spent_s += seconds
