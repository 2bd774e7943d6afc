"""Where a training step's GPU time goes at batch 32, and whether torch.compile shortens it.

Run on a GPU machine: `python3 tools/gpu_profile.py [--compile]`. Prints the kernels of eager steps sorted by
GPU time (torch.profiler), then the GPU time of one CUDA-graph replay for each variant.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.datasets import load_builtin_digits
from core.engine import build_model, build_optimizer
from core.model import ModelConfig
from core.steps import to_float


def make_step(model, optimizer, images, amp: bool):
    def step(indices: torch.Tensor) -> torch.Tensor:
        x = to_float(images[indices])
        with torch.autocast("cuda", dtype=torch.bfloat16) if amp else nullcontext():
            out = model(x)
        loss = F.mse_loss(out.float(), x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def replay_ms(step, optimizer, batches: torch.Tensor) -> tuple[float, float]:
    """GPU ms per replay of the captured step, and the loss after 300 replays on varying batches."""
    static = batches[0].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for i in range(3):
            step(batches[i])
    torch.cuda.current_stream().wait_stream(side)
    optimizer.zero_grad(set_to_none=True)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        loss = step(static)
    losses = []
    for i in range(300):
        static.copy_(batches[i % len(batches)])
        graph.replay()
        losses.append(loss.clone())
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(500):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 500, float(torch.stack(losses[-100:]).mean())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    device = torch.device("cuda")
    images = load_builtin_digits().train.images.to(device)
    batches = torch.randint(0, len(images), (400, 32), generator=torch.Generator().manual_seed(1)).to(device)

    for name, channels_last, amp in (("fp32 NCHW", False, False), ("bf16 channels_last", True, True)):
        model = build_model(ModelConfig(), 123).to(device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        optimizer = build_optimizer(model, 5e-4)
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
            model = build_model(ModelConfig(), 123).to(device)
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
            optimizer = build_optimizer(model, 5e-4)
            forward = torch.compile(model, mode=mode) if mode else model
            ms, loss = replay_ms(make_step(forward, optimizer, images, amp), optimizer, batches)
            built = time.perf_counter() - started
            print(f"{name:<32} {ms:.3f} ms  loss {loss:.4f}  (built in {built:.0f} s)", flush=True)
        except Exception as error:
            print(f"{name:<32} failed: {type(error).__name__}: {str(error)[:300]}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
