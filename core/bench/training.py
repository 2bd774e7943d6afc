"""The training figures (engine vs the reference loop, interleaved), and the helpers the other measurements share."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from core.bench.figures import Figure, _format_seconds
from core.bench.machine import BackgroundLoad
from core.bench.reference import ReferenceLoop
from core.bench.reference_process import ReferenceProcess
from core.data.datasets import ImageDataset
from core.events import BatchEnd, EpochEnd, Snapshot
from core.settings import TrainConfig
from core.training.control import TrainingControl
from core.training.engine import Trainer
from core.training.step_runners import splits_batches
from core.training.thread_teams import ThreadTeam, steps_on_team

#: Goals from the issue: the engine against the lecture's loop, per device type.
SPEEDUP_GOALS = {"cpu": 1.3, "cuda": 20.0}
#: The reference run's 20th-epoch MSE on digits-5k (seed 123), and the lecture's 20 MNIST epochs on its GPU.
REFERENCE_MSE = 0.044
LECTURE_GPU_MINUTES = 8.3

_ENDLESS_EPOCHS = 10_000  # a trainer the bench stops itself


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


#: Pause between two contenders' windows, not timed. After a window on a team of several threads, the team's spare
#: threads spin for a few milliseconds waiting for more work (0.16–0.2 CPUs of 2 at 30 steps a second, per-thread
#: /proc times); without the pause they spun into the next contender's window and slowed it, whichever it was.
SETTLE_S = 0.02


def _interleaved_rates(
    contenders: Sequence[Iterator[int]], rounds: int, window: int, device: torch.device
) -> list[list[float]]:
    """Images/s of each contender over `window` steps, taken in turn for `rounds` rounds.

    The order alternates (A, B, then B, A) so that a machine slowly speeding up or slowing down favours neither, and
    each window starts after an untimed pause of SETTLE_S, so no contender pays for the one before it.
    """
    rates: list[list[float]] = [[] for _ in contenders]
    for index in range(rounds):
        pairs = list(zip(contenders, rates, strict=True))
        for steps, out in pairs if index % 2 == 0 else pairs[::-1]:
            _sync(device)
            time.sleep(SETTLE_S)  # the previous contender's idle OpenMP threads stop spinning before the clock starts
            start = time.perf_counter()
            images = sum(next(steps) for _ in range(window))
            _sync(device)
            out.append(images / (time.perf_counter() - start))
    return rates


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


def measure_training(
    dataset: ImageDataset,
    device: torch.device,
    plan: _Plan,
    say: _Progress,
    reference_process: ReferenceProcess | None = None,
) -> list[Figure]:
    """Engine vs the lecture's loop (interleaved windows), 20×60k projection, and the engine with snapshots on.

    With `reference_process` the lecture's loop that the ratio is taken against runs there, in a process of its
    own as the lecture's script does (core.bench.reference_process: why); the same loop run inside this process
    is then a third contender, shown for comparison.
    """
    batch = TrainConfig().batch_size
    engine = Trainer(dataset, TrainConfig(device=str(device), epochs=_ENDLESS_EPOCHS))
    reference = ReferenceLoop(dataset, device)
    contenders = [reference.steps(), _engine_steps(engine)]
    team = None
    if reference_process is not None:
        reference_process.set_threads(torch.get_num_threads())
        if device.type == "cpu":  # the same loop with both of the engine's process-wide settings, for comparison
            team = ThreadTeam(torch.get_num_threads(), "convae-reference")
            contenders[0] = steps_on_team(contenders[0], team)
        contenders = [reference_process.steps(), contenders[1], contenders[0]]
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
    ref_rates, eng_rates, *inside_rates = _interleaved_rates(contenders, first_half, window, device)

    if plan.snapshot_epochs:
        say(f"training: engine with snapshots on (default settings), {plan.snapshot_epochs} whole epochs")
    snap = _snapshot_epochs(dataset, device, plan.snapshot_epochs)

    more_ref, more_eng, *more_inside = _interleaved_rates(contenders, plan.rounds - first_half, window, device)
    ref_rates += more_ref
    eng_rates += more_eng
    inside_rates = [a + b for a, b in zip(inside_rates, more_inside, strict=True)]
    background = load.cpus()
    for steps in contenders:
        steps.close()
    if team is not None:
        team.close()

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
            detail=f"{1000 * batch / ref:.2f} ms/step; windows of {window} steps, range {_spread(ref_rates)}"
            + (
                "; in a Python process of its own, as the lecture's script runs, denormals kept"
                if reference_process
                else ""
            ),
        ),
        *(
            Figure(
                "reference loop inside the bench's process (for comparison)",
                _median(rates),
                "img/s",
                n=len(rates),
                detail="the same loop run in this process, with the engine's malloc settings (core.training.memory)"
                + ("" if team is None else " and on a thread team that flushes denormals (core.training.denormals)")
                + f"; {_median(rates) / ref:.2f}× its rate in a process of its own; the engine "
                f"{eng / _median(rates):.2f}× this",
            )
            for rates in inside_rates
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
            f"{device}{noise}; steps {warmup + 1}–{engine.progress.step} of a fresh run"
            + (
                ", where the lecture's loop still meets denormal gradients (core.training.denormals)"
                if device.type == "cpu"
                else ""
            ),
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
