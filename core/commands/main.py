"""The `convae-explorer` command line's entry: parse (core.commands.parser), then hand over to the subcommand.

Core knows nothing of the window: the entry point (explorer.__main__) hands in how to open it and how to measure it,
so `train`, `render`, `export` and `bench --no-gui` never import Qt; `python -m core train …` works on a server
without Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.commands.bench import run_bench_command
from core.commands.export import run_export
from core.commands.open import run_open
from core.commands.parser import SUBCOMMANDS, build_parser
from core.commands.render import run_render
from core.commands.sweep import run_sweep_command
from core.commands.train import run_train
from core.settings import DEFAULT_RECIPE

__all__ = ["WindowSide", "build_parser", "main"]


@dataclass(frozen=True)
class WindowSide:
    """What the composition root (explorer.__main__) lends the command line: the window and its bench figures."""

    open_window: Callable[[Path | None], int] | None = None
    bench_figures: Callable[[bool, str], Sequence[Any]] | None = None


def _printable_streams() -> None:
    """Print a path or name that is not valid UTF-8 (any bytes a file system allows) as its bytes are, as `ls`
    does, instead of failing in UnicodeEncodeError: Python's stdout is strict unless the locale is C."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) in ("strict", "backslashreplace") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")


def main(argv: Sequence[str] | None = None, window: WindowSide | None = None) -> int:
    _printable_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        args_list = ["open"]
    elif args_list[0] not in SUBCOMMANDS and (
        not args_list[0].startswith("-") or args_list[0].startswith("--data-dir")
    ):
        args_list = ["open", *args_list]
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command in ("train", "sweep") and args.preset != DEFAULT_RECIPE:
        args = build_parser(args.preset).parse_args(args_list)  # the preset's values as defaults, given ones win
    window = window or WindowSide()
    try:
        return _run(args, window)
    except KeyboardInterrupt:  # train and the window turn Ctrl+C into a stop; elsewhere it ends the command
        print(f"convae-explorer {args.command}: interrupted; nothing was written.", file=sys.stderr)
        return 130


def _run(args: Any, window: WindowSide) -> int:
    if args.command == "train":
        return run_train(args)
    if args.command == "bench":
        return run_bench_command(args, window.bench_figures)
    if args.command == "render":
        return run_render(args)
    if args.command == "export":
        return run_export(args)
    if args.command == "sweep":
        return run_sweep_command(args)
    return run_open(args, window.open_window)
