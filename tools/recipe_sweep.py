"""Candidate fast recipes raced to the lecture's 20-epoch MSE, each in its own process, many at once on a big host.

`python3 tools/recipe_sweep.py --threads 2 --budget 150 [--json PATH]` runs every recipe of RECIPES below at the
same time (one process each, `--threads` torch threads each: 8 × 2 fills a 16-core host) on digits-5k's 4,500
training images (core.bench.target.held_out_split), until the running MSE ≤ 0.045 or `--budget` seconds of
training; then the 5-NN accuracy of the 500 held-out images' 2-D codes. Steps are the solid figure (a step of
the same batch costs the same in every recipe); seconds are per process on a shared host.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RECIPES = {  # name: (batch, peak lr, schedule, epochs of the schedule)
    "lecture": (32, 5e-4, "constant", 80),
    "fast (preset)": (32, 5e-3, "onecycle", 10),
    "b32 1e-2 8ep": (32, 1e-2, "onecycle", 8),
    "b32 5e-3 8ep": (32, 5e-3, "onecycle", 8),
    "b16 3e-3 5ep": (16, 3e-3, "onecycle", 5),
    "b16 2e-3 4ep": (16, 2e-3, "onecycle", 4),
    "b8 1e-3 3ep": (8, 1e-3, "onecycle", 3),
    "b64 1e-2 14ep": (64, 1e-2, "onecycle", 14),
}


def race(name: str, threads: int, budget_s: float) -> dict:
    import numpy as np
    import torch

    from core.bench.target import TARGET_MSE, held_out_split, knn_accuracy
    from core.data.datasets import load_builtin_digits
    from core.events import BatchEnd
    from core.settings import TrainConfig
    from core.training.engine import Trainer, encode_images
    from core.training.loss_history import RUNNING_WINDOW

    torch.set_num_threads(threads)
    batch, lr, schedule, epochs = RECIPES[name]
    split = held_out_split(load_builtin_digits())
    config = TrainConfig(device="cpu", epochs=epochs, batch_size=batch, lr=lr, lr_schedule=schedule,
                         num_threads=threads, display_size=1, sample_count=1)  # fmt: skip
    trainer = Trainer(split, config)
    losses, busy, reached = [], 0.0, None
    events = iter(trainer.run(snapshots=False))
    while busy < budget_s and reached is None:
        start = time.perf_counter()
        event = next(events, None)
        busy += time.perf_counter() - start
        if event is None:
            break
        if isinstance(event, BatchEnd):
            losses.append(event.loss)
            if np.mean(losses[-RUNNING_WINDOW:]) <= TARGET_MSE:
                reached = (event.step, busy)
    events.close()
    model = trainer.model
    train_codes = encode_images(model, split.train.images, trainer.device)
    codes = encode_images(model, split.test.images, trainer.device)
    knn = knn_accuracy(train_codes, split.train.labels.numpy(), codes, split.test.labels.numpy())
    return {
        "recipe": name,
        "reached_step": None if reached is None else reached[0],
        "reached_s": None if reached is None else round(reached[1], 1),
        "steps_run": trainer.progress.step,
        "busy_s": round(busy, 1),
        "running_mse": round(float(np.mean(losses[-RUNNING_WINDOW:])), 4),
        "ms_per_step": round(1000 * busy / max(1, trainer.progress.step), 1),
        "knn_held_out": round(100 * knn, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=150.0)
    parser.add_argument("--only", nargs="+")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    names = args.only or list(RECIPES)
    with multiprocessing.get_context("spawn").Pool(len(names)) as pool:
        results = pool.starmap(race, [(name, args.threads, args.budget) for name in names])
    for result in results:
        print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
