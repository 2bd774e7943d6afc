"""What the window's parts cost training: window ÷ engine with parts of the window switched off.

Runs the bench's window ÷ engine rounds (explorer.bench.gui: the window's run paused while the engine alone runs,
and the other way round) with engine phases on both sides of every window phase, E W E W … E, and prints each
window phase against the mean of its two neighbours (a host drifting steadily favours neither), with the window
thread's CPU. The parts, in any combination joined by "+":

    live      no live points (the engine's slices between snapshots, and their redraws)
    redraws   no progress, loss-curve or live-point redraws in the window
    meter     the bench's 10 ms timer-gap meter on during the window phases (it was, before 2026-11-27)
    nice0     the training threads as nice as the window's

    python tools/window_cost.py [PARTS] [--rounds 12]     e.g.  python tools/window_cost.py live+redraws

core.training.pacing cites what it measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _switch_off(parts: set[str]) -> None:
    import core.training.engine
    import explorer.latent.run_view
    import explorer.training.loss_panel
    import explorer.training.worker
    import explorer.window.main_window

    if "live" in parts:
        core.training.engine._LivePacer.due = lambda self: False
    if "redraws" in parts:
        explorer.training.loss_panel.LossPanel.show_losses = lambda self, losses: None
        explorer.latent.run_view.RunView._on_live_points = lambda self, update: None
        explorer.window.main_window.MainWindow._on_progress = lambda self, progress: None
    if "nice0" in parts:
        explorer.training.worker.TRAINING_NICENESS = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="?", default="", help="parts switched off (or the meter on), joined by +")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    parts = {part for part in args.parts.split("+") if part}
    _switch_off(parts)

    from PySide6.QtCore import QSettings

    from core.bench.steady import steady_rate
    from core.settings import TrainConfig
    from core.training.pacing import window_pacing
    from explorer.app import create_application
    from explorer.bench.gui import TimerGapMeter, _EnginePhases, _GuiRun, _pump, ratio_timing
    from explorer.window.main_window import MainWindow

    app = create_application([])
    home = Path(tempfile.mkdtemp())
    window = MainWindow(QSettings(str(home / "s.ini"), QSettings.Format.IniFormat), autosave_dir=home / "autosave")
    window.resize(1280, 860)
    window.show()
    app.processEvents()
    engine = _EnginePhases(TrainConfig())
    pacing = window_pacing(engine.trainer.device.type, engine.trainer.threads)
    every_s, phase = ratio_timing(pacing, 0.75)
    engine.run_for(1.0)  # warm-up
    run = _GuiRun(app, window)
    run.start()
    _pump(app, 2.0)
    meter = TimerGapMeter()
    thread = [0.0, 0.0]

    def engine_phase() -> None:
        run.engine_alone(engine, phase)

    def window_phase() -> None:
        cpu, wall = time.thread_time(), time.perf_counter()
        if "meter" in parts:
            meter.start()
        run.measure(0.3, phase)
        meter.stop()
        thread[0] += time.thread_time() - cpu
        thread[1] += time.perf_counter() - wall

    engine_phase()
    for _ in range(args.rounds):
        window_phase()
        engine_phase()
    run.stop()
    engines = [steady_rate([p], every_s)[0] for p in engine.phases[1:]]
    windows = [steady_rate([p], every_s)[0] for p in run.phases]
    ratios = [w / ((engines[i] + engines[i + 1]) / 2) for i, w in enumerate(windows)]
    print(
        f"off: {args.parts or 'nothing'}  window ÷ engine {statistics.median(ratios):.3f} "
        f"(rounds {min(ratios):.2f}–{max(ratios):.2f})  window's thread {100 * thread[0] / thread[1]:.1f} % of a core"
    )


if __name__ == "__main__":
    main()
