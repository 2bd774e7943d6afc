"""A run's loss history: one growing record the window draws from and exports, never copied per panel."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from core.data.plain_text import one_line

RUNNING_WINDOW = 100  # as in the lecture


def running_average(losses: np.ndarray, window: int = RUNNING_WINDOW) -> np.ndarray:
    """Mean of the last `window` losses at each step (fewer at the start)."""
    if not len(losses):
        return np.zeros(0, np.float64)
    sums = np.cumsum(np.insert(np.asarray(losses, np.float64), 0, 0.0))
    ends = np.arange(1, len(losses) + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


class LossHistory:
    """Per-batch losses of a run, appended in bursts (~30 a second) into a buffer that doubles when full.

    `values` is a read-only view of the filled part: cheap to hand to a plot on every update.
    """

    def __init__(self, losses: Iterable[float] = ()) -> None:
        initial = np.asarray(list(losses) if not isinstance(losses, np.ndarray) else losses, np.float64)
        self._buffer = np.zeros(max(1024, 2 * len(initial)), np.float64)
        self._buffer[: len(initial)] = initial
        self._count = len(initial)

    def __len__(self) -> int:
        return self._count

    @property
    def values(self) -> np.ndarray:
        view = self._buffer[: self._count]
        view.flags.writeable = False
        return view

    def extend(self, losses: np.ndarray) -> None:
        losses = np.asarray(losses, np.float64)
        needed = self._count + len(losses)
        if needed > len(self._buffer):
            grown = np.zeros(max(needed, 2 * len(self._buffer)), np.float64)
            grown[: self._count] = self._buffer[: self._count]
            self._buffer = grown
        self._buffer[self._count : needed] = losses
        self._count = needed

    def to_csv(self, batches_per_epoch: int, comments: Iterable[str] = ()) -> str:
        """step, epoch (1-based), loss and its running average; `comments` first as '# ' lines.

        A comment names the run's data set, whose folder path may hold a line break or bytes that are not UTF-8:
        each comment is written on its own line with those escaped (core.data.plain_text), so it can neither end
        early and add a data row nor fail to encode.
        """
        losses = self.values
        average = running_average(losses)
        rows = [f"# {one_line(line)}" for line in comments]
        rows.append("step,epoch,loss,running_average")
        per_epoch = max(1, batches_per_epoch)
        rows.extend(
            f"{i + 1},{i // per_epoch + 1},{loss:.8g},{avg:.8g}"
            for i, (loss, avg) in enumerate(zip(losses, average, strict=True))
        )
        return "\n".join(rows) + "\n"
