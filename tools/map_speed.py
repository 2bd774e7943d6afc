"""Compare ways of decoding the 20×20 map (400 tiles), interleaved, on this machine: today's plain decoder in
batches of 128 against the folded decoder (core.model.fast_decode) at several batch sizes, at 1 and 2 torch threads.

    PYTHONPATH=$PWD python tools/map_speed.py [--repeats 9] [--threads 1 2]

Each round runs every candidate once, in turn, so a busy neighbour slows all of them alike; the table gives each
median and its ratio to today's path at the same thread count. `*` marks what core.latent.atlas.decode_map now does.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from core.data.datasets import load_builtin_digits
from core.latent.atlas import data_range, decode_map
from core.latent.view import view_of
from core.model.fast_decode import map_batch
from core.settings import ModelConfig, TrainConfig
from core.training.engine import Trainer
from core.training.thread_count import thread_count_kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    dataset = load_builtin_digits()
    snapshot = Trainer(dataset, TrainConfig(device="cpu"), ModelConfig(2, 1, 28)).snapshot()
    fast, plain = view_of(snapshot), view_of(snapshot)
    plain.__dict__["fast_decoder"] = snapshot.decoder  # the view as it decoded before: the plain decoder
    area = data_range(fast)
    reference = decode_map(plain, area, 20, batch=128).tiles
    worst = float(np.abs(decode_map(fast, area, 20).tiles - reference).max())
    print(f"largest difference folded vs plain over the 400 tiles: {worst:.1e}")
    with thread_count_kept():
        for threads in args.threads:
            torch.set_num_threads(threads)
            chosen = map_batch()
            candidates = {"plain decoder, batches of 128 (before)": (plain, 128, threads)}
            for batch in (50, 100, 200, 400):
                mark = " *" if batch == min(chosen, 400) else ""
                candidates[f"folded decoder, batches of {batch}{mark}"] = (fast, batch, threads)
            if threads > 1:  # is a second thread worth it here at all?
                candidates["folded decoder, batches of 100, 1 thread"] = (fast, 100, 1)
            times: dict[str, list[float]] = {name: [] for name in candidates}
            for view, batch, count in candidates.values():  # warm-up: kernels chosen for each batch size
                torch.set_num_threads(count)
                decode_map(view, area, 20, batch=batch)
            for _ in range(args.repeats):
                for name, (view, batch, count) in candidates.items():
                    torch.set_num_threads(count)
                    start = time.perf_counter()
                    decode_map(view, area, 20, batch=batch)
                    times[name].append(time.perf_counter() - start)
            before = statistics.median(times["plain decoder, batches of 128 (before)"])
            print(f"\n{threads} torch thread{'s' * (threads > 1)}, median of {args.repeats}, interleaved")
            for name, values in times.items():
                median = statistics.median(values)
                print(f"  {name:42s} {1000 * median:7.1f} ms   ratio {median / before:4.2f}")


if __name__ == "__main__":
    main()
