"""What the bench's measurements share: how much each repeats (Plan), progress lines (Progress), the engine driven
as headless training drives it, contenders timed in interleaved windows, and the median and range every figure
reports.

Every ratio the bench prints comes from two contenders measured in turn in one process (A, B, then B, A…), so a
machine that slows down or speeds up during the run favours neither; interleaved_rates is that rule, written once.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from core.events import BatchEnd
from core.training.control import TrainingControl
from core.training.engine import Trainer

#: Goals from the issue: the engine against the lecture's loop, per device type.
SPEEDUP_GOALS = {"cpu": 1.3, "cuda": 20.0}

#: Pause between two contenders' windows, not timed. After a window on a team of several threads, the team's spare
#: threads spin for a few milliseconds waiting for more work (0.16–0.2 CPUs of 2 at 30 steps a second, per-thread
#: /proc times); without the pause they spun into the next contender's window and slowed it, whichever it was.
SETTLE_S = 0.02


@dataclass(frozen=True)
class Plan:
    """How many repeats each figure gets: the default run fits 3 minutes on a 2-core CPU, --quick one."""

    warmup_steps: int
    rounds: int
    window: int
    snapshot_epochs: int
    encode_small: int
    encode_large: int
    large_images: int
    first_points: int

    @classmethod
    def for_run(cls, quick: bool) -> Plan:
        if quick:
            # Whole epochs with snapshots (~10 s each here) and 60,000-image passes (~15 s) do not fit a minute.
            return cls(3, 10, 4, snapshot_epochs=0, encode_small=3, encode_large=1, large_images=10_000, first_points=3)
        return cls(6, 24, 6, snapshot_epochs=2, encode_small=7, encode_large=2, large_images=60_000, first_points=5)


class Progress:
    """Progress lines on stderr, so stdout holds just the header and the table."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self._start:5.0f} s] {message}", file=sys.stderr, flush=True)


def engine_steps(trainer: Trainer) -> Iterator[int]:
    """The engine as headless training drives it (no snapshots), yielding the images of each step."""
    seen = 0
    for event in trainer.run(TrainingControl(), snapshots=False):
        if isinstance(event, BatchEnd):
            yield event.images_seen - seen
            seen = event.images_seen


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer stops when the work is done, not when it was queued."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def interleaved_rates(
    contenders: Sequence[Iterator[int]], rounds: int, window: int, device: torch.device
) -> list[list[float]]:
    """Images/s of each contender over `window` steps, taken in turn for `rounds` rounds.

    The order alternates (A, B, then B, A) so that a machine slowly speeding up or slowing down favours neither, and
    each window starts after an untimed pause of SETTLE_S, so no contender pays for the one before it.
    """
    rates: list[list[float]] = [[] for _ in contenders]
    for index in range(rounds):
        pairs = list(zip(contenders, rates, strict=True))
        for steps, out in pairs if index % 2 == 0 else pairs[::-1]:
            synchronize(device)
            time.sleep(SETTLE_S)  # the previous contender's idle OpenMP threads stop spinning before the clock starts
            start = time.perf_counter()
            images = sum(next(steps) for _ in range(window))
            synchronize(device)
            out.append(images / (time.perf_counter() - start))
    return rates


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values (a figure that was not measured)."""
    return float(statistics.median(values)) if values else math.nan


def spread(values: Sequence[float], fmt: str = ".0f") -> str:
    """'min–max' as a figure's detail prints a range of repeats, '—' for none."""
    return f"{min(values):{fmt}}–{max(values):{fmt}}" if values else "—"
