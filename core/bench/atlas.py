"""The exploration figures measured headless: decoding a 20×20 map, and the neighbour search behind the hover.

The map is decoded as the window does it (core.latent.atlas.decode_map through the view's folded decoder, batches sized
for the thread count): one torch thread, as its background thread runs while a run trains (the other core stays
with training and the window), and two, as it runs while none trains (core.runs.backend.decode_map_threads).
The search runs over 60,000 codes of the latent sizes the app offers most (2 and 16), as the hover asks it: one
query per move.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from core.bench.common import Progress, median
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.latent.atlas import data_range, decode_map
from core.latent.neighbours import NeighbourIndex
from core.latent.view import view_of
from core.model.fast_decode import map_batch
from core.settings import ModelConfig, TrainConfig
from core.training.engine import Trainer
from core.training.thread_count import thread_count_kept

MAP_GOAL_MS = 60.0
SEARCH_GOAL_MS = 2.0  # the neighbours' share of the hover's 6 ms


def measure_atlas(dataset: ImageDataset, quick: bool, say: Progress) -> list[Figure]:
    say("exploration: 20×20 map decode, neighbour search at 60,000 codes")
    view = view_of(
        Trainer(dataset, TrainConfig(device="cpu"), ModelConfig(2, dataset.channels, dataset.image_size)).snapshot()
    )
    area = data_range(view)
    repeats = 5 if quick else 11
    figures = []
    with thread_count_kept():
        for threads in (1, 2):
            torch.set_num_threads(threads)
            decode_map(view, area, 20)  # warm-up: kernels chosen for this batch size
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                decode_map(view, area, 20)
                times.append(time.perf_counter() - start)
            ms = 1000 * median(times)
            figures.append(
                Figure(
                    f"decoded map 20×20 (400 tiles), {threads} torch thread{'s' * (threads > 1)}",
                    ms,
                    "ms",
                    goal=f"≤ {MAP_GOAL_MS:g}",
                    met=ms <= MAP_GOAL_MS,
                    n=repeats,
                    detail=f"core.latent.atlas.decode_map, folded decoder, batches of {map_batch()}; the map thread "
                    + ("while a run trains" if threads == 1 else "while no run trains on a quiet machine"),
                )
            )
    rng = np.random.default_rng(0)
    for dim in (2, 16):
        index = NeighbourIndex(rng.normal(size=(60_000, dim)).astype(np.float32))
        queries = rng.normal(size=(200 if quick else 1000, dim))
        times = []
        for query in queries:
            start = time.perf_counter()
            found = index.nearest(query, 5)
            index.meter_for(found)
            times.append(time.perf_counter() - start)
        p95 = 1000 * float(np.percentile(times, 95))
        figures.append(
            Figure(
                f"5 nearest of 60,000 codes + meter ({dim}-D), p95",
                p95,
                "ms",
                goal=f"≤ {SEARCH_GOAL_MS:g}",
                met=p95 <= SEARCH_GOAL_MS,
                n=len(times),
                detail=f"brute force (core.latent.neighbours); median {1000 * median(times):.2f} ms",
            )
        )
    return figures
