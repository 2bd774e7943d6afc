"""`convae-explorer bench`: the figures that matter, each measured side by side with its contender in one run.

Why it is built this way: the machine may be shared and busy, so every figure is a median of repeated
measurements, every ratio comes from the two contenders interleaved in this one process (A, B, B, A…), and the
CPU time other processes took during the run is printed beside the figures so a noisy run can be told from a
quiet one. Nothing here imports Qt: the GUI figures come from `explorer.bench_gui` when it can be imported.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import textwrap
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from core.config import ModelConfig, TrainConfig
from core.control import TrainingControl
from core.datasets import ImageDataset, ImageSplit, load_builtin_digits
from core.engine import Trainer, encode_images, resolve_device
from core.events import BatchEnd, EpochEnd, Snapshot
from core.model import ConvAutoEncoder
from core.steps import splits_batches

#: Goals from the issue: the engine against the lecture's loop, per device type.
SPEEDUP_GOALS = {"cpu": 1.3, "cuda": 20.0}
#: The reference run's 20th-epoch MSE on digits-5k (seed 123), and the lecture's 20 MNIST epochs on its GPU.
REFERENCE_MSE = 0.044
LECTURE_GPU_MINUTES = 8.3
EXIT_INTERRUPTED = 130

_ENDLESS_EPOCHS = 10_000  # a trainer the bench stops itself


@dataclass
class Figure:
    """One measured figure, as the table prints it and the JSON stores it (explorer.bench_gui builds these too).

    `goal` is the target without its unit ("≥ 1.3"; the unit is added when printed); `met` is None when the
    figure has no goal; `n` is how many measurements the median (or ratio of medians) was taken over.
    """

    name: str
    value: float | None
    unit: str
    goal: str | None = None
    met: bool | None = None
    n: int = 1
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: {name, value, unit, goal, met, n, detail}; a value that is not finite becomes null."""
        value = None if self.value is None or not math.isfinite(self.value) else float(self.value)
        return {
            "name": self.name,
            "value": value,
            "unit": self.unit,
            "goal": self.goal,
            "met": None if self.met is None else bool(self.met),
            "n": int(self.n),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figure:
        """Accept the dicts other modules hand over (missing keys take their defaults)."""
        value = data.get("value")
        return cls(
            name=str(data.get("name", "?")),
            value=None if value is None else float(value),
            unit=str(data.get("unit", "")),
            goal=None if data.get("goal") is None else str(data["goal"]),
            met=None if data.get("met") is None else bool(data["met"]),
            n=int(data.get("n", 1)),
            detail=str(data.get("detail", "")),
        )

    @property
    def status(self) -> str:
        return "—" if self.met is None else ("✓" if self.met else "✗")


FigureLike = Figure | Mapping[str, Any]


# ---------------------------------------------------------------------------------------------------------------
# Formatting


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit, at a precision that suits the unit ("612 img/s", "1.42×", "3.5 ms", "12 min 05 s")."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "img/s":
        return f"{value:,.0f} img/s"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return _format_seconds(value)
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "":
        return f"{value:.4f}" if abs(value) < 1 else f"{value:.4g}"
    return f"{value:.3g} {unit}"


def _format_seconds(seconds: float) -> str:
    if seconds < 100:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def format_goal(goal: str | None, unit: str) -> str:
    """The goal with the figure's unit appended unless it already carries one."""
    if not goal:
        return ""
    if not unit or goal.rstrip().endswith(unit):
        return goal
    return f"{goal}{unit}" if unit == "×" else f"{goal} {unit}"


def format_table(
    figures: Sequence[FigureLike] | Mapping[str, Sequence[FigureLike]], width: int = 100, plain: bool = False
) -> str:
    """Columns figure | value | goal | status | n, each figure's detail wrapped beneath it.

    Pass a mapping of section title → figures to get section headings; figures may be Figure or its dict form.
    plain=True spells ✓, ✗, ×, ≥… in ASCII (for terminals whose encoding lacks them), keeping the columns aligned.
    """
    text = _ascii if plain else str
    sections = dict(figures) if isinstance(figures, Mapping) else {"": figures}
    rows = {
        title: [f if isinstance(f, Figure) else Figure.from_dict(f) for f in items] for title, items in sections.items()
    }
    cells = {
        id(f): (
            text(f.name),
            text(format_value(f.value, f.unit)),
            text(format_goal(f.goal, f.unit)),
            text(f.status),
            str(f.n),
        )
        for items in rows.values()
        for f in items
    }
    headers = ("figure", "value", "goal", "status", "n")
    widths = [max([len(h)] + [len(c[i]) for c in cells.values()]) for i, h in enumerate(headers)]

    def line(c: Sequence[str]) -> str:
        return (
            f"{c[0]:<{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]:^{widths[3]}}  {c[4]:>{widths[4]}}"
        ).rstrip()

    total = sum(widths) + 8
    out = [line(headers), text("─") * total]
    for title, items in rows.items():
        if not items:
            continue
        if title:
            if len(out) > 2:
                out.append("")
            out.append(text(title))
        for f in items:
            out.append(line(cells[id(f)]))
            if f.detail:
                wrapped = textwrap.wrap(text(f.detail), width=max(60, min(width, total)) - 4)
                out.extend(f"    {piece}" for piece in wrapped)
    return "\n".join(out)


def print_table(figures: Sequence[FigureLike] | Mapping[str, Sequence[FigureLike]], file: TextIO | None = None) -> None:
    """Print format_table, in ASCII where the stream's encoding lacks ✓, ×, ≥ and friends."""
    stream = file or sys.stdout
    _print_text(format_table(figures, plain=not _can_encode(stream, "".join(_ASCII))), stream)


_ASCII = {"✓": "ok", "✗": "MISS", "—": "-", "─": "-", "×": "x", "÷": "/", "≥": ">=", "≤": "<=", "·": "-", "…": "..."}


def _ascii(text: str) -> str:
    for char, plain in _ASCII.items():
        text = text.replace(char, plain)
    return text


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _print_text(text: str, stream: TextIO) -> None:
    if not _can_encode(stream, text):
        text = _ascii(text)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = text.encode(encoding, errors="replace").decode(encoding, errors="replace")
    print(text, file=stream, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# The machine


def machine_info(device: torch.device) -> dict[str, Any]:
    """What the figures depend on: CPU, cores, threads, torch and the device, for the header and the JSON."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "physical_cores": _physical_cores(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "cpu_capability": _cpu_capability(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    return info


def format_machine(machine: Mapping[str, Any]) -> str:
    """The header printed above the table."""
    cores = machine.get("physical_cores")
    cpus = f"{cores} cores / " if cores else ""
    cpus += f"{machine.get('logical_cpus')} threads"
    if machine.get("usable_cpus") not in (None, machine.get("logical_cpus")):
        cpus += f" ({machine['usable_cpus']} usable)"
    capability = f" · {machine['cpu_capability']}" if machine.get("cpu_capability") else ""
    device = str(machine.get("device"))
    if machine.get("gpu"):
        device += f" ({machine['gpu']})"
    return "\n".join(
        [
            f"machine  {machine.get('cpu')} · {cpus}{capability}",
            f"torch    {machine.get('torch')} · device {device} · {machine.get('torch_threads')} threads "
            f"(+{machine.get('torch_interop_threads')} inter-op)",
            f"python   {machine.get('python')} · {machine.get('platform')}",
        ]
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _physical_cores() -> int | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    cores, physical = set(), ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "physical id":
            physical = value.strip()
        elif key.strip() == "core id":
            cores.add((physical, value.strip()))
    return len(cores) or None


def _cpu_capability() -> str | None:
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return None


class BackgroundLoad:
    """How many CPUs other processes kept busy while we measured (Linux /proc/stat; None elsewhere).

    On a shared machine this is the first thing to look at when a figure surprises: a second process
    competing for 2 cores can slow multi-threaded training several-fold.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
        own = os.times()
        return busy, own.user + own.system + own.children_user + own.children_system, time.perf_counter()

    def cpus(self) -> float | None:
        """Average CPUs used by everything but this process (and its finished children) since creation."""
        end = self._sample()
        if self._start is None or end is None or end[2] <= self._start[2]:
            return None
        other = (end[0] - self._start[0]) - (end[1] - self._start[1])
        return max(0.0, other / (end[2] - self._start[2]))


# ---------------------------------------------------------------------------------------------------------------
# The reference loop (the lecture's way) and the engine, as step iterators


class _PilImages(Dataset):
    """The lecture's data path: every item becomes a PIL image, then a float tensor through ToTensor."""

    def __init__(self, split: ImageSplit) -> None:
        self._arrays = split.images.numpy()
        self._labels = split.labels.numpy()
        self._to_tensor = transforms.ToTensor()

    def __len__(self) -> int:
        return len(self._arrays)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        array = self._arrays[index]
        image = Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0))
        return self._to_tensor(image), int(self._labels[index])


