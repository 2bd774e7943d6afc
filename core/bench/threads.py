"""Engine vs the lecture's loop at 1, 2, 4, 8 and 16 torch threads (as many as this machine has), and the runners.

Each row is measured on its own, its contenders interleaved window by window (A, B, C, D, then D, C, B, A):
the reference loop, the engine as it trains (Trainer with that many threads, runner picked by
core.training.step_runners.choose_step_runner), and the CPU step runners the rule chooses between, driven directly:
the whole
batch on one team of N threads, and the batch cut into 2, 4 or 8 slices on teams of N/2, N/4, N/8 threads (as
far as N has threads for them). Those are the measurements the rule rests on; a machine with more cores than
the one it was written on shows here whether it holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from core.bench.common import SPEEDUP_GOALS, Plan, Progress, engine_steps, interleaved_rates, median
from core.bench.figures import Figure
from core.bench.machine import BackgroundLoad
from core.bench.reference import ReferenceLoop
from core.bench.reference_process import ReferenceProcess
from core.data.datasets import ImageDataset
from core.settings import ModelConfig, TrainConfig
from core.training.engine import Trainer, build_model, build_optimizer
from core.training.step_runners import EIGHTHS, HALVES, PARTS, QUARTERS, WHOLE, SplitSteps, choose_step_runner
from core.training.thread_count import on_threads

THREAD_COUNTS = (1, 2, 4, 8, 16)
#: The CPU runners measured, in the table's order.
RUNNERS = (WHOLE, HALVES, QUARTERS, EIGHTHS)
_ENDLESS_EPOCHS = 10_000
_CPU = torch.device("cpu")


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def thread_counts(limit: int | None = None) -> list[int]:
    """The counts of THREAD_COUNTS this machine has cores for (at least 1)."""
    cpus = usable_cpus() if limit is None else limit
    return [n for n in THREAD_COUNTS if n <= max(1, cpus)]


@dataclass(frozen=True)
class ThreadRow:
    """One row of the table: medians in images/s (runners: those the thread count allows) and the rule's pick."""

    threads: int
    reference: float
    engine: float
    runners: dict[str, float]
    rule: str
    rounds: int
    background_cpus: float | None

    @property
    def whole(self) -> float:
        return self.runners[WHOLE]

    @property
    def halves(self) -> float | None:
        return self.runners.get(HALVES)

    @property
    def fastest_runner(self) -> str:
        return max(self.runners, key=self.runners.__getitem__)

    @property
    def ratio(self) -> float:
        return self.engine / self.reference

    def to_dict(self) -> dict:
        return {
            "threads": self.threads,
            "reference_img_s": round(self.reference, 1),
            "engine_img_s": round(self.engine, 1),
            "engine_over_reference": round(self.ratio, 3),
            "whole_batch_img_s": round(self.whole, 1),
            "halves_img_s": None if self.halves is None else round(self.halves, 1),
            **{f"{name}_img_s": round(rate, 1) for name, rate in self.runners.items() if name not in (WHOLE, HALVES)},
            "fastest_runner": self.fastest_runner,
            "rule_picks": self.rule,
            "rounds": self.rounds,
            "other_processes_cpus": None if self.background_cpus is None else round(self.background_cpus, 2),
        }


def _runner_steps(runner: SplitSteps, count: int, batch: int, seed: int = 123) -> Iterator[int]:
    """A runner driven as the CPU engine drives it (shuffled batches, each loss read), yielding images per step."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(count, generator=generator)
        for start in range(0, count - batch + 1, batch):
            runner(order[start : start + batch]).item()
            yield batch


def _runner(kind: str, dataset: ImageDataset, threads: int) -> SplitSteps:
    """A fresh model (the engine's layout and optimizer) under one of the CPU runners."""
    model = build_model(ModelConfig(), 123).to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model, TrainConfig().lr)
    return SplitSteps(model, optimizer, dataset.train.images, threads, PARTS[kind])  # as make_steps on the CPU


def runners_for(threads: int) -> list[str]:
    """The runners a thread count can run: a slice per team, each team at least one thread."""
    return [kind for kind in RUNNERS if PARTS[kind] <= threads]


def _with_threads(steps: Iterator[int], threads: int) -> Iterator[int]:
    """Set the calling thread's torch threads before each step (the engine changes them while it trains)."""
    while True:
        torch.set_num_threads(threads)
        yield next(steps)


