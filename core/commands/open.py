"""`convae-explorer open [CHECKPOINT]` (the default command): open the window, optionally on a saved model.

Core has no window: the entry point (explorer.__main__) lends the function that opens it, so the checks here (the
file exists, --data-dir is a folder) run without Qt, and `python -m core` says plainly that it has no window.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from core.commands.arguments import EXIT_USAGE, add_data_dir_argument, add_model_code_arguments, user_path


def add_open_parser(commands: argparse._SubParsersAction) -> None:
    """Add `open` to the command line."""
    open_cmd = commands.add_parser("open", help="open the window (optionally on a checkpoint); the default")
    open_cmd.add_argument("checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint to explore")
    add_data_dir_argument(open_cmd, note="; the window uses it for this launch")
    add_model_code_arguments(open_cmd, weights=True, dataset=True)


def own_model_checkpoint(args: argparse.Namespace) -> Path:
    """`open --model-code … --weights … --dataset …`: the weights as a checkpoint of ours (core.runs.own_model), so
    the window opens them as any saved run and can train them further. Raises OwnModelRefused."""
    from core.commands.own_model import OwnModelRefused, source_from_args
    from core.data.datasets import DatasetError
    from core.files.checkpoint import CheckpointError
    from core.runs.own_model import OwnModelOpenError
    from core.runs.own_model import own_model_checkpoint as write_checkpoint

    for option in ("dataset", "weights"):
        if getattr(args, option) is None:
            raise OwnModelRefused(f"--model-code needs --{option}: --model-code F.py:Class --weights W --dataset D")
    try:
        return write_checkpoint(source_from_args(args), args.weights, args.dataset, getattr(args, "data_dir", None))
    except (DatasetError, CheckpointError, OwnModelOpenError) as error:
        raise OwnModelRefused(str(error)) from None


def run_open(args: argparse.Namespace, open_window: Callable[[Path | None], int] | None) -> int:
    from core.commands.own_model import OwnModelRefused, own_options_alone, refuse, uses_own_model

    if uses_own_model(args):
        if args.checkpoint is not None:
            print(f"convae-explorer: name a checkpoint ({args.checkpoint}) or --model-code, not both.", file=sys.stderr)
            return EXIT_USAGE
        try:
            args.checkpoint = own_model_checkpoint(args)
        except OwnModelRefused as error:
            return refuse("open", error)
    elif own_options_alone(args) or getattr(args, "dataset", None):
        print(
            "convae-explorer: --weights, --dataset and the ranges go with --model-code FILE.py:Class.", file=sys.stderr
        )
        return EXIT_USAGE
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint is not None and not checkpoint.is_file():
        what = "is not a file" if checkpoint.exists() else "does not exist"
        print(f"convae-explorer: {checkpoint} {what}.", file=sys.stderr)
        return EXIT_USAGE
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None:
        if data_dir.exists() and not data_dir.is_dir():
            print(f"convae-explorer: --data-dir {data_dir} is a file, not a folder.", file=sys.stderr)
            return EXIT_USAGE
        from core.data.location import FROM_COMMAND_LINE, use_data_dir

        use_data_dir(data_dir, FROM_COMMAND_LINE)
    if open_window is None:
        print("convae-explorer: this entry point has no window; run `convae-explorer` to open it.", file=sys.stderr)
        return 1
    return int(open_window(checkpoint))
