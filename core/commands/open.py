"""`convae-explorer open [CHECKPOINT]` (the default command): open the window, optionally on a saved model.

Core has no window: the entry point (explorer.__main__) lends the function that opens it, so the checks here (the
file exists, --data-dir is a folder) run without Qt, and `python -m core` says plainly that it has no window.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from core.commands.arguments import EXIT_USAGE, add_data_dir_argument, user_path


def add_open_parser(commands: argparse._SubParsersAction) -> None:
    """Add `open` to the command line."""
    open_cmd = commands.add_parser("open", help="open the window (optionally on a checkpoint); the default")
    open_cmd.add_argument("checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint to explore")
    add_data_dir_argument(open_cmd, note="; the window uses it for this launch")


def run_open(args: argparse.Namespace, open_window: Callable[[Path | None], int] | None) -> int:
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
