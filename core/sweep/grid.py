"""A sweep's grid: the runs are the product of the axes' values, each run's options its swept values over the fixed
ones, all keyed as the command line spells them ("latent-dim", "batch-size"), so the manifest reads like the
command that made it and a resumed sweep rebuilds every run from the manifest alone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.settings import LR_SCHEDULES, RECIPES, SETTINGS
from core.sweep.manifest import SweepManifest, SweepRun
from core.sweep.trial import RunSpec, run_checkpoint

#: The training settings a grid may sweep (as `train` spells their options), beside every numeric setting.
NAMED_AXES = ("model", "dataset", "image-size")
#: Every setting of core.settings by its option's name ("threads" is num_threads).
NUMERIC_AXES = {setting.flag[2:]: setting.name for setting in SETTINGS.values()}
SWEEPABLE = (*NUMERIC_AXES, *NAMED_AXES)
#: The most runs one sweep may hold: a grid is a product, and a typo in a value list should not queue a million runs.
MAX_RUNS = 10_000


class GridError(ValueError):
    """A grid that cannot be run as written; the message says which axis and why."""


def product(axes: Mapping[str, Sequence[object]]) -> list[dict[str, object]]:
    """Every combination of the axes' values in order, the last axis varying fastest (rows, then columns)."""
    names = list(axes)
    total = 1
    for name in names:
        if not axes[name]:
            raise GridError(f"--grid {name} has no values")
        total *= len(axes[name])
    if total > MAX_RUNS:
        raise GridError(f"the grid has {total:,} runs; at most {MAX_RUNS:,} are allowed in one sweep")
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(axes[n] for n in names))]


def run_id(index: int, settings: Mapping[str, object]) -> str:
    """A run's name: its place in the grid, then its values, as a folder name every file system takes
    ("003-beta-0.5-latent-dim-2"); the index alone keeps it unique."""
    words = [f"{name}-{_value_text(value)}" for name, value in settings.items()]
    slug = re.sub(r"[^A-Za-z0-9.=_-]+", "_", "-".join(words))[:80].strip("._-")
    return f"{index:03d}-{slug}" if slug else f"{index:03d}"


def _value_text(value: object) -> str:
    if isinstance(value, str) and value.startswith("folder:"):
        return Path(value[len("folder:") :]).name or "folder"
    return f"{value:g}" if isinstance(value, float) else str(value)


def new_manifest(axes: Mapping[str, Sequence[object]], fixed: Mapping[str, object]) -> SweepManifest:
    """The manifest of a sweep about to start: every run queued."""
    combos = product(axes)
    runs = tuple(SweepRun(run_id(i, settings), settings) for i, settings in enumerate(combos))
    return SweepManifest({name: list(values) for name, values in axes.items()}, dict(fixed), runs)


def spec_for(directory: Path, manifest: SweepManifest, run: SweepRun, cpus_per_run: float) -> RunSpec:
    """What `run` trains: its swept values over the fixed settings. With `threads` left at 0 (all cores), a run
    takes as many torch threads as the CPUs it reserved, so parallel runs do not fight over every core."""
    options = {**manifest.fixed, **run.settings}
    numbers = {name: options[option] for option, name in NUMERIC_AXES.items()}
    threads = int(numbers["num_threads"]) or max(1, int(cpus_per_run))
    schedule = str(options.get("lr-schedule", "constant"))
    if schedule not in LR_SCHEDULES:
        raise GridError(f"unknown learning-rate schedule {schedule!r}")
    data_dir = options.get("data-dir")
    return RunSpec(
        run_id=run.run_id,
        out=str((Path(directory) / run_checkpoint(run.run_id)).absolute()),
        dataset=str(options["dataset"]),
        data_dir=None if data_dir is None else str(data_dir),
        download=not options.get("no-download", False),
        image_size=_optional_int(options.get("image-size")),
        colour=None if options.get("colour") is None else bool(options.get("colour")),
        model=str(options["model"]),
        latent_dim=int(numbers["latent_dim"]),
        beta=float(numbers["beta"]),
        epochs=int(numbers["epochs"]),
        batch_size=int(numbers["batch_size"]),
        lr=float(numbers["lr"]),
        seed=int(numbers["seed"]),
        num_threads=threads,
        device=str(options.get("device", "auto")),
        lr_schedule=schedule,
        bf16=bool(options.get("bf16", False)),
        compile=bool(options.get("compile", False)),
        history=not options.get("no-history", False),
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def preset_schedule(preset: str) -> str:
    """The learning-rate schedule a --preset trains with (the recipe's; `train` does the same)."""
    return RECIPES[preset].lr_schedule