class ReferenceLoop:
    """The lecture's training loop as it was written (L16), the yardstick for the engine.

    torch.manual_seed before the model and the DataLoader, PIL images through ToTensor, DataLoader(batch 32,
    shuffle, no workers), Adam with default options, F.mse_loss, zero_grad/backward/step, loss.item() every step.
    """

    def __init__(
        self, dataset: ImageDataset, device: torch.device, seed: int = 123, batch_size: int = 32, lr: float = 5e-4
    ) -> None:
        self.device = device
        torch.manual_seed(seed)
        self.model = ConvAutoEncoder(ModelConfig(channels=dataset.channels, image_size=dataset.image_size)).to(device)
        self.loader = DataLoader(_PilImages(dataset.train), batch_size=batch_size, shuffle=True, num_workers=0)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epoch_losses: list[float] = []

    def epoch(self) -> Iterator[int]:
        """One epoch, yielding the images of each step; its mean minibatch loss lands in epoch_losses."""
        losses = []
        for features, _ in self.loader:
            features = features.to(self.device)
            loss = F.mse_loss(self.model(features), features)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
            yield len(features)
        self.epoch_losses.append(float(np.mean(losses)))

    def steps(self) -> Iterator[int]:
        """Endless steps, epoch after epoch."""
        while True:
            yield from self.epoch()


