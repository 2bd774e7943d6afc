"""The learning rate at each step: constant (the lecture's), or one cycle (warm up, then anneal) over the run.

Why one cycle: at this network's early plateau (every image decoded to the mean digit, MSE ≈ 0.11) a large
constant learning rate stays stuck for hundreds of steps, while a small one is slow afterwards. Starting at
lr/25, rising to lr over the first 30 % of the run's steps and annealing to lr/250,000 by its end (the
shape and defaults of torch.optim.lr_scheduler.OneCycleLR, cosine both ways) gets past the plateau and ends
with small, precise steps. The rate is a pure function of the step and the run's length, so a stopped run
resumed from its checkpoint takes exactly the same steps (nothing but the step count needs saving).
"""

from __future__ import annotations

import math

from core.settings import LR_SCHEDULES as SCHEDULES

_WARMUP_SHARE, _START_DIVISOR, _END_DIVISOR = 0.3, 25.0, 1e4


def _cosine(start: float, end: float, share: float) -> float:
    """From start (share 0) to end (share 1) along half a cosine, as OneCycleLR anneals."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * min(max(share, 0.0), 1.0)) + 1.0)


def learning_rate(schedule: str, peak: float, step: int, total_steps: int) -> float:
    """The rate for optimizer step number `step` (0-based) of a run of `total_steps` steps."""
    if schedule == "constant":
        return peak
    if schedule != "onecycle":
        raise ValueError(f"learning-rate schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    start = peak / _START_DIVISOR
    end = start / _END_DIVISOR
    rise_end = max(1.0, _WARMUP_SHARE * total_steps - 1)
    last = max(rise_end + 1, total_steps - 1)
    if step <= rise_end:
        return _cosine(start, peak, step / rise_end)
    return _cosine(peak, end, (step - rise_end) / (last - rise_end))
