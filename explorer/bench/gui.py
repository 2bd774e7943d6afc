"""The bench's GUI figures: training through the window, hover latency, timer gaps, latent panel, start-up.

Runs on Qt's offscreen platform when there is no display. Handed to core.bench.run_bench by the entry point
(core needs no Qt).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from core.bench.steady import paired_ratio, steady_rate, whole_rate
from core.bench.timelapse import MOVED_WITHIN_S
from core.data.datasets import load_builtin_digits
from core.events import BatchEnd
from core.latent.plane import fit_plane
from core.settings import TrainConfig
from core.training.engine import Trainer
from core.training.pacing import WindowPacing, window_pacing
from core.training.progress import RunProgress
from core.training.thread_count import thread_count_kept
from explorer.app import create_application
from explorer.bench.pointer import mouse_move_at
from explorer.bench.selection import selection_figures
from explorer.bench.timelapse import timelapse_figures
from explorer.window.main_window import MainWindow

#: Intervals (core.bench.steady) a phase of the window ÷ engine figure should hold at least.
INTERVALS_PER_PHASE = 6
#: Epochs of the window's measured run: more than any host trains in the bench's phases.
RUN_EPOCHS = 500


def figure(name: str, value: float, unit: str, goal: str | None, met: bool | None, n: int, detail: str = "") -> dict:
    return {"name": name, "value": value, "unit": unit, "goal": goal, "met": met, "n": n, "detail": detail}


def _pump(app: QApplication, seconds: float) -> None:
    """Run the event loop for a while, idle between events as app.exec() is (a polling loop would eat a core)."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, int(seconds * 1000)), loop.quit)
    loop.exec()


class _EnginePhases:
    """The engine alone, advanced a few seconds at a time between the window's phases (same thread as a script)."""

    def __init__(self, config: TrainConfig) -> None:
        self.trainer = Trainer(load_builtin_digits(), config)
        self._events = self.trainer.run()
        self.phases: list[list[tuple[int, float]]] = []  # (images seen, training seconds) per measured phase

    def run_for(self, seconds: float) -> float:
        # The engine sets the calling thread's torch threads for training; this is the window's thread, which
        # the app keeps at one (for the hover decode): give it back afterwards, or the hover figures would not
        # be the app's.
        with thread_count_kept():
            return self._advance(seconds)

    def _advance(self, seconds: float) -> float:
        start_seen, start = None, None
        phase: list[tuple[int, float]] = []
        self.phases.append(phase)
        for event in self._events:
            if not isinstance(event, BatchEnd):
                continue
            now = time.perf_counter()
            phase.append((event.images_seen, event.elapsed_s))
            if start is None:
                start_seen, start = event.images_seen, now
            elif now - start >= seconds:
                return (event.images_seen - start_seen) / (now - start)
        raise RuntimeError("training ended before the measurement window closed")


class TimerGapMeter:
    """A 10 ms QTimer that records the time between its ticks: how long the window's thread was unavailable."""

    def __init__(self) -> None:
        self.gaps: list[float] = []  # seconds between consecutive ticks
        self._last = 0.0
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last:
            self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        self._last = 0.0
        self.timer.start()

    def stop(self) -> float:
        """Stop, and return the largest gap in milliseconds."""
        self.timer.stop()
        return max(self.gaps, default=0.0) * 1000


class _LiveMoves:
    """When the window's latent panel got moved points while a run trained: live updates and full views alike.

    Issue 25, defect 9 was seen in a real window, not in the engine's events: this times what reaches the window's
    thread (core.bench.timelapse times the engine's own events)."""

    def __init__(self, session) -> None:
        self._session = session
        self.start = time.perf_counter()
        self.times: list[float] = []
        view = session.view  # per display point: when it last moved within the phase
        self._last_moved = None if view is None else np.full(len(view.xy), -np.inf)
        session.livePoints.connect(self._on_live)
        session.viewChanged.connect(self._on_view)

    def _on_live(self, update) -> None:
        now = time.perf_counter()
        self.times.append(now)
        if self._last_moved is not None:
            self._last_moved[update.indices] = now

    def _on_view(self, view) -> None:
        now = time.perf_counter()
        self.times.append(now)
        self._last_moved = np.full(len(view.xy), now)

    def stop(self) -> None:
        self.end = time.perf_counter()
        self._session.livePoints.disconnect(self._on_live)
        self._session.viewChanged.disconnect(self._on_view)

    def figures(self, phase_s: float) -> list[dict]:
        edges = [self.start, *self.times, self.end]  # a phase without a move counts as one gap
        largest = 1000 * float(np.max(np.diff(edges)))
        within = MOVED_WITHIN_S
        last = self._last_moved
        moved = 0.0 if last is None else 100 * float((last >= self.end - within).mean())
        return [
            figure(
                "live view in the window: largest gap between moves of the points",
                largest,
                "ms",
                "≤ 1000",
                bool(largest <= 1000),
                len(self.times),
                f"live updates and full views as the window's thread got them, over the {phase_s:.0f} s timer-gap "
                "phase (the run training on, never paused); its start and end count as moves",
            ),
            figure(
                f"live view in the window: share of display points moved within {within:g} s",
                moved,
                "%",
                "≥ 50",
                bool(moved >= 50),
                1,
                f"at the end of the same {phase_s:.0f} s phase",
            ),
        ]