def _engine_steps(trainer: Trainer) -> Iterator[int]:
    """The engine as headless training drives it (no snapshots), yielding the images of each step."""
    seen = 0
    for event in trainer.run(TrainingControl(), snapshots=False):
        if isinstance(event, BatchEnd):
            yield event.images_seen - seen
            seen = event.images_seen


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a timer stops when the work is done, not when it was queued."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _interleaved_rates(
    contenders: Sequence[Iterator[int]], rounds: int, window: int, device: torch.device
) -> list[list[float]]:
    """Images/s of each contender over `window` steps, taken in turn for `rounds` rounds.

    The order alternates (A, B, then B, A) so that a machine slowly speeding up or slowing down favours neither.
    """
    rates: list[list[float]] = [[] for _ in contenders]
    for index in range(rounds):
        pairs = list(zip(contenders, rates, strict=True))
        for steps, out in pairs if index % 2 == 0 else pairs[::-1]:
            _sync(device)
            start = time.perf_counter()
            images = sum(next(steps) for _ in range(window))
            _sync(device)
            out.append(images / (time.perf_counter() - start))
    return rates


# ---------------------------------------------------------------------------------------------------------------
# The engine figures


@dataclass(frozen=True)
class _Plan:
    """How many repeats each figure gets: the default run fits 3 minutes on a 2-core CPU, --quick one."""

    warmup_steps: int
    rounds: int
    window: int
    snapshot_epochs: int
    encode_small: int
    encode_large: int
    large_images: int
    first_points: int

    @classmethod
    def for_run(cls, quick: bool) -> _Plan:
        if quick:
            # Whole epochs with snapshots (~10 s each here) and 60,000-image passes (~15 s) do not fit a minute.
            return cls(3, 10, 4, snapshot_epochs=0, encode_small=3, encode_large=1, large_images=10_000, first_points=3)
        return cls(6, 24, 6, snapshot_epochs=2, encode_small=7, encode_large=2, large_images=60_000, first_points=5)


