"""The exploration tools' window figures: the GUI thread's largest 10 ms-timer gap while panning with the decoded
map on, and hover latency with the neighbours and the off-the-data meter at 2,000 and 60,000 display points idle,
and while the window trains with the map on.

Measured in a live window (offscreen without a display) with real mouse events, reusing explorer.bench.gui's
helpers (TimerGapMeter, the hover-latency loop, the pump); registered beside its figures by explorer.__main__.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.bench.gui import (
    TimerGapMeter,
    _GuiRun,
    _hover_figure,
    _hover_latencies,
    _pump,
    figure,
    shown_bench_window,
)
from explorer.window.main_window import MainWindow

PAN_GAP_GOAL_MS = 50.0
HOVER_GOAL_MS = 6.0
TRAINING_GOAL_MS = 16.0


def _first_view():
    """A real snapshot of a fresh model on the built-in digits (2,000 display images), as the window builds it."""
    from core.data.datasets import load_builtin_digits
    from core.latent.view import view_of
    from core.settings import TrainConfig
    from core.training.engine import Trainer

    return view_of(Trainer(load_builtin_digits(), TrainConfig(device="cpu", num_threads=1)).snapshot())


def _with_points(view, count: int):
    """The same snapshot with `count` display codes: the real ones repeated with a small jitter (the built-in set
    has 5,000 images; the window's cost depends on how many points there are, not where they came from)."""
    from core.latent.view import view_of

    snapshot = view.snapshot
    repeats = int(np.ceil(count / len(snapshot.codes)))
    rng = np.random.default_rng(0)
    codes = np.tile(snapshot.codes, (repeats, 1))[:count]
    codes = codes + rng.normal(0, 0.02 * codes.std(), codes.shape).astype(np.float32)
    take = np.arange(count) % len(snapshot.codes)
    # every per-image field repeated alike: the panels pair them up (the selection's errors with the labels)
    per_image = {
        name: getattr(snapshot, name)[take]
        for name in ("labels", "display_images", "errors", "data_indices", "log_variances")
        if getattr(snapshot, name) is not None
    }
    return view_of(replace(snapshot, codes=codes, **per_image))


def _show(app: QApplication, window: MainWindow, view) -> None:
    window.session.shown.offer_live(view)  # as a new snapshot is shown
    _pump(app, 0.3)


def _pan_gap(app: QApplication, window: MainWindow, seconds: float) -> tuple[float, int, int]:
    """Drag the plot back and forth with the real mouse (a move every 16 ms, a pause now and then so the map is
    decoded again mid-pan); return the largest timer gap (ms), the maps requested and the maps drawn."""
    panel, layer = window.latent, window.exploration.map
    viewport = panel.plot.viewport()
    rect = viewport.rect()
    centre = QPointF(rect.center())
    requests, drawn = [0], [0]
    count = lambda *_: drawn.__setitem__(0, drawn[0] + 1)  # noqa: E731
    layer.worker.done.connect(count)

    def asked(caption: str) -> None:  # the layer says "Decoding …" each time it asks for a map
        requests[0] += caption.startswith("Decoding")

    layer.changed.connect(asked)

    def send(kind: QEvent.Type, at: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        event = QMouseEvent(kind, at, viewport.mapToGlobal(at), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    meter = TimerGapMeter()
    meter.start()
    end = time.perf_counter() + seconds
    stroke = 0
    left = Qt.MouseButton.LeftButton
    while time.perf_counter() < end:
        send(QEvent.Type.MouseButtonPress, centre, left, left)
        direction = 1 if stroke % 2 == 0 else -1
        for step in range(1, 21):
            at = centre + QPointF(direction * 6 * step, direction * 3 * step)
            send(QEvent.Type.MouseMove, at, Qt.MouseButton.NoButton, left)
            _pump(app, 0.016)
        send(QEvent.Type.MouseButtonRelease, at, left, Qt.MouseButton.NoButton)
        _pump(app, 0.3 if stroke % 2 else 0.05)  # every other stroke long enough for a new map to be asked for
        stroke += 1
    gap = meter.stop()
    layer.worker.done.disconnect(count)
    layer.changed.disconnect(asked)
    return gap, requests[0], drawn[0]


def measure_exploration(quick: bool = False) -> list[dict]:
    app = create_application([])
    figures: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        window = shown_bench_window(Path(tmp))
        _pump(app, 0.5)
        base = _first_view()
        from core.runs.backend import decode_on_this_thread_only

        decode_on_this_thread_only()  # the window's thread decodes single images with one thread, as the app does
        moves = 60 if quick else 150
        hover = window.run.hover
        for count in (2_000, 60_000):
            view = base if count == len(base.xy) else _with_points(base, count)
            _show(app, window, view)
            _hover_latencies(app, window, 20, 0.002)  # warm-up: pixmaps, caches, first layouts
            with_neighbours, without = [], []
            for _ in range(4):  # interleaved, so a host that drifts in speed affects both alike
                with_neighbours += _hover_latencies(app, window, moves // 4, 0.002)
                hover.nearest, looked_up = 0, hover.nearest  # the hover alone: no search, no panel to update
                without += _hover_latencies(app, window, moves // 4, 0.002)
                hover.nearest = looked_up
            assert window.neighbours.last_meter is not None, "the neighbours were not shown"
            result = _hover_figure(
                f"hover + 5 neighbours + meter idle, {count:,} points, p95", with_neighbours, HOVER_GOAL_MS
            )
            result["detail"] += f"; without the neighbours (same run) p95 {np.percentile(without, 95):.2f} ms"
            figures.append(result)
        _show(app, window, base)
        window.exploration.map_action.setChecked(True)
        _pump(app, 1.0)
        gap, requested, drawn = _pan_gap(app, window, 3.0 if quick else 8.0)
        figures.append(
            figure(
                "largest 10 ms-timer gap while panning, map on",
                gap,
                "ms",
                f"≤ {PAN_GAP_GOAL_MS:g}",
                gap <= PAN_GAP_GOAL_MS,
                1,
                f"real mouse drags, 2,000 points; {requested} maps asked for, {drawn} drawn (decoded off the GUI "
                "thread, stale requests dropped)",
            )
        )
        # while training (digits-5k, the window's own run), the map on and redecoded at each snapshot
        run = _GuiRun(app, window)
        run.start()
        _pump(app, 2.0)
        busy = _hover_latencies(app, window, moves, 0.02)
        run.stop()
        result = _hover_figure("hover + neighbours + meter while training, map on, p95", busy, TRAINING_GOAL_MS)
        result["detail"] += "; 2,000 points"
        figures.append(result)
        window.close()
        window.deleteLater()
        _pump(app, 0.1)
    return figures
