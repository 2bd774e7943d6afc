"""Where a training step's GPU time goes at batch 32, and whether torch.compile shortens it.

Run on a GPU machine: `python3 tools/gpu_profile.py [--compile]`. Prints the kernels of eager steps sorted by
GPU time (torch.profiler), then the GPU time of one CUDA-graph replay for each variant.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpu_explore import Step, build, gpu_ms_per_replay, graphed, make_step  # the same step and capture, beside this

from core.data.datasets import load_builtin_digits


def replay_ms(step: Step, optimizer: torch.optim.Optimizer, batches: torch.Tensor) -> tuple[float, float]:
    """GPU ms per replay of the captured step, and the loss after 300 replays on varying batches."""
    replay = graphed(step, optimizer, batches)
    losses = [replay(batches[i % len(batches)]) for i in range(300)]
    return gpu_ms_per_replay(replay.graph), float(torch.stack(losses[-100:]).mean())  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    device = torch.device("cuda")
    images = load_builtin_digits().train.images.to(device)
    batches = torch.randint(0, len(images), (400, 32), generator=torch.Generator().manual_seed(1)).to(device)

    for name, channels_last, amp in (("fp32 NCHW", False, False), ("bf16 channels_last", True, True)):
        model, optimizer = build(device, channels_last)
        step = make_step(model, optimizer, images, amp)
        for i in range(20):
            step(batches[i])
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for i in range(20):
                step(batches[i])
            torch.cuda.synchronize()
        print(f"\n== kernels of 20 eager steps, {name}")
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=28, max_name_column_width=90))

    variants = [("fp32", False, False, None), ("bf16 channels_last", True, True, None)]
    if args.compile:
        variants += [("compiled fp32", False, False, "default"), ("compiled bf16 channels_last", True, True, "default")]
        variants += [("max-autotune fp32", False, False, "max-autotune-no-cudagraphs")]
    print("\n== GPU time per graph replay")
    for name, channels_last, amp, mode in variants:
        started = time.perf_counter()
        try:
            torch._dynamo.reset()
            model, optimizer = build(device, channels_last)
            forward = torch.compile(model, mode=mode) if mode else model
            ms, loss = replay_ms(make_step(forward, optimizer, images, amp), optimizer, batches)
            built = time.perf_counter() - started
            print(f"{name:<32} {ms:.3f} ms  loss {loss:.4f}  (built in {built:.0f} s)", flush=True)
        except Exception as error:
            print(f"{name:<32} failed: {type(error).__name__}: {str(error)[:300]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