class _Progress:
    """Progress lines on stderr, so stdout holds just the header and the table."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self._start:5.0f} s] {message}", file=sys.stderr, flush=True)


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else math.nan


def _spread(values: Sequence[float], fmt: str = ".0f") -> str:
    return f"{min(values):{fmt}}–{max(values):{fmt}}" if values else "—"


def measure_training(dataset: ImageDataset, device: torch.device, plan: _Plan, say: _Progress) -> list[Figure]:
    """Engine vs the lecture's loop (interleaved windows), 20×60k projection, and the engine with snapshots on."""
    batch = TrainConfig().batch_size
    engine = Trainer(dataset, TrainConfig(device=str(device), epochs=_ENDLESS_EPOCHS))
    reference = ReferenceLoop(dataset, device)
    contenders = [reference.steps(), _engine_steps(engine)]
    window, warmup = plan.window, plan.warmup_steps
    if engine.commit_every > 1:
        # On a GPU the engine reports steps in runs, all at once at each epoch's end: windows of whole epochs
        # count exactly the steps that ran in them (and a GPU step is short enough for epoch-long windows).
        window, warmup = engine.batches_per_epoch, 2 * engine.batches_per_epoch
    for steps in contenders:
        for _ in range(warmup):
            next(steps)
    first_half = (plan.rounds + 1) // 2
    say(f"training: reference vs engine, {plan.rounds} interleaved rounds of {window} steps each")
    load = BackgroundLoad()
    ref_rates, eng_rates = _interleaved_rates(contenders, first_half, window, device)

    if plan.snapshot_epochs:
        say(f"training: engine with snapshots on (default settings), {plan.snapshot_epochs} whole epochs")
    snap = _snapshot_epochs(dataset, device, plan.snapshot_epochs)

    more_ref, more_eng = _interleaved_rates(contenders, plan.rounds - first_half, window, device)
    ref_rates += more_ref
    eng_rates += more_eng
    background = load.cpus()
    for steps in contenders:
        steps.close()

    ref, eng = _median(ref_rates), _median(eng_rates)
    ratio = eng / ref
    per_round = [e / r for e, r in zip(eng_rates, ref_rates, strict=True)]
    goal = SPEEDUP_GOALS.get(device.type)
    threads = torch.get_num_threads()
    noise = "" if background is None else f"; other processes used {background:.1f} CPUs meanwhile"
    figures = [
        Figure(
            "engine, snapshots off",
            eng,
            "img/s",
            n=len(eng_rates),
            detail=f"{1000 * batch / eng:.2f} ms/step; windows of {window} steps, range {_spread(eng_rates)}"
            + _engine_path(engine),
        ),
        Figure(
            "reference loop (lecture: PIL + ToTensor + DataLoader)",
            ref,
            "img/s",
            n=len(ref_rates),
            detail=f"{1000 * batch / ref:.2f} ms/step; windows of {window} steps, range {_spread(ref_rates)}",
        ),
        Figure(
            "engine ÷ reference",
            ratio,
            "×",
            goal=None if goal is None else f"≥ {goal:g}",
            met=None if goal is None else ratio >= goal,
            n=len(per_round),
            detail=f"ratio of the medians above, windows interleaved in this run; per-round ratios "
            f"{_spread(per_round, '.2f')}, median {_median(per_round):.2f}; batch {batch}, {threads} torch threads, "
            f"{device}{noise}",
        ),
        Figure(
            "20 epochs × 60,000 images at the engine's rate",
            20 * 60_000 / eng,
            "s",
            n=len(eng_rates),
            detail=f"the lecture's GPU took {LECTURE_GPU_MINUTES} min (this runs at "
            f"{LECTURE_GPU_MINUTES * 60 / (20 * 60_000 / eng):.2g}× its speed); at the reference loop's rate "
            f"{_format_seconds(20 * 60_000 / ref)}",
        ),
    ]
    if snap is None:
        figures.append(
            Figure(
                "engine, snapshots on (default settings)",
                None,
                "img/s",
                n=0,
                detail="not measured with --quick: it takes whole epochs (about 10 s each on a 2-core CPU)",
            )
        )
    else:
        rate, epochs, snapshot_s, count, total_s = snap
        figures.append(
            Figure(
                "engine, snapshots on (default settings)",
                rate,
                "img/s",
                n=epochs,
                detail=f"snapshots took {100 * sum(snapshot_s) / total_s:.1f} % of the time ({count} of median "
                f"{1000 * _median(snapshot_s):.0f} ms); whole epochs, each with its end-of-epoch snapshot, run "
                "uninterrupted between the windows above (pausing would make snapshots due early)",
            )
        )
    return figures


