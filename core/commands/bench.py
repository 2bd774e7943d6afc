"""`convae-explorer bench`: measure speed and responsiveness, side by side with the lecture's reference loop.

The measurements are core.bench's; the window's figures come from the entry point (explorer.__main__), which lends
the function that measures them, so `bench --no-gui` never imports Qt.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from core.commands.arguments import device_type, user_path


def add_bench_parser(commands: argparse._SubParsersAction) -> None:
    """Add `bench` to the command line."""
    bench = commands.add_parser("bench", help="measure speed and responsiveness, side by side with the reference")
    bench.add_argument("--quick", action="store_true", help="fewer repeats: a few minutes")
    bench.add_argument(
        "--json", type=user_path, help="also write the results as JSON here (replaces only an earlier report)"
    )
    bench.add_argument("--device", type=device_type, default="auto", help="device for the engine figures")
    bench.add_argument("--no-gui", action="store_true", help="skip the figures that need Qt")
    bench.add_argument(
        "--loss-run",
        action="store_true",
        help="also train 20 epochs of digits-5k with the engine and the reference loop and compare their final "
        "MSE, then the VAE at L17's settings (50 epochs, batch 256) against L17's loop (several minutes)",
    )
    bench.add_argument(
        "--time-to-target",
        action="store_true",
        help="also time the lecture's recipe and the fast preset until the running MSE reaches the lecture's "
        "20-epoch level, and compare their latent spaces (minutes: one run of each, taking turns)",
    )
    _add_learned_view_argument(bench)
    bench.add_argument(
        "--sweep",
        action="store_true",
        help="also time a sweep of 4 one-epoch runs on Ray against the same 4 train runs one after another "
        "(a minute or two; needs ray)",
    )


def _add_learned_view_argument(bench: argparse.ArgumentParser) -> None:
    bench.add_argument(
        "--learned-view",
        action="store_true",
        help="also measure the learned view (UMAP and its inverse) against the PCA plane on latent-8 and latent-16 "
        "lecture models trained 5 epochs, and the window while it lays the view out (minutes; needs umap-learn)",
    )


def run_bench_command(args: argparse.Namespace, window_figures: Callable[[bool, str], Sequence[Any]] | None) -> int:
    """Run the bench as the options ask; `window_figures` measures the window (None: no window side, or --no-gui
    asked to skip it)."""
    import sys

    from core.bench import run_bench
    from core.files.own_output import NotOurs, check_replaceable, is_our_bench_json

    if args.json is not None:  # before minutes of measuring: a user's own file is never replaced
        try:
            check_replaceable(args.json, is_our_bench_json, "a bench report")
        except NotOurs as error:
            print(f"convae-explorer bench: {error}", file=sys.stderr)
            return 1
    if window_figures is not None and args.learned_view:  # the window's own learned-view figures too
        from functools import partial

        window_figures = partial(window_figures, learned_view=True)
    return run_bench(
        quick=args.quick,
        json_path=args.json,
        device=args.device,
        loss_run=args.loss_run,
        gui_figures=None if args.no_gui else window_figures,
        time_to_target=args.time_to_target,
        learned_view=args.learned_view,
        sweep=args.sweep,
    )
