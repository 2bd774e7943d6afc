"""The `convae-explorer` entry point: the composition root above core and the window.

It hands core's command line the two things only the window side has (opening the window, measuring it), each
imported when called: `train` and `bench --no-gui` never import Qt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from core.commands.main import WindowSide
from core.commands.main import main as core_main


def open_window(checkpoint: Path | None) -> int:
    from core.commands.arguments import EXIT_USAGE
    from explorer.utils.display import display_problem

    problem = display_problem()  # before Qt, which aborts (exit 134) with a misleading hint
    if problem is not None:
        print(f"convae-explorer: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        from explorer.app import run_app
    except ImportError as error:
        print(
            f"convae-explorer: the window needs Qt (PySide6) and pyqtgraph, which could not be imported "
            f"({error}). Headless commands still work: convae-explorer train / bench.",
            file=sys.stderr,
        )
        return 1
    try:
        return run_app(checkpoint)
    except Exception as error:
        import logging

        logging.getLogger("convae-explorer").exception("the window failed")
        print(f"convae-explorer: the window failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def bench_figures(quick: bool, device: str, learned_view: bool = False) -> list[dict]:
    """The bench's window figures; imports Qt only when called (an ImportError makes the bench skip them).
    `learned_view` (bench --learned-view) adds the window's figures while it lays the learned view out."""
    from explorer.bench.exploration import measure_exploration
    from explorer.bench.gui import measure_gui
    from explorer.bench.sweep_gallery import measure_sweep_gallery

    gui = measure_gui(quick=quick, device=device)
    figures = gui + measure_exploration(quick=quick) + measure_sweep_gallery(quick=quick)
    if learned_view:
        from explorer.bench.learned_view import measure_learned_window

        figures += measure_learned_window(quick=quick)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    return core_main(argv, WindowSide(open_window=open_window, bench_figures=bench_figures))


if __name__ == "__main__":
    raise SystemExit(main())