class _GuiRun:
    """One training run in a live window, with progress samples for the rate."""

    def __init__(self, app: QApplication, window: MainWindow) -> None:
        self.app, self.window = app, window
        self.samples: list[tuple[float, int, float]] = []  # (wall time, images seen, engine-elapsed)
        self.phases: list[list[tuple[int, float]]] = []  # (images seen, training seconds) per measured phase

    def _on_progress(self, progress: RunProgress) -> None:
        self.samples.append((time.perf_counter(), progress.images_seen, progress.elapsed_s))

    def start(self) -> None:
        self.window.controls.dataset.setCurrentIndex(self.window.controls.dataset.findData("digits-5k"))
        # Long enough that no phase outlasts the run (20 epochs of digits-5k, 78 s on 2 cores, ended inside the
        # timer-gap phase once snapshots no longer decoded their errors each time): the bench stops it.
        self.window.controls.epochs.setValue(RUN_EPOCHS)
        self.window.start_training()
        self.window.session.progressed.connect(self._on_progress)

    def measure(self, warmup_s: float, window_s: float) -> float:
        _pump(self.app, warmup_s)
        first = len(self.samples)
        _pump(self.app, window_s)
        # the engine's own clock leaves out paused time, so a sample from before a pause is still a fair start
        self.phases.append([(seen, elapsed) for _, seen, elapsed in self.samples[max(first - 1, 0) :]])
        (_, seen0, elapsed0), (_, seen1, elapsed1) = self.samples[max(first - 1, 0)], self.samples[-1]
        return (seen1 - seen0) / max(elapsed1 - elapsed0, 1e-9)

    def engine_alone(self, engine: _EnginePhases, seconds: float) -> float:
        """Pause this run, train `engine` alone for `seconds` (its rate, img/s), then resume this run."""
        self.window.toggle_pause()
        while not self.window.session.runner.control.waiting:
            _pump(self.app, 0.01)
        rate = engine.run_for(seconds)
        self.window.toggle_pause()
        return rate

    def stop(self) -> None:
        self.window.stop_training()
        while self.window.running:
            _pump(self.app, 0.05)


def ratio_timing(pacing: WindowPacing, least_phase_s: float) -> tuple[float, float]:
    """(interval, phase) seconds for the window ÷ engine rounds. An interval is at least the curve's time between
    redraws (and the worker's between updates), less a margin for the engine's clock against the wall's, so a
    median over intervals cannot leave the redraws out; a phase holds INTERVALS_PER_PHASE, so that one interval
    holding a snapshot does not move its median."""
    redraw_s = 1 / min(pacing.progress_hz, pacing.curve_hz)
    return 0.9 * redraw_s, max(least_phase_s, INTERVALS_PER_PHASE * redraw_s)


def _window_ratio_figure(
    engine_phases: list,
    window_phases: list,
    engine_rates: list[float],
    gui_rates: list[float],
    phase_s: float,
    every_s: float,
) -> dict:
    """Window ÷ engine: the median over rounds of the two steady rates taken back to back (core.bench.steady).

    Both sides' intervals are at least `every_s` long (ratio_timing), the engine's taken like the window's.
    """
    ratio, ratios = paired_ratio(window_phases, engine_phases, every_s)
    engine, intervals_e = steady_rate(engine_phases, every_s)
    gui, intervals_w = steady_rate(window_phases, every_s)
    whole = statistics.median(gui_rates) / statistics.median(engine_rates)
    spread = f"{min(ratios):.2f}–{max(ratios):.2f}" if ratios else "—"
    return figure(
        "training through the window ÷ engine alone",
        ratio,
        "×",
        "≥ 0.95",
        ratio >= 0.95,
        len(ratios),
        f"median of {len(ratios)} rounds' ratios ({spread}), each round a window phase and an engine phase of "
        f"{phase_s:g} s back to back, in alternating order; each phase's steady rate is its median over intervals "
        f"of ≥ {1000 * every_s:.0f} ms. Pooled: window {gui:,.0f} img/s over {intervals_w} intervals, engine "
        f"{engine:,.0f} over {intervals_e} ({gui / engine:.2f}×); snapshots on, and included: {whole:.2f}× "
        f"(median phase rates), window {whole_rate(window_phases):,.0f} and engine "
        f"{whole_rate(engine_phases):,.0f} img/s over all phases",
    )


