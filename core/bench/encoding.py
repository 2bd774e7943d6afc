"""The encoding figures: time to the first points, and encoding 2,000 and 60,000 images."""

from __future__ import annotations

import math
import time
from typing import Any

import torch

from core.bench.common import Plan, Progress, median, synchronize
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.settings import TrainConfig
from core.training.engine import Trainer, encode_images


def measure_encoding(dataset: ImageDataset, device: torch.device, plan: Plan, say: Progress) -> list[Figure]:
    """The time to the first points (a fresh trainer's first snapshot), then encoding 2,000 and 60,000 images.

    First points go first, while the encoder's kernels for 1,024-image chunks are not yet set up in this process,
    as when the window starts a run; the first of those repeats is quoted on its own.
    """
    say(f"encoding: first points on a fresh trainer ×{plan.first_points}")
    build_s, snapshot_s = [], []
    for _ in range(plan.first_points):
        start = time.perf_counter()
        trainer = Trainer(dataset, TrainConfig(device=str(device)))
        built = time.perf_counter()
        trainer.snapshot()
        synchronize(device)
        build_s.append(built - start)
        snapshot_s.append(time.perf_counter() - built)

    model, small = trainer.model, trainer.display.images
    large = _synthetic(dataset.train.images, plan.large_images)
    say(f"encoding: {len(small):,} images ×{plan.encode_small}, {len(large):,} images ×{plan.encode_large}")
    small_s = _timed(lambda: encode_images(model, small, device), plan.encode_small, device)
    large_s = _timed(lambda: encode_images(model, large, device), plan.encode_large, device)
    return [
        Figure(
            "first points: snapshot of a fresh trainer",
            1000 * median(snapshot_s),
            "ms",
            n=len(snapshot_s),
            detail=f"encodes the {len(small):,} display images, reconstructs the samples, copies the decoder; "
            f"first of the {len(snapshot_s)} {1000 * snapshot_s[0]:.0f} ms; building the Trainer before it "
            f"{1000 * median(build_s):.0f} ms",
        ),
        Figure(
            f"encode the display set ({len(small):,} images)",
            len(small) / median(small_s),
            "img/s",
            n=len(small_s),
            detail=f"median {1000 * median(small_s):.0f} ms per pass (core.training.engine.encode_images)",
        ),
        Figure(
            f"encode {len(large):,} images",
            len(large) / median(large_s),
            "img/s",
            n=len(large_s),
            detail=f"median {median(large_s):.1f} s per pass; the {len(dataset.train):,} built-in digits repeated"
            + ("" if len(large) == 60_000 else "; 60,000 without --quick"),
        ),
    ]


def _synthetic(images: torch.Tensor, count: int) -> torch.Tensor:
    repeats = math.ceil(count / len(images))
    return images.repeat(repeats, 1, 1, 1)[:count].contiguous()


def _timed(action: Any, repeats: int, device: torch.device) -> list[float]:
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        action()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times