def _engine_path(engine: Trainer) -> str:
    if engine.device.type == "cuda":
        return f"; each full batch's step replayed as one CUDA graph, losses read every {engine.commit_every} steps"
    if engine.device.type == "cpu":
        threads = engine.config.num_threads or torch.get_num_threads()
        halves = splits_batches(engine.device, threads, engine.config.batch_size)
        halves_text = "; each batch in two halves on two threads" if halves else ""
        return "; channels_last weights, fused Adam" + halves_text
    return f"; losses read every {engine.commit_every} steps"


def _snapshot_epochs(
    dataset: ImageDataset, device: torch.device, epochs: int
) -> tuple[float, int, list[float], int, float] | None:
    """Median images/s per whole epoch of a default-config run with snapshots, run without interruption.

    Not interleaved window by window: the snapshot pacer spaces snapshots by wall time, so pausing the run
    between windows would make snapshots due early and overstate their cost.
    """
    if epochs < 1:
        return None
    trainer = Trainer(dataset, TrainConfig(device=str(device), epochs=_ENDLESS_EPOCHS))
    events = trainer.run(TrainingControl(), snapshots=True)
    next(events)  # the starting snapshot: that is the "first points" figure, not training
    rates: list[float] = []
    snapshot_s: list[float] = []
    epoch_done = False
    start = run_start = time.perf_counter()
    while len(rates) < epochs:
        before = time.perf_counter()
        event = next(events)
        now = time.perf_counter()
        if isinstance(event, EpochEnd):
            epoch_done = True
        elif isinstance(event, Snapshot):
            snapshot_s.append(now - before)
            if epoch_done:
                rates.append(len(dataset.train) / (now - start))
                start, epoch_done = now, False
    events.close()
    return _median(rates), len(rates), snapshot_s, len(snapshot_s), time.perf_counter() - run_start


