"""The bench's per-thread-count table alone (engine vs reference, and each CPU step runner), for a many-core host.

Run on a machine with more cores than CI's two, e.g. a GPU machine's 16-core host (CPU only):
`python3 tools/cpu_threads.py [--counts 1 2 4 8 16] [--full] [--settle-steps N] [--json PATH]`. The rows are what
core.training.step_runners.choose_step_runner rests on (core/bench/threads.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.bench.machine import format_machine, machine_info
from core.bench.reference_process import ReferenceProcess
from core.bench.threads import format_thread_table, measure_thread_table, thread_counts
from core.bench.training import _Plan, _Progress
from core.data.datasets import load_builtin_digits
from core.training.engine import resolve_device


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", help="thread counts (default: 1, 2, 4, 8, 16 as there are)")
    parser.add_argument("--full", action="store_true", help="the default bench's repeats, not --quick's")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--settle-steps",
        type=int,
        default=0,
        help="train the lecture's loop this many steps first, past its denormal gradients (core.training.denormals), so "
        "the rows compare the engine with it in its steady state (default 0: from a fresh run, as `bench`)",
    )
    args = parser.parse_args()
    print(format_machine(machine_info(resolve_device("cpu"))), flush=True)
    counts = args.counts or thread_counts()
    with ReferenceProcess() as reference:  # the lecture's loop in a process of its own, as `bench` measures it
        if args.settle_steps:
            reference.set_threads(max(counts))
            steps = reference.steps()
            for _ in range(args.settle_steps):
                next(steps)
            print(f"the lecture's loop trained {args.settle_steps} steps first", flush=True)
        plan = _Plan.for_run(not args.full)
        figures, rows = measure_thread_table(load_builtin_digits(), plan, _Progress(), counts, reference)
    print(format_thread_table(rows))
    for figure in figures:
        print(f"{figure.name}: {figure.value:.2f}{figure.unit} ({figure.detail})")
    if args.json:
        args.json.write_text(json.dumps([row.to_dict() for row in rows], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
