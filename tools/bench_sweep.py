"""The sweep's bench figure: N one-epoch runs as one `sweep` on this machine's cores against the same N `train`
runs one after another, with Ray's start-up shown apart (docs/performance.md, "Sweeps").

    python tools/bench_sweep.py [--runs 4] [--dataset digits-5k] [--epochs 1]

Both sides use every core: each `train` trains on all of them (threads 0), the sweep runs one run per core (one
thread each, --cpus-per-run 1). The `train` side pays a Python start per run, as a user's loop of `train`
commands does; the sweep pays Ray's start once and a worker start per concurrent run.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--dataset", default="digits-5k")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    cli = [sys.executable, "-m", "core"]
    common = ["--dataset", args.dataset, "--epochs", str(args.epochs), "--device", "cpu", "--no-download"]
    seeds = [str(seed) for seed in range(1, args.runs + 1)]
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as folder:
        start = time.perf_counter()
        for seed in seeds:
            out = Path(folder) / f"train-{seed}.safetensors"
            subprocess.run([*cli, "train", *common, "--seed", seed, "--no-history", "--out", str(out)],
                           env=env, check=True, capture_output=True)  # fmt: skip
        one_after_another = time.perf_counter() - start

        start = time.perf_counter()
        done = subprocess.run(
            [*cli, "sweep", "--grid", "seed=" + ",".join(seeds), *common, "--no-history", "--threads", "1",
             "--cpus-per-run", "1", "--out", str(Path(folder) / "sweep")],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        sweep = time.perf_counter() - start
    found = re.search(r"Ray ready in ([\d.]+) s; runs took ([\d.]+) s", done.stdout)
    startup, runs = (float(found.group(1)), float(found.group(2))) if found else (float("nan"), float("nan"))
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{args.runs} × train, one after another: {one_after_another:.1f} s")
    print(f"sweep of the same {args.runs} runs: {sweep:.1f} s (Ray's start {startup:.1f} s, the runs {runs:.1f} s)")
    print(f"ratio one-after-another ÷ sweep: {one_after_another / sweep:.2f}× (without Ray's start: "
          f"{one_after_another / (sweep - startup):.2f}×)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