def measure_encoding(dataset: ImageDataset, device: torch.device, plan: _Plan, say: _Progress) -> list[Figure]:
    """The time to the first points (a fresh trainer's first snapshot), then encoding 2,000 and 60,000 images.

    First points go first, while the encoder's kernels for 1,024-image chunks are not yet set up in this process,
    as when the window starts a run; the first of those repeats is quoted on its own.
    """
    say(f"encoding: first points on a fresh trainer ×{plan.first_points}")
    build_s, snapshot_s = [], []
    for _ in range(plan.first_points):
        start = time.perf_counter()
        trainer = Trainer(dataset, TrainConfig(device=str(device)))
        built = time.perf_counter()
        trainer.snapshot()
        _sync(device)
        build_s.append(built - start)
        snapshot_s.append(time.perf_counter() - built)

    model, small = trainer.model, trainer.display.images
    large = _synthetic(dataset.train.images, plan.large_images)
    say(f"encoding: {len(small):,} images ×{plan.encode_small}, {len(large):,} images ×{plan.encode_large}")
    small_s = _timed(lambda: encode_images(model, small, device), plan.encode_small, device)
    large_s = _timed(lambda: encode_images(model, large, device), plan.encode_large, device)
    return [
        Figure(
            "first points: snapshot of a fresh trainer",
            1000 * _median(snapshot_s),
            "ms",
            n=len(snapshot_s),
            detail=f"encodes the {len(small):,} display images, reconstructs the samples, copies the decoder; "
            f"first of the {len(snapshot_s)} {1000 * snapshot_s[0]:.0f} ms; building the Trainer before it "
            f"{1000 * _median(build_s):.0f} ms",
        ),
        Figure(
            f"encode the display set ({len(small):,} images)",
            len(small) / _median(small_s),
            "img/s",
            n=len(small_s),
            detail=f"median {1000 * _median(small_s):.0f} ms per pass (core.engine.encode_images)",
        ),
        Figure(
            f"encode {len(large):,} images",
            len(large) / _median(large_s),
            "img/s",
            n=len(large_s),
            detail=f"median {_median(large_s):.1f} s per pass; the {len(dataset.train):,} built-in digits repeated"
            + ("" if len(large) == 60_000 else "; 60,000 without --quick"),
        ),
    ]


def _synthetic(images: torch.Tensor, count: int) -> torch.Tensor:
    repeats = math.ceil(count / len(images))
    return images.repeat(repeats, 1, 1, 1)[:count].contiguous()


def _timed(action: Any, repeats: int, device: torch.device) -> list[float]:
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        action()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def measure_loss_run(dataset: ImageDataset, device: torch.device, say: _Progress, epochs: int = 20) -> list[Figure]:
    """20 epochs of digits-5k with the engine (defaults, seed 123) and with the reference loop, epoch by epoch.

    The two runs alternate whole epochs, so their speeds are compared under the same conditions.
    """
    config = TrainConfig(device=str(device), epochs=epochs)
    reference = ReferenceLoop(dataset, device, seed=config.seed, batch_size=config.batch_size, lr=config.lr)
    engine = Trainer(dataset, config)
    events = engine.run(TrainingControl(), snapshots=False)
    ref_s, eng_s, eng_losses = [], [], []
    say(f"loss run: {epochs} epochs each, alternating reference and engine epoch by epoch")
    for epoch in range(epochs):
        start = time.perf_counter()
        for _ in reference.epoch():
            pass
        _sync(device)
        ref_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for event in events:
            if isinstance(event, EpochEnd):
                eng_losses.append(event.mean_loss)
                break
        _sync(device)
        eng_s.append(time.perf_counter() - start)
        say(
            f"loss run: epoch {epoch + 1}/{epochs}  reference MSE {reference.epoch_losses[-1]:.4f} "
            f"({ref_s[-1]:.1f} s)  engine MSE {eng_losses[-1]:.4f} ({eng_s[-1]:.1f} s)"
        )
    events.close()
    images = len(dataset.train)
    ref_mse, eng_mse = reference.epoch_losses[-1], eng_losses[-1]
    difference = abs(eng_mse - ref_mse) / ref_mse
    ref_rate, eng_rate = images / _median(ref_s), images / _median(eng_s)
    per_epoch = [r / e for r, e in zip(ref_s, eng_s, strict=True)]
    return [
        Figure(
            f"epoch-{epochs} mean training MSE, engine",
            eng_mse,
            "",
            n=math.ceil(images / config.batch_size),
            detail=f"seed {config.seed}, defaults; {epochs} epochs in {_format_seconds(sum(eng_s))} "
            f"({images * epochs / sum(eng_s):,.0f} img/s)",
        ),
        Figure(
            f"epoch-{epochs} mean training MSE, reference loop",
            ref_mse,
            "",
            n=math.ceil(images / config.batch_size),
            detail=f"torch.manual_seed({config.seed}) first, as the lecture; it reached ≈{REFERENCE_MSE} on this data; "
            f"{epochs} epochs in {_format_seconds(sum(ref_s))} ({images * epochs / sum(ref_s):,.0f} img/s)",
        ),
        Figure(
            "MSE difference, |engine − reference| ÷ reference",
            100 * difference,
            "%",
            goal="≤ 5",
            met=difference <= 0.05,
            n=1,
            detail="mean of the last epoch's minibatch losses, each run",
        ),
        Figure(
            "loss run speed, engine ÷ reference",
            eng_rate / ref_rate,
            "×",
            goal="≥ 1",
            met=eng_rate >= ref_rate,
            n=epochs,
            detail=f"ratio of median epoch times, epochs alternating; per-epoch {_spread(per_epoch, '.2f')}; "
            f"engine {eng_rate:,.0f} img/s, reference {ref_rate:,.0f} img/s",
        ),
    ]


