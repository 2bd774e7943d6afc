"""20 epochs of 60,000 images through the real engine on a CUDA GPU, with each opt-in lever of core.training.gpu_levers.

Run on a GPU machine: `python3 tools/gpu_epochs.py [--epochs 20] [--json PATH]`. The 60,000 images are the built-in
digits repeated 12 times (MNIST cannot be fetched there; the step costs the same). Each variant is a fresh
Trainer(snapshots=False) as `convae-explorer train --no-history` runs it: the lecture's float32 maths, --compile,
--bf16, and both. It also times how long a fresh process takes to its first step with --compile: once with an
empty compile cache (every kernel compiled) and once with the cache the first left (what every later start pays).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.data.datasets import ImageDataset, ImageSplit, load_builtin_digits
from core.events import BatchEnd, EpochEnd
from core.settings import TrainConfig
from core.training.engine import Trainer

VARIANTS = {  # name: (bf16, compile)
    "lecture": (False, False),  # float32, one CUDA graph per step: the default
    "compile": (False, True),
    "bf16": (True, False),
    "compile+bf16": (True, True),
}


def repeated_digits(times: int) -> ImageDataset:
    """The built-in digits repeated `times` times: 5,000 × times images of the same size and classes."""
    digits = load_builtin_digits()
    split = ImageSplit(digits.train.images.repeat(times, 1, 1, 1), digits.train.labels.repeat(times))
    return ImageDataset(f"{digits.name} ×{times}", split, None, digits.classes)


def train(
    dataset: ImageDataset, epochs: int, bf16: bool, compiled: bool, device: str, first_only: bool = False
) -> dict:
    """Wall time of a whole run, time to its first step, and its last epoch's mean loss (first_only: the first step's
    time alone)."""
    config = TrainConfig(device=device, epochs=epochs, bf16=bf16, compile=compiled)
    trainer = Trainer(dataset, config)
    started = time.perf_counter()
    first_step = None
    epoch_s = []
    for event in trainer.run(snapshots=False):
        if isinstance(event, BatchEnd) and first_step is None:
            first_step = time.perf_counter() - started
            if first_only:
                return {"first_step_s": round(first_step, 2)}
        if isinstance(event, EpochEnd):
            epoch_s.append(event.seconds)
    if trainer.device.type == "cuda":
        torch.cuda.synchronize()
    wall = time.perf_counter() - started
    steps = trainer.progress.step
    return {
        "wall_s": round(wall, 2),
        "first_step_s": round(first_step or float("nan"), 2),
        "steady_ms_per_step": round(1000 * sorted(epoch_s)[len(epoch_s) // 2] / trainer.batches_per_epoch, 4),
        "steps": steps,
        "last_epoch_loss": round(trainer.progress.epoch_losses[-1], 5),
    }


def first_step_in_fresh_process(cache: Path, compiled: bool) -> dict:
    """A new Python process up to its first step (imports, CUDA start, compilation or loading it from `cache`)."""
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": str(cache)}
    command = [sys.executable, __file__, "--first-step"] + (["--compile"] if compiled else [])
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    result = {"process_s": round(time.perf_counter() - started, 2), "exit": done.returncode}
    if done.returncode == 0:
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    else:
        result["stderr"] = done.stderr[-2000:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=12, help="times the 5,000 digits are repeated (12: 60,000)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), help="run only these variants")
    parser.add_argument("--first-step", action="store_true", help=argparse.SUPPRESS)  # the child process's part
    parser.add_argument("--compile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.first_step:
        result = train(repeated_digits(1), 1, False, args.compile, args.device, first_only=True)
        print(json.dumps({"first_step_s": result["first_step_s"]}))
        return 0
    results: dict[str, dict] = {}
    if args.device.startswith("cuda"):
        print(f"torch {torch.__version__} · {torch.cuda.get_device_name()} · cudnn {torch.backends.cudnn.version()}")
        with tempfile.TemporaryDirectory() as cache:
            for label, compiled in (
                ("start, no compile", False),
                ("start, compile, cold cache", True),
                ("start, compile, warm cache", True),
            ):
                results[label] = first_step_in_fresh_process(Path(cache), compiled)
                print(f"{label:<36} {json.dumps(results[label])}", flush=True)
    dataset = repeated_digits(args.repeat)
    for name, (bf16, compiled) in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        try:
            results[name] = train(dataset, args.epochs, bf16, compiled, args.device)
        except Exception as error:  # one broken lever must not lose the others' figures
            results[name] = {"error": f"{type(error).__name__}: {error}"}
        print(f"{name:<36} {json.dumps(results[name])}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
