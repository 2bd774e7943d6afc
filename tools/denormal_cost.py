"""What denormal gradients cost the lecture's network on this CPU, layer by layer (core.training.denormals: why it matters).

`python3 tools/denormal_cost.py [--steps 30 300] [--threads 1]`: trains the lecture's loop (plain PyTorch, denormals
kept) for each number of steps, captures every layer's inputs and incoming gradient, and times each layer's
backward on those very tensors with denormals kept and with them flushed, medians of `--repeats`. It also prints
the share of the incoming gradient that is zero or denormal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.data.datasets import load_builtin_digits
from core.model.autoencoder import ConvAutoEncoder
from core.settings import ModelConfig

_SMALLEST_NORMAL = torch.finfo(torch.float32).tiny


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    for _ in range(3):
        work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _capture(model: nn.Module) -> dict[str, dict[str, torch.Tensor]]:
    captured: dict[str, dict[str, torch.Tensor]] = {}
    for name, layer in model.named_modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
            slot = captured.setdefault(name, {})
            layer.register_forward_hook(lambda _m, inputs, _o, slot=slot: slot.__setitem__("x", inputs[0].detach()))
            layer.register_full_backward_hook(lambda _m, _gi, go, slot=slot: slot.__setitem__("gy", go[0].detach()))
    return captured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = load_builtin_digits().train.images
    for steps in args.steps:
        torch.manual_seed(123)
        model = ConvAutoEncoder(ModelConfig())
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
        captured = _capture(model)
        for _ in range(steps):
            x = images[torch.randint(0, len(images), (32,))].float() / 255
            loss = F.mse_loss(model(x), x)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"after {steps} steps ({args.threads} thread(s)); loss {loss.item():.4f}")
        print(f"  {'layer':<12} {'tiny grads':>10} {'kept ms':>9} {'flushed ms':>11} {'ratio':>7}")
        total_kept = total_flushed = 0.0
        for name, slot in captured.items():
            layer = model.get_submodule(name)
            transposed = isinstance(layer, nn.ConvTranspose2d)
            x, gy, weight = slot["x"], slot["gy"], layer.weight.detach()

            def backward(x=x, gy=gy, weight=weight, layer=layer, transposed=transposed) -> object:
                return torch.ops.aten.convolution_backward(
                    gy,
                    x,
                    weight,
                    [weight.shape[1 if transposed else 0]],
                    list(layer.stride),
                    list(layer.padding),
                    list(layer.dilation),
                    transposed,
                    list(layer.output_padding),
                    1,
                    [True, True, True],
                )

            torch.set_flush_denormal(False)
            kept = _median_ms(backward, args.repeats)
            torch.set_flush_denormal(True)
            flushed = _median_ms(backward, args.repeats)
            torch.set_flush_denormal(False)
            total_kept, total_flushed = total_kept + kept, total_flushed + flushed
            tiny = float((gy.abs() < _SMALLEST_NORMAL).float().mean())
            print(f"  {name:<12} {100 * tiny:>9.0f}% {kept:>9.2f} {flushed:>11.2f} {kept / flushed:>6.1f}×")
        print(f"  {'all convs':<23} {total_kept:>9.2f} {total_flushed:>11.2f} {total_kept / total_flushed:>6.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