# ---------------------------------------------------------------------------------------------------------------
# The command


def _gui_figures(quick: bool, device: str) -> tuple[list[Figure], str | None, bool]:
    """explorer.bench_gui's figures, or a note why there are none (and whether that is a failure)."""
    try:
        from explorer.bench_gui import measure_gui
    except ImportError as error:
        return [], f"GUI figures skipped: {error}", False
    try:
        raw = measure_gui(quick=quick, device=device)
    except Exception as error:  # a broken GUI bench must not lose the engine figures already measured
        return [], f"GUI figures failed: {type(error).__name__}: {error}", True
    return [f if isinstance(f, Figure) else Figure.from_dict(f) for f in raw], None, False


def run_bench(quick: bool, json_path: Path | None, device: str, gui: bool, loss_run: bool) -> int:
    """Measure, print the machine and the table, write JSON if asked; 0 when every part ran (goals or not).

    A missed goal is a finding, not an error; 1 means a part could not run (bad device, GUI bench crashed,
    JSON not written), 130 an interrupt (the figures measured so far are still printed).
    """
    try:
        target = resolve_device(device)
    except (ValueError, RuntimeError) as error:
        print(f"convae-explorer bench: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    say = _Progress()
    load = BackgroundLoad()
    plan = _Plan.for_run(quick)
    machine = machine_info(target)
    _print_text(format_machine(machine) + "\n", sys.stdout)
    sections: dict[str, list[Figure]] = {}
    notes: list[str] = []
    status = 0
    try:
        dataset = load_builtin_digits()
        sections["training (digits-5k, batch 32)"] = measure_training(dataset, target, plan, say)
        sections["encoding"] = measure_encoding(dataset, target, plan, say)
        if loss_run:
            sections["loss run (20 epochs, seed 123)"] = measure_loss_run(dataset, target, say)
        if gui:
            say("GUI figures (explorer.bench_gui)")
            gui_figures, note, failed = _gui_figures(quick, device)
            if gui_figures:
                sections["window (offscreen)"] = gui_figures
            if note:
                notes.append(note)
            status = 1 if failed else status
        else:
            notes.append("GUI figures skipped: --no-gui")
    except KeyboardInterrupt:
        notes.append("interrupted: the figures measured so far")
        status = EXIT_INTERRUPTED
    wall = time.perf_counter() - started
    background = load.cpus()
    machine["background_cpu_load"] = None if background is None else round(background, 2)
    print_table(sections)
    if background is not None:
        busy = " (figures are noisy: other processes competed for the CPU)" if background >= 0.25 else ""
        notes.append(f"other processes kept {background:.2f} CPUs busy on average during the run{busy}")
    notes.append(f"{'--quick' if quick else 'default'} run took {_format_seconds(wall)}")
    _print_text("\n" + "\n".join(f"· {note}" for note in notes), sys.stdout)
    if json_path is not None:
        payload = {
            "machine": machine,
            "figures": [f.to_dict() for figures in sections.values() for f in figures],
        }
        try:
            Path(json_path).write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as error:
            print(f"convae-explorer bench: could not write {json_path}: {error}", file=sys.stderr)
            return 1
        _print_text(f"· JSON written to {json_path}", sys.stdout)
    return status
