"""The figures of finding what the model gets wrong: what the snapshots' reconstruction errors cost the training,
and how fast a lasso over 60,000 points resolves.

Errors: a snapshot decodes all display images to carry their errors (core.model.errors) where the run's errors
budget allows (core.training.snapshot_pacing: always where no step runs, between steps within 1 % of the run's
time). The figure is a real run of the built-in digits as the window trains them (snapshots, epoch ends included,
and live points), long enough for the budget to let decodes in between steps: the time spent decoding errors
between steps ÷ the run's time until the stop. The detail says what decoding them at every snapshot would have
cost in the same run.

Lasso: core.latent.lasso.points_in_polygon over 60,000 points in ten clusters (the shape of a trained latent space),
with a hand-drawn-like lasso of 500 vertices, as the window resolves it on release of the mouse.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from core.bench.common import Progress, median
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.events import BatchEnd, Snapshot
from core.latent.lasso import points_in_polygon
from core.settings import TrainConfig
from core.training.engine import Trainer, TrainingControl
from core.training.pacing import window_pacing

ERRORS_GOAL_PERCENT = 1.0
#: Seconds of training in the figure's run: the budget lets the first decode between steps in after about 100 times
#: its cost (0.4 s on 2 cores), so the run must last longer than that for the figure to count one.
ERRORS_RUN_S_QUICK = 50.0
ERRORS_RUN_S = 120.0
LASSO_GOAL_MS = 50.0
LASSO_POINTS = 60_000
LASSO_VERTICES = 500


def measure_errors(
    dataset: ImageDataset, device: torch.device, quick: bool, say: Progress, run_s: float | None = None
) -> list[Figure]:
    """The errors' share (a run of `run_s` seconds; None: the bench's length) and the lasso."""
    seconds = run_s if run_s is not None else ERRORS_RUN_S_QUICK if quick else ERRORS_RUN_S
    return [_errors_share(dataset, device, seconds, say), _lasso(quick, say)]


def _errors_share(dataset: ImageDataset, device: torch.device, seconds: float, say: Progress) -> Figure:
    trainer = Trainer(dataset, TrainConfig(device=str(device), epochs=10_000))
    pacing = window_pacing(device.type, trainer.threads)
    say(f"errors: {seconds:g} s of training as the window does, snapshots with their errors as the budget allows")
    control = TrainingControl()
    events = trainer.run(control, live_every_s=pacing.live_points_s, live_budget=pacing.live_points_budget)
    start = time.perf_counter()
    spent = elapsed = None
    between = decoded = 0  # snapshots made between steps, and those of them that decoded their errors
    for event in events:
        if isinstance(event, Snapshot) and spent is None and event.step > 0:
            between += 1
            decoded += event.errors_step == event.step
        elif isinstance(event, BatchEnd) and spent is None and time.perf_counter() - start >= seconds:
            spent, elapsed = trainer.errors_budget.spent_s, time.perf_counter() - start
            control.stop()  # the stop's snapshot decodes its errors with training stopped: not counted
    assert spent is not None and elapsed is not None
    share = 100 * spent / elapsed
    cost = trainer.errors_budget.expected_s(0.0)
    every = 100 * cost * between / elapsed
    return Figure(
        "reconstruction errors of the display set, share of training time",
        share,
        "%",
        goal=f"≤ {ERRORS_GOAL_PERCENT:g}",
        met=share <= ERRORS_GOAL_PERCENT,
        n=decoded,
        detail=f"a {elapsed:.0f} s run of {dataset.name} on {device}: {decoded} of its {between} snapshots between "
        f"steps decoded their {len(trainer.display.images):,} errors ({1000 * cost:.0f} ms each), the others carried "
        f"the newest; decoded at every snapshot they would have cost {every:.1f} %",
    )


def lasso_points(count: int, seed: int = 0) -> np.ndarray:
    """(count, 2) points in ten Gaussian clusters on a ring: a trained 2-D latent space's shape, seeded."""
    rng = np.random.default_rng(seed)
    centres = 3 * np.column_stack([np.cos(np.arange(10) * 0.63), np.sin(np.arange(10) * 0.63)])
    return (centres[rng.integers(0, 10, count)] + rng.normal(0, 0.6, (count, 2))).astype(np.float32)


def lasso_polygon(vertices: int, seed: int = 1) -> np.ndarray:
    """A closed, wobbly loop of `vertices` points around half the ring, as a hand drags a lasso."""
    rng = np.random.default_rng(seed)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = 2.5 + 0.3 * np.sin(7 * angles) + rng.normal(0, 0.05, vertices)
    return np.column_stack([1.5 + radius * np.cos(angles), 1 + radius * np.sin(angles)])


def _lasso(quick: bool, say: Progress) -> Figure:
    points, polygon = lasso_points(LASSO_POINTS), lasso_polygon(LASSO_VERTICES)
    repeats = 5 if quick else 15
    say(f"lasso: {LASSO_POINTS:,} points, {LASSO_VERTICES} vertices ×{repeats}")
    inside = points_in_polygon(points, polygon)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        inside = points_in_polygon(points, polygon)
        times.append(time.perf_counter() - start)
    ms = 1000 * median(times)
    return Figure(
        f"lasso over {LASSO_POINTS:,} points resolved",
        ms,
        "ms",
        goal=f"≤ {LASSO_GOAL_MS:g}",
        met=ms <= LASSO_GOAL_MS,
        n=repeats,
        detail=f"core.latent.lasso.points_in_polygon, a {LASSO_VERTICES}-vertex lasso holding {int(inside.sum()):,} "
        "points (ten clusters on a ring); fastest "
        f"{1000 * min(times):.1f} ms",
    )