def _window_thread_figure(cpus: float, pacing: WindowPacing, rounds: int) -> dict:
    """The CPU time the window's own thread takes while a run trains: what the window ÷ engine figure pays for."""
    return figure(
        "window's own thread while training",
        100 * cpus,
        "% of a core",
        None,
        None,
        rounds,
        f"{pacing.progress_hz:g} progress updates a second, the loss curve redrawn ≤ {pacing.curve_hz:g} times a "
        f"second, live points every {pacing.live_points_s:g} s (core.training.pacing); time.thread_time over the "
        "window phases. Where training runs a half-batch team on every core, each slice of this preempts a team, "
        "and the other team waits for it at the gradient sum",
    )


def _hover_latencies(app: QApplication, window: MainWindow, moves: int, spacing_s: float) -> list[float]:
    """Milliseconds from a real mouse-move event to the preview showing the decoded image."""
    plot, view = window.latent.plot, window.latent.view_box
    (x0, x1), (y0, y1) = view.viewRange()
    rng = np.random.default_rng(0)
    latencies = []
    decodes = [0]
    count = lambda *_: decodes.__setitem__(0, decodes[0] + 1)  # noqa: E731
    window.run.hover.decoded.connect(count)
    for _ in range(moves):
        x, y = x0 + (x1 - x0) * rng.uniform(0.1, 0.9), y0 + (y1 - y0) * rng.uniform(0.1, 0.9)
        event = mouse_move_at(window.latent, x, y)
        before = decodes[0]
        start = time.perf_counter()
        QApplication.sendEvent(plot.viewport(), event)
        while decodes[0] == before:
            app.processEvents()
        window.preview.image.repaint()  # the preview on screen; the crosshair's repaint follows in the same turn
        latencies.append((time.perf_counter() - start) * 1000)
        _pump(app, spacing_s)
    window.run.hover.decoded.disconnect(count)
    return latencies


def _hover_figure(name: str, latencies: list[float], goal_ms: float) -> dict:
    p95 = float(np.percentile(latencies, 95))
    p50 = f"p50 {np.median(latencies):.2f} ms"
    return figure(name, p95, "ms", f"≤ {goal_ms:g}", p95 <= goal_ms, len(latencies), p50)


def _latent_panel_times(app: QApplication, window: MainWindow, count: int, repeats: int) -> tuple[float, float]:
    """Median ms to show `count` new points (first time, view fitted) and to refresh them (new positions)."""
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 4, size=(10, 2))
    labels = rng.integers(0, 10, size=count)
    xy = (centres[labels] + rng.normal(0, 1, size=(count, 2))).astype(np.float32)
    plane = fit_plane(xy)
    classes = tuple(str(i) for i in range(10))
    panel = window.latent
    shows, refreshes = [], []
    for _ in range(repeats):
        panel.points.set_points(np.zeros((0, 2), np.float32), np.zeros(0, np.int64), np.zeros(1, np.uint32))
        panel.reset_view()
        app.processEvents()
        start = time.perf_counter()
        panel.show_points(xy, labels, classes, plane)
        app.processEvents()
        panel.plot.viewport().repaint()
        shows.append((time.perf_counter() - start) * 1000)
        moved = xy + rng.normal(0, 0.05, size=xy.shape).astype(np.float32)
        start = time.perf_counter()
        panel.show_points(moved, labels, classes, plane)
        app.processEvents()
        panel.plot.viewport().repaint()
        refreshes.append((time.perf_counter() - start) * 1000)
    return statistics.median(shows), statistics.median(refreshes)


#: A fresh interpreter that opens the window as the entry point does, prints when it is shown, and closes it.
STARTUP_PROBE = """
import sys, time
from explorer.__main__ import main
from explorer import app

def shown(window):
    print(f"window-shown {time.time():.6f}", flush=True)
    app.QTimer.singleShot(300, window.close)

opened = app.run_app
app.run_app = lambda checkpoint=None: opened(checkpoint, after_show=shown)
sys.exit(main([]))
"""


def _startup_seconds(repeats: int) -> list[float]:
    """Wall time from launching the app (the entry point's imports included) to its window's first event-loop turn."""
    times = []
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": home,
            "XDG_DATA_HOME": home,
            "XDG_STATE_HOME": home,
        }
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for _ in range(repeats):
            start = time.time()
            result = subprocess.run(
                [sys.executable, "-c", STARTUP_PROBE], capture_output=True, text=True, env=env, timeout=120, check=False
            )
            shown = [line for line in result.stdout.splitlines() if line.startswith("window-shown ")]
            if result.returncode != 0 or not shown:
                raise RuntimeError(f"the app did not start: {result.stderr.strip()[-300:]}")
            times.append(float(shown[0].split()[1]) - start)
    return times