def measure_row(
    dataset: ImageDataset,
    threads: int,
    rounds: int,
    window: int,
    warmup: int,
    reference_process: ReferenceProcess | None = None,
) -> ThreadRow:
    """One thread count: reference, engine and each runner runners_for(threads) allows, interleaved.

    With `reference_process` the lecture's loop runs there, in a process of its own (its torch threads set to
    this row's count), as the lecture's script does; else in this process.
    """
    batch = TrainConfig().batch_size
    runners: list[SplitSteps] = []
    with on_threads(threads):
        try:
            if reference_process is None:
                reference_steps = ReferenceLoop(dataset, _CPU).steps()
            else:
                reference_process.set_threads(threads)
                reference_steps = reference_process.steps()
            engine = Trainer(dataset, TrainConfig(device="cpu", epochs=_ENDLESS_EPOCHS, num_threads=threads))
            contenders = [reference_steps, engine_steps(engine)]
            kinds = runners_for(threads)
            for kind in kinds:
                runners.append(_runner(kind, dataset, threads))
                contenders.append(_runner_steps(runners[-1], len(dataset.train), batch))
            wrapped = [_with_threads(steps, threads) for steps in contenders]
            for steps in wrapped:
                for _ in range(warmup):
                    next(steps)
            load = BackgroundLoad()
            rates = interleaved_rates(wrapped, rounds, window, _CPU)
            background = load.cpus()
            for steps in contenders:
                steps.close()
        finally:
            for runner in runners:
                runner.close()
    medians = [median(r) for r in rates]
    return ThreadRow(
        threads=threads,
        reference=medians[0],
        engine=medians[1],
        runners=dict(zip(kinds, medians[2:], strict=True)),
        rule=choose_step_runner(_CPU, threads, batch),
        rounds=rounds,
        background_cpus=background,
    )


def measure_thread_table(
    dataset: ImageDataset,
    plan: Plan,
    say: Progress,
    counts: Sequence[int] | None = None,
    reference_process: ReferenceProcess | None = None,
) -> tuple[list[Figure], list[ThreadRow]]:
    """The per-thread-count rows and one figure per row (engine ÷ reference, with the row's numbers)."""
    counts = list(counts) if counts is not None else thread_counts()
    rounds, window, warmup = (6, 4, 3) if plan.rounds <= 10 else (10, 6, 6)
    rows: list[ThreadRow] = []
    for threads in counts:
        contenders = " / ".join(["reference", "engine", *runners_for(threads)])
        say(f"threads: {threads} torch thread(s), {contenders}, {rounds} rounds")
        rows.append(measure_row(dataset, threads, rounds, window, warmup, reference_process))
    goal = SPEEDUP_GOALS["cpu"]
    figures = [
        Figure(
            f"{row.threads} thread{'s' if row.threads > 1 else ''}: engine ÷ reference",
            row.ratio,
            "×",
            goal=f"≥ {goal:g}",
            met=row.ratio >= goal,
            n=row.rounds,
            detail=_row_detail(row),
        )
        for row in rows
    ]
    return figures, rows


def _row_detail(row: ThreadRow) -> str:
    noise = "" if row.background_cpus is None else f"; other processes used {row.background_cpus:.1f} CPUs"
    alone = ", ".join(f"{name} {rate:,.0f}" for name, rate in row.runners.items())
    return (
        f"reference {row.reference:,.0f} img/s, engine {row.engine:,.0f} img/s (runner: {row.rule}); "
        f"runners alone (img/s): {alone}; batch 32, interleaved windows{noise}"
    )


def format_thread_table(rows: Sequence[ThreadRow]) -> str:
    """The table as printed above the figures: one line per thread count."""
    lines = [
        f"{'threads':>7}  {'reference':>10}  {'engine':>8}  {'engine÷ref':>10}  "
        + "  ".join(f"{name:>11}" for name in RUNNERS)
        + "  rule",
    ]
    for row in rows:
        rates = "  ".join(f"{row.runners[name]:>11,.0f}" if name in row.runners else f"{'—':>11}" for name in RUNNERS)
        lines.append(
            f"{row.threads:>7}  {row.reference:>10,.0f}  {row.engine:>8,.0f}  {row.ratio:>9.2f}×  {rates}  {row.rule}"
        )
    lines.append(
        "(img/s, medians of interleaved windows; whole batch … eighths: the CPU step runners driven alone, the batch "
        "cut into 1, 2, 4, 8 slices on as many thread teams)"
    )
    return "\n".join(lines)


__all__ = ["RUNNERS", "THREAD_COUNTS", "ThreadRow", "format_thread_table", "measure_thread_table", "runners_for"]
