"""What the CPU engine adds to its step runner: the runner alone vs Trainer.run (commits, rollback copies, events).

`python3 tools/engine_overhead.py [--threads 1 2] [--rounds 5] [--window 30]`: interleaved windows of `window`
steps, medians in images/s, and the time one rollback copy (_LastGoodWeights.save) takes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.bench.threads import _runner, _runner_steps, _with_threads
from core.bench.training import _engine_steps, _interleaved_rates
from core.data.datasets import load_builtin_digits
from core.settings import TrainConfig
from core.training.engine import Trainer, _LastGoodWeights
from core.training.step_runners import choose_step_runner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--window", type=int, default=30)
    args = parser.parse_args()
    dataset = load_builtin_digits()
    cpu = torch.device("cpu")
    for threads in args.threads:
        torch.set_num_threads(threads)
        kind = choose_step_runner(cpu, threads, 32)
        runner = _runner(kind, dataset, threads)
        engine = Trainer(dataset, TrainConfig(device="cpu", epochs=10_000, num_threads=threads))
        contenders = [
            _with_threads(_runner_steps(runner, len(dataset.train), 32), threads),
            _with_threads(_engine_steps(engine), threads),
        ]
        for steps in contenders:
            for _ in range(5):
                next(steps)
        alone, inside = (statistics.median(r) for r in _interleaved_rates(contenders, args.rounds, args.window, cpu))
        backup = _LastGoodWeights(engine.model, engine.optimizer)
        backup.save()
        started = time.perf_counter()
        for _ in range(50):
            backup.save()
        copy_ms = 1000 * (time.perf_counter() - started) / 50
        print(
            f"{threads} thread(s), {kind}: runner alone {alone:,.0f} img/s, engine {inside:,.0f} img/s "
            f"(engine ÷ runner {inside / alone:.3f}); step {1000 * 32 / alone:.1f} ms, rollback copy {copy_ms:.2f} ms",
            flush=True,
        )
        runner.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