def shown_bench_window(folder: Path) -> MainWindow:
    """The main window the bench measures: settings and autosaves of its own in `folder` (nothing of the user's read
    or kept), at 1280×860, shown."""
    window = MainWindow(QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat), autosave_dir=folder / "autosave")
    window.resize(1280, 860)
    window.show()
    return window


def measure_gui(quick: bool = False, device: str = "auto") -> list[dict]:
    """All GUI figures, each a median of repeats; ratios measured in this same run."""
    app = create_application([])
    figures: list[dict] = []
    config = TrainConfig(device=device)
    with tempfile.TemporaryDirectory() as tmp:
        window = shown_bench_window(Path(tmp))
        app.processEvents()

        # Interleaved in short phases (window, engine, window, engine…) because this host's speed drifts by 2-3×
        # over seconds: the window's run is paused while the engine alone runs, and the other way round.
        rounds, phase = (16, 0.75) if quick else (20, 1.0)
        engine_alone = _EnginePhases(config)
        pacing = window_pacing(engine_alone.trainer.device.type, engine_alone.trainer.threads)
        every_s, phase = ratio_timing(pacing, phase)
        engine_alone.run_for(1.0)  # warm-up
        run = _GuiRun(app, window)
        run.start()
        _pump(app, 2.0)  # warm-up: data loaded, first snapshot taken
        engine_rates, gui_rates = [], []

        def engine_phase() -> None:
            engine_rates.append(run.engine_alone(engine_alone, phase))

        window_thread = [0.0, 0.0]  # the window's own thread: CPU seconds, wall seconds, over the window phases

        def window_phase() -> None:
            cpu, wall = time.thread_time(), time.perf_counter()
            gui_rates.append(run.measure(0.3, phase))
            window_thread[0] += time.thread_time() - cpu
            window_thread[1] += time.perf_counter() - wall

        for index in range(rounds):  # E W, W E, E W…: a host drifting one way favours neither
            for measure in (engine_phase, window_phase) if index % 2 == 0 else (window_phase, engine_phase):
                measure()
        # The timer-gap meter in a phase of its own, half as long as the window phases together: its 100 wake-ups
        # a second, each preempting a training team, took 2-3 % off the window's rate when it ran in those phases.
        gap_s = rounds * phase / 2
        meter = TimerGapMeter()
        moves = _LiveMoves(window.session)
        meter.start()
        _pump(app, gap_s)
        meter.stop()
        moves.stop()
        if not window.running:
            raise RuntimeError(f"the window's run of {RUN_EPOCHS} epochs ended before the timer-gap phase did")
        run.stop()
        engine_phases = engine_alone.phases[1:]  # the warm-up's phase is not a round's
        figures.append(_window_ratio_figure(engine_phases, run.phases, engine_rates, gui_rates, phase, every_s))
        figures.append(_window_thread_figure(window_thread[0] / window_thread[1], pacing, rounds))
        gap_ms = np.array(meter.gaps) * 1000
        figures.append(
            figure(
                "largest 10 ms-timer gap while training",
                float(gap_ms.max()),
                "ms",
                "≤ 50",
                bool(gap_ms.max() <= 50),
                len(gap_ms),
                f"p99 {np.percentile(gap_ms, 99):.1f} ms; a {gap_s:.0f} s phase of its own after the window ÷ engine "
                "rounds, the run training on",
            )
        )

        figures.extend(moves.figures(gap_s))

        moves = 120  # p95 of 120: the 6th-slowest move (of 50, the 3rd swung the figure by 1 ms between runs)
        figures.append(_hover_figure("hover latency idle, p95", _hover_latencies(app, window, moves, 0.002), 5.0))
        run = _GuiRun(app, window)
        run.start()
        _pump(app, 2.0)
        busy = _hover_latencies(app, window, moves, 0.02)
        run.stop()
        figures.append(_hover_figure("hover latency while training, p95", busy, 16.0))

        for count, goal in ((60_000, 50.0), (1_000_000, 500.0)):
            repeats = 2 if quick else 3
            show, refresh = _latent_panel_times(app, window, count, repeats)
            figures.append(
                figure(f"latent panel: show {count:,} points", show, "ms", f"≤ {goal:g}", show <= goal, repeats)
            )
            figures.append(
                figure(
                    f"latent panel: refresh {count:,} points", refresh, "ms", f"≤ {goal:g}", refresh <= goal, repeats
                )
            )
        figures.extend(timelapse_figures(app, window, quick, TimerGapMeter()))
        figures.extend(selection_figures(app, window, quick))
        window.close()
        window.deleteLater()
        app.processEvents()

    starts = _startup_seconds(2 if quick else 3)
    start = statistics.median(starts)
    figures.append(figure("start-up: process start to window shown", start, "s", "≤ 2.5", start <= 2.5, len(starts)))
    return figures
