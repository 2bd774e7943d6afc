"""The figures of finding what the model gets wrong: what the snapshots' reconstruction errors cost the training,
and how fast a lasso over 60,000 points resolves.

Errors: every snapshot decodes all display images once more to carry their errors (core.model.errors), inside the
snapshot, so the engine's snapshot pacer counts them with the rest of it. A snapshot and the errors alone are timed
in turn on the engine's own threads, and the share follows from the pacer's rule (the next snapshot waits at least
`snapshot_interval_s`, and long enough that snapshots take at most `snapshot_budget` of the time): the errors'
share of a run's time in steady state, with no need to train for minutes until the pacer has spaced a few of them.

Lasso: core.latent.lasso.points_in_polygon over 60,000 points in ten clusters (the shape of a trained latent space),
with a hand-drawn-like lasso of 500 vertices, as the window resolves it on release of the mouse.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from core.bench.common import Progress, median, synchronize
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.latent.lasso import points_in_polygon
from core.model.errors import reconstruction_errors
from core.settings import TrainConfig
from core.training.engine import Trainer
from core.training.thread_count import thread_count_kept

ERRORS_GOAL_PERCENT = 1.0
LASSO_GOAL_MS = 50.0
LASSO_POINTS = 60_000
LASSO_VERTICES = 500


def measure_errors(dataset: ImageDataset, device: torch.device, quick: bool, say: Progress) -> list[Figure]:
    return [_errors_share(dataset, device, quick, say), _lasso(quick, say)]


def _errors_share(dataset: ImageDataset, device: torch.device, quick: bool, say: Progress) -> Figure:
    trainer = Trainer(dataset, TrainConfig(device=str(device)))
    config, display = trainer.config, trainer.display
    repeats = 3 if quick else 7
    say(f"errors: a snapshot and its errors alone ({len(display.images):,} display images) ×{repeats}, in turn")
    snapshot_s, errors_s = [], []
    with thread_count_kept():
        torch.set_num_threads(trainer.threads)  # as the engine's thread runs them
        snapshot = trainer.snapshot()  # warm-up: the kernels for these batch sizes are chosen
        for index in range(repeats):
            for kind in ("snapshot", "errors") if index % 2 == 0 else ("errors", "snapshot"):
                synchronize(device)
                start = time.perf_counter()
                if kind == "snapshot":
                    snapshot = trainer.snapshot()
                else:
                    trainer.model.eval()
                    reconstruction_errors(trainer.model.decoder, snapshot.codes, display.images, device)
                    trainer.model.train()
                synchronize(device)
                (snapshot_s if kind == "snapshot" else errors_s).append(time.perf_counter() - start)
    whole, errors = median(snapshot_s), median(errors_s)
    budget, interval = config.snapshot_budget, config.snapshot_interval_s
    # The pacer (core.training.engine._SnapshotPacer): the next snapshot comes max(interval, cost·(1/budget − 1))
    # after one ends, so a snapshot of cost S recurs every S + that gap.
    period = whole + max(interval, whole * (1 / budget - 1))
    without = whole - errors
    period_without = without + max(interval, without * (1 / budget - 1))
    share = 100 * errors / period
    bound = "the time budget" if whole * (1 / budget - 1) > interval else f"the {interval:g} s least interval"
    return Figure(
        "reconstruction errors of the display set, share of training time",
        share,
        "%",
        goal=f"≤ {ERRORS_GOAL_PERCENT:g}",
        met=share <= ERRORS_GOAL_PERCENT,
        n=repeats,
        detail=f"{1000 * errors:.0f} ms of a {1000 * whole:.0f} ms snapshot ({len(display.images):,} images, "
        f"core.model.errors on {device}); the pacer ({100 * budget:g} % budget, {interval:g} s least) then spaces "
        f"snapshots every {period:.1f} s ({bound}), every {period_without:.1f} s without the errors",
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
