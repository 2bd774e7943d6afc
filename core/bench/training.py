"""The training figures: the engine against the lecture's loop (interleaved), the 20×60k projection, and the
engine with snapshots on."""

from __future__ import annotations

import time

import torch

from core.bench.common import (
    SPEEDUP_GOALS,
    Plan,
    Progress,
    engine_steps,
    interleaved_rates,
    median,
    spread,
)
from core.bench.figures import Figure, format_seconds
from core.bench.machine import BackgroundLoad
from core.bench.reference import ReferenceLoop
from core.bench.reference_process import ReferenceProcess
from core.data.datasets import ImageDataset
from core.events import EpochEnd, Snapshot
from core.settings import TrainConfig
from core.training.control import TrainingControl
from core.training.engine import Trainer
from core.training.step_runners import splits_batches
from core.training.thread_teams import ThreadTeam, steps_on_team

#: The lecture's 20 MNIST epochs on its GPU.
LECTURE_GPU_MINUTES = 8.3

_ENDLESS_EPOCHS = 10_000  # a trainer the bench stops itself


def measure_training(
    dataset: ImageDataset,
    device: torch.device,
    plan: Plan,
    say: Progress,
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
    contenders = [reference.steps(), engine_steps(engine)]
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
    ref_rates, eng_rates, *inside_rates = interleaved_rates(contenders, first_half, window, device)

    if plan.snapshot_epochs:
        say(f"training: engine with snapshots on (default settings), {plan.snapshot_epochs} whole epochs")
    snap = _snapshot_epochs(dataset, device, plan.snapshot_epochs)

    more_ref, more_eng, *more_inside = interleaved_rates(contenders, plan.rounds - first_half, window, device)
    ref_rates += more_ref
    eng_rates += more_eng
    inside_rates = [a + b for a, b in zip(inside_rates, more_inside, strict=True)]
    background = load.cpus()
    for steps in contenders:
        steps.close()
    if team is not None:
        team.close()

    ref, eng = median(ref_rates), median(eng_rates)
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
            detail=f"{1000 * batch / eng:.2f} ms/step; windows of {window} steps, range {spread(eng_rates)}"
            + _engine_path(engine),
        ),
        Figure(
            "reference loop (lecture: PIL + ToTensor + DataLoader)",
            ref,
            "img/s",
            n=len(ref_rates),
            detail=f"{1000 * batch / ref:.2f} ms/step; windows of {window} steps, range {spread(ref_rates)}"
            + (
                "; in a Python process of its own, as the lecture's script runs, denormals kept"
                if reference_process
                else ""
            ),
        ),
        *(
            Figure(
                "reference loop inside the bench's process (for comparison)",
                median(rates),
                "img/s",
                n=len(rates),
                detail="the same loop run in this process, with the engine's malloc settings (core.training.memory)"
                + ("" if team is None else " and on a thread team that flushes denormals (core.training.denormals)")
                + f"; {median(rates) / ref:.2f}× its rate in a process of its own; the engine "
                f"{eng / median(rates):.2f}× this",
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
            f"{spread(per_round, '.2f')}, median {median(per_round):.2f}; batch {batch}, {threads} torch threads, "
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
            f"{format_seconds(20 * 60_000 / ref)}",
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
                f"{1000 * median(snapshot_s):.0f} ms); whole epochs, each with its end-of-epoch snapshot, run "
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
    return median(rates), len(rates), snapshot_s, len(snapshot_s), time.perf_counter() - run_start
