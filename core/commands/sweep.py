"""`convae-explorer sweep`: many training runs over a grid of settings, on this machine or a Ray cluster.

`sweep --grid SETTING=V1,V2,… [--grid …] [every train setting, fixed] --out DIR [--address HOST:PORT]
[--max-parallel N] [--cpus-per-run C] [--gpus-per-run G] [--resume]`

Every setting `train` takes can be fixed (the same options, ranges and defaults, from core.settings) or swept
(`--grid beta=0.1,1,10`); the runs are the grid's product. Each trains through the same engine as `train` and
writes a normal checkpoint with its time-lapse under DIR/runs/; DIR/sweep.json (core.sweep.manifest) lists them.
Ray is imported only when a sweep runs (the `sweep` extra), so building the command line never needs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from core.commands.arguments import (
    EXIT_USAGE,
    add_data_arguments,
    add_folder_arguments,
    dataset_type,
    device_type,
    number_between,
    user_path,
)
from core.commands.train import (
    add_gpu_lever_arguments,
    add_model_argument,
    add_setting_arguments,
    model_kind_type,
    setting_type,
)
from core.settings import DATASET_NAMES, DEFAULT_DATASET, DEFAULT_RECIPE, FOLDER_MAX_SIZE, FOLDER_MIN_SIZE, RECIPES
from core.settings import SETTINGS as TRAIN_SETTINGS

#: The settings a grid may sweep, as its help names them.
_SWEEPABLE_HELP = ", ".join([*(s.flag[2:] for s in TRAIN_SETTINGS.values()), "model", "dataset", "image-size"])


def add_sweep_parser(commands: argparse._SubParsersAction, recipe: str = DEFAULT_RECIPE) -> None:
    """Add `sweep` to the command line; `recipe` supplies the fixed settings' defaults, as for `train`."""
    sweep = commands.add_parser(
        "sweep",
        help="train many runs over a grid of settings, on this machine or a Ray cluster (needs the sweep extra)",
        description="Train every combination of the --grid values (each run as `train` would), on a Ray of this "
        "machine's size or on the cluster at --address; DIR/sweep.json lists the runs as they progress. "
        "Ctrl+C stops cleanly; --resume runs what did not finish.",
    )
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="SETTING=V1,V2,…",
        help=f"an axis of the grid: a training setting and its values ({_SWEEPABLE_HELP}); repeat for more axes",
    )
    sweep.add_argument("--out", type=user_path, required=True, metavar="DIR", help="the sweep's folder "
                       "(on a cluster: a shared folder every node reaches at the same path)")  # fmt: skip
    sweep.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="join the Ray cluster whose head listens there (`ray start --head --port PORT`); default: "
        "$RAY_ADDRESS, else a Ray of this machine's size; a cluster that does not answer is an error",
    )
    sweep.add_argument(
        "--max-parallel",
        type=number_between(int, 1, 10_000, "--max-parallel"),
        metavar="N",
        help="at most N runs at once (default: as many as the resources allow)",
    )
    sweep.add_argument(
        "--cpus-per-run",
        type=number_between(float, 0.01, 1024, "--cpus-per-run"),
        default=1.0,
        metavar="C",
        help="CPUs Ray reserves for each run (default 1); with --threads 0 a run trains on that many threads",
    )
    sweep.add_argument(
        "--gpus-per-run",
        type=number_between(float, 0, 64, "--gpus-per-run"),
        default=0.0,
        metavar="G",
        help="GPUs (or a fraction of one, e.g. 0.25) Ray reserves for each run (default 0)",
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out: runs not done (queued, stopped: from their checkpoints, failed) train "
        "again, done ones are kept; the grid and settings come from DIR/sweep.json",
    )
    sweep.add_argument(
        "--dataset",
        type=dataset_type,
        default=None,
        metavar="NAME",
        help=f"{', '.join(DATASET_NAMES)}, or folder:PATH; default: {DEFAULT_DATASET}",
    )
    add_folder_arguments(sweep)
    add_setting_arguments(sweep, RECIPES[recipe].values)
    add_model_argument(sweep)
    sweep.add_argument(
        "--preset", choices=tuple(RECIPES), default=DEFAULT_RECIPE, help="settings to start from, as for train"
    )
    sweep.add_argument("--device", type=device_type, default="auto", help="auto, cpu, cuda, cuda:N or mps")
    add_gpu_lever_arguments(sweep)
    add_data_arguments(sweep, downloads="a data set (on each node)")
    sweep.add_argument("--no-history", action="store_true", help="record no time-lapse in the runs' checkpoints")


def _image_size(text: str) -> int:
    value = int(number_between(int, FOLDER_MIN_SIZE, FOLDER_MAX_SIZE, "image size")(text))
    if value % 4:
        raise argparse.ArgumentTypeError(f"image size must be a multiple of 4, got {value}")
    return value


def _value_types() -> dict[str, tuple[str, Callable[[str], object]]]:
    """Each sweepable setting: its destination in the parsed options and the same argparse type `train` uses."""
    types: dict[str, tuple[str, Callable[[str], object]]] = {
        setting.flag[2:]: (setting.name, setting_type(setting)) for setting in TRAIN_SETTINGS.values()
    }
    types["model"] = ("model", model_kind_type)
    types["dataset"] = ("dataset", dataset_type)
    types["image-size"] = ("image_size", _image_size)
    return types


class UsageError(Exception):
    """The command line cannot be carried out as written."""


