"""Driving the real window: wait for training states, send real mouse events to the latent view."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication, QMessageBox

from explorer.bench import pointer
from explorer.window.main_window import MainWindow


def start_small_run(window: MainWindow, epochs: int = 3, latent: int = 2) -> None:
    """Train on the tiny MNIST files of the `tiny_mnist` fixture, as a user would: choose, then Train."""
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("mnist"))
    window.controls.epochs.setValue(epochs)
    window.controls.latent_dim.setValue(latent)
    window.start_training()


def move_mouse_to(window: MainWindow, x: float, y: float) -> QPointF:
    """Send a real QMouseEvent to the latent plot's viewport at plane position (x, y); return the widget position."""
    return pointer.move_mouse_to(window.latent, x, y)


def hover_at(qtbot, window: MainWindow, x: float, y: float) -> None:
    """A real mouse move over the first run's latent plot at plane (x, y), waited for until the shared cursor has
    moved there (the coalescer delivers a move on the next turn of the event loop)."""
    with qtbot.waitSignal(window.cursor.moved, timeout=5_000):
        move_mouse_to(window, x, y)


def export_and_wait(qtbot, window: MainWindow, export, *args) -> None:
    """Start an export that runs as one of the window's background tasks, and wait until that task has ended."""
    with qtbot.waitSignal(window.tasks.ended, timeout=30_000):
        export(*args)


class DecodeCounter:
    """Counts the records the first run's hover decoder delivers (its `decoded` signal), and keeps the last."""

    def __init__(self, window: MainWindow) -> None:
        self.count = 0
        self.last = None
        window.run.hover.decoded.connect(self._seen)

    def _seen(self, hovered: object) -> None:
        self.count += 1
        self.last = hovered


def visible_message_boxes() -> list[QMessageBox]:
    """The message boxes on screen now (warnings, errors, questions), oldest first."""
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def close_message_boxes() -> None:
    for box in visible_message_boxes():
        box.close()


def shown_warning(window: MainWindow) -> tuple[str, str] | None:
    """The title and text of the newest warning box the window shows, as the user reads it (None: none shown)."""
    boxes = [box for box in visible_message_boxes() if box.parent() is window]
    return (boxes[-1].windowTitle(), boxes[-1].text()) if boxes else None


def wait_for_snapshot(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: window.session.view is not None and window.latent.points.count > 0, timeout=timeout)


def wait_for_losses(qtbot, window: MainWindow, count: int, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: len(window.session.losses) >= count, timeout=timeout)


def wait_until_idle(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not window.running, timeout=timeout)


def idle_timer_gap(qtbot, seconds: float = 1.5) -> float:
    """The largest gap (ms) of a 10 ms QTimer with the window idle: how promptly this host runs the GUI thread now.

    A busy host (other processes on every core) stretches every gap; bounds on gaps measured while training are
    stated on top of this, so they judge the app, not the host.
    """
    from explorer.bench.gui import TimerGapMeter

    meter = TimerGapMeter()
    meter.start()
    qtbot.wait(int(seconds * 1000))
    return meter.stop()


def gap_bound(allowed_ms: float, idle_ms: float) -> float:
    """`allowed_ms` on a quiet host, plus twice what the host itself took from an idle window."""
    return allowed_ms + 2 * idle_ms


def save_and_wait(qtbot, window: MainWindow, path) -> None:
    """Save the current model as File › Save does (written in the background) and wait until it is written: until
    the status bar has said so (every message is heard, so a later one, as a run's end, cannot hide it)."""
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    try:
        window.save_checkpoint_to(path)
        qtbot.waitUntil(lambda: f"Saved {path}" in said, timeout=30_000)
    finally:
        window.statusBar().messageChanged.disconnect(said.append)


def shown_tile(layer, row: int, column: int):
    """The decoded map's tile (C×H×W floats) at (row, column) as shown, and its cell's centre on the plane."""
    decoded = layer.shown.decoded
    return decoded.tiles[row, column], decoded.centres[row, column]
