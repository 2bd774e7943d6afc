"""Which levers pay on a CUDA GPU at batch 32: each variant of the training step timed in one process.

Run on a GPU machine: `python3 tools/gpu_explore.py [--json PATH]`. Every variant starts from the same weights
and trains on the same batches; it prints the median step time over several windows and the mean loss of the
last window (a rough check that a variant still learns the same). Needs only torch and this repository.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.bench import ReferenceLoop
from core.data.datasets import load_builtin_digits
from core.model.autoencoder import ModelConfig
from core.training.engine import build_model, build_optimizer
from core.training.step_runners import to_float

BATCH, WARMUP, WINDOWS, WINDOW = 32, 30, 7, 300
Step = Callable[[torch.Tensor], torch.Tensor]


def build(device: torch.device, channels_last: bool) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """The engine's seeded model and optimizer on `device`, optionally with channels_last weights."""
    model = build_model(ModelConfig(), 123).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model, build_optimizer(model, 5e-4)


def gpu_ms_per_replay(graph: torch.cuda.CUDAGraph, count: int = 500) -> float:
    """GPU time alone: replays back to back, timed with CUDA events."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(count):
        graph.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / count


def make_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, amp: bool) -> Step:
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


def graphed(step: Step, optimizer: torch.optim.Optimizer, batches: torch.Tensor) -> Step:
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

    def replay(indices: torch.Tensor) -> torch.Tensor:
        static.copy_(indices, non_blocking=True)
        graph.replay()
        return loss.clone()

    replay.graph = graph  # type: ignore[attr-defined]
    return replay


def time_steps(step: Step, batches: torch.Tensor, sync_each: bool) -> tuple[float, list[float], float]:
    """Median ms/step over WINDOWS windows, all window times, mean loss of the last window."""
    position = 0

    def run(count: int) -> list[torch.Tensor]:
        nonlocal position
        losses = []
        for _ in range(count):
            loss = step(batches[position % len(batches)])
            position += 1
            if sync_each:
                loss = torch.tensor(loss.item())
            losses.append(loss)
        return losses

    run(WARMUP)
    times = []
    for _ in range(WINDOWS):
        torch.cuda.synchronize()
        start = time.perf_counter()
        losses = run(WINDOW)
        torch.cuda.synchronize()
        times.append(1000 * (time.perf_counter() - start) / WINDOW)
    return statistics.median(times), times, float(torch.stack([loss.cpu() for loss in losses]).mean())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    device = torch.device("cuda")
    dataset = load_builtin_digits()
    images = dataset.train.images.to(device)
    generator = torch.Generator().manual_seed(1)
    batches = torch.randint(0, len(images), (WARMUP + WINDOWS * WINDOW + 8, BATCH), generator=generator).to(device)
    print(f"torch {torch.__version__} · {torch.cuda.get_device_name()} · cudnn {torch.backends.cudnn.version()}")
    print(f"tf32: cudnn {torch.backends.cudnn.allow_tf32}, matmul {torch.backends.cuda.matmul.allow_tf32}")
    results: dict[str, dict] = {}

    def report(name: str, ms: float, times: list[float], loss: float) -> None:
        results[name] = {"ms_per_step": ms, "windows": times, "last_window_loss": loss, "img_s": BATCH * 1000 / ms}
        print(f"{name:<44} {ms:7.3f} ms/step  {BATCH * 1000 / ms:9,.0f} img/s  loss {loss:.4f}", flush=True)

    # The lecture's loop on this GPU: PIL + ToTensor + DataLoader, loss.item() each step.
    reference = ReferenceLoop(dataset, device)
    steps = reference.steps()
    for _ in range(WARMUP):
        next(steps)
    ref_times = []
    for _ in range(WINDOWS):
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(100):
            next(steps)
        torch.cuda.synchronize()
        ref_times.append(10 * (time.perf_counter() - start))
    report("reference (DataLoader, PIL, .item())", statistics.median(ref_times), ref_times, float("nan"))

    variants = [
        # name, channels_last, amp, graph, sync each step, cudnn.benchmark
        ("eager, .item() every step (old engine)", False, False, False, True, False),
        ("eager, no sync", False, False, False, False, False),
        ("graph, .item() every step", False, False, True, True, False),
        ("graph, no sync (engine)", False, False, True, False, False),
        ("graph + cudnn.benchmark", False, False, True, False, True),
        ("graph + channels_last", True, False, True, False, False),
        ("graph + bf16 autocast", False, True, True, False, False),
        ("graph + channels_last + bf16", True, True, True, False, False),
        ("graph, no sync (engine) again", False, False, True, False, False),
    ]
    for name, channels_last, amp, use_graph, sync_each, benchmark in variants:
        torch.backends.cudnn.benchmark = benchmark
        model, optimizer = build(device, channels_last)
        step = make_step(model, optimizer, images, amp)
        if use_graph:
            step = graphed(step, optimizer, batches)
        try:
            report(name, *time_steps(step, batches, sync_each))
        except Exception as error:  # one broken variant must not lose the others
            print(f"{name:<44} failed: {type(error).__name__}: {error}", flush=True)
        if use_graph and hasattr(step, "graph") and name in results:
            gpu_ms = gpu_ms_per_replay(step.graph)  # type: ignore[attr-defined]
            results[name]["gpu_ms_per_replay"] = gpu_ms
            print(f"{'':<44} GPU time per replay {gpu_ms:.3f} ms", flush=True)
    torch.backends.cudnn.benchmark = False
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