def parse_grid(specs: list[str]) -> dict[str, list]:
    """`--grid beta=0.1,1,10 --grid latent-dim=2,8` → {"beta": [0.1, 1.0, 10.0], "latent-dim": [2, 8]}, each value
    checked as `train` checks it (ranges from core.settings)."""
    types = _value_types()
    axes: dict[str, list] = {}
    for spec in specs:
        name, equals, values = spec.partition("=")
        name = name.strip().removeprefix("--")
        if not equals or not values.strip():
            raise UsageError(f"--grid takes SETTING=V1,V2,… (e.g. beta=0.5,1,4), got {spec!r}")
        if name not in types:
            raise UsageError(f"--grid {name}: not a setting that can be swept (one of {_SWEEPABLE_HELP})")
        if name in axes:
            raise UsageError(f"--grid {name} is given twice: list all its values in one --grid")
        parse = types[name][1]
        parsed = []
        for text in values.split(","):
            try:
                value = parse(text.strip())
            except argparse.ArgumentTypeError as error:
                raise UsageError(f"--grid {name}: {error}") from None
            if value in parsed:
                raise UsageError(f"--grid {name}: {text.strip()} is listed twice")
            parsed.append(value)
        axes[name] = parsed
    return axes


def fixed_settings(args: argparse.Namespace, axes: dict[str, list]) -> dict[str, object]:
    """Every training option of this sweep not on an axis, as the command line spells it: what the manifest
    records and each run trains with."""
    from core.sweep.grid import preset_schedule

    fixed: dict[str, object] = {}
    for name, (dest, _) in _value_types().items():
        if name not in axes:
            value = getattr(args, dest)
            fixed[name] = DEFAULT_DATASET if name == "dataset" and value is None else value
    fixed.update(
        {
            "colour": args.colour,
            "preset": args.preset,
            "lr-schedule": preset_schedule(args.preset),
            "device": args.device,
            "bf16": args.bf16,
            "compile": args.compile,
            "data-dir": None if args.data_dir is None else str(Path(args.data_dir).absolute()),
            "no-download": args.no_download,
            "no-history": args.no_history,
        }
    )
    return fixed


def run_sweep_command(args: argparse.Namespace) -> int:
    def fail(message: str, code: int = 1) -> int:
        print(f"convae-explorer sweep: {message}", file=sys.stderr)
        return code

    try:
        directory, manifest = _prepare(args)
    except UsageError as error:
        return fail(str(error), EXIT_USAGE)
    except OSError as error:
        return fail(f"cannot use {args.out}: {error.strerror or error}")
    try:
        from core.sweep.driver import SweepError, SweepOptions, run_sweep
    except ImportError as error:
        return fail(f"sweeps need Ray ({error}): pip install 'convae-explorer[sweep]'")
    from core.atomic_write import FileWriteError
    from core.sweep.grid import GridError

    options = SweepOptions(args.address, args.max_parallel, args.cpus_per_run, args.gpus_per_run)
    left = sum(run.state != "done" for run in manifest.runs)
    print(f"Sweep in {directory}: {len(manifest.runs)} runs over {', '.join(manifest.axes) or 'no axis'}, "
          f"{left} to train", flush=True)  # fmt: skip
    try:
        outcome = run_sweep(directory, manifest, options)
    except (SweepError, GridError, FileWriteError) as error:
        return fail(str(error))
    # `bench --sweep` reads Ray's start-up from this line (core.bench.sweep.READY_LINE): keep the two in step
    print(f"Ray ready in {outcome.startup_s:.1f} s; runs took {outcome.run_s:.1f} s", flush=True)
    for run in outcome.manifest.runs:
        print(_run_line(run), flush=True)
    failed = [run for run in outcome.manifest.runs if run.state == "failed"]
    if outcome.interrupted:
        left = sum(run.state != "done" for run in outcome.manifest.runs)
        print(f"Stopped: {left} runs did not finish; `sweep --out {directory} --resume` runs them.", flush=True)
        return 130
    return 1 if failed else 0


def _run_line(run) -> str:
    parts = [f"{run.run_id}: {run.state}"]
    if run.final_loss is not None:
        parts.append(f"loss {run.final_loss:.4f}")
    if run.kl is not None:
        parts.append(f"KL {run.kl:.3f}")
    if run.active_units is not None:
        parts.append(f"{run.active_units} active units")
    if run.error:
        parts.append(run.error)
    return "  " + " · ".join(parts)


def _prepare(args: argparse.Namespace):
    """The sweep's folder and manifest: a new grid in an empty (or new) folder, or the manifest already there with
    --resume."""
    from core.sweep.grid import GridError, new_manifest
    from core.sweep.manifest import MANIFEST_NAME, SweepFileError, read_manifest, write_manifest

    directory = Path(args.out)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"--out {directory} is a file: a sweep's folder is needed")
    if args.resume:
        if args.grid:
            raise UsageError("--resume continues the grid in DIR/sweep.json: give no --grid with it")
        try:
            return directory, read_manifest(directory)
        except SweepFileError as error:
            raise UsageError(f"nothing to resume: {error}") from None
    if (directory / MANIFEST_NAME).exists():
        raise UsageError(f"{directory} holds a sweep already: add --resume to continue it, or choose another --out")
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty: a new sweep needs an empty or new folder")
    if not args.grid:
        raise UsageError("give at least one --grid SETTING=V1,V2,… (e.g. --grid beta=0.5,1,4)")
    axes = parse_grid(args.grid)
    try:
        manifest = new_manifest(axes, fixed_settings(args, axes))
    except GridError as error:
        raise UsageError(str(error)) from None
    directory.mkdir(parents=True, exist_ok=True)
    write_manifest(directory, manifest)
    return directory, manifest
