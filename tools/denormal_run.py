"""The lecture's loop over a whole run, with denormals kept and flushed, in two processes side by side.

`python3 tools/denormal_run.py [--steps 2800] [--every 100]`: starts two processes at once, each training the
lecture's loop (core.bench.reference.ReferenceLoop, seed 123, one torch thread) on the built-in digits; one sets
torch.set_flush_denormal(True) before anything else. Each prints its images/s over every `every` steps and its
epoch losses; this script then prints the two side by side and the ratio of their total times. On a machine with
two free cores each process has one to itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _child(flush: bool, steps: int, every: int) -> None:
    import torch

    if flush:
        torch.set_flush_denormal(True)
    torch.set_num_threads(1)
    sys.path.insert(0, str(_ROOT))
    from core.bench.reference import ReferenceLoop
    from core.data.datasets import load_builtin_digits

    loop = ReferenceLoop(load_builtin_digits(), torch.device("cpu"))
    run = loop.steps()
    rates, images, start, began = [], 0, time.perf_counter(), time.perf_counter()
    for step in range(1, steps + 1):
        images += next(run)
        if step % every == 0:
            now = time.perf_counter()
            rates.append(images / (now - start))
            images, start = 0, now
    seconds = time.perf_counter() - began
    print(json.dumps({"rates": rates, "seconds": seconds, "epoch_losses": loop.epoch_losses}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=2800)
    parser.add_argument("--every", type=int, default=100)
    parser.add_argument("--child", choices=["kept", "flushed"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child == "flushed", args.steps, args.every)
        return 0
    command = [sys.executable, __file__, "--steps", str(args.steps), "--every", str(args.every), "--child"]
    children = {
        mode: subprocess.Popen([*command, mode], stdout=subprocess.PIPE, text=True) for mode in ("kept", "flushed")
    }
    results = {mode: json.loads(child.communicate()[0]) for mode, child in children.items()}
    kept, flushed = results["kept"]["rates"], results["flushed"]["rates"]
    print(f"{'steps':>11} {'kept img/s':>11} {'flushed img/s':>14} {'ratio':>6}")
    for index, (a, b) in enumerate(zip(kept, flushed, strict=True)):
        print(f"{index * args.every + 1:>5}–{(index + 1) * args.every:<5} {a:>11,.0f} {b:>14,.0f} {b / a:>5.2f}×")
    total = [results[mode]["seconds"] for mode in ("kept", "flushed")]
    print(f"whole run: {total[0]:.1f} s kept, {total[1]:.1f} s flushed: {total[0] / total[1]:.2f}×")
    for mode in ("kept", "flushed"):
        print(f"epoch losses, {mode}: " + " ".join(f"{loss:.4f}" for loss in results[mode]["epoch_losses"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
