"""Driving the real window: wait for training states, send real mouse events to the latent view."""

from __future__ import annotations

from PySide6.QtCore import QPointF

from explorer import pointer
from explorer.main_window import MainWindow


def move_mouse_to(window: MainWindow, x: float, y: float) -> QPointF:
    """Send a real QMouseEvent to the latent plot's viewport at plane position (x, y); return the widget position."""
    return pointer.move_mouse_to(window.latent, x, y)


class DecodeCounter:
    """Counts the previews the hover decoder delivers (its `decoded` signal)."""

    def __init__(self, window: MainWindow) -> None:
        self.count = 0
        window.hover.decoded.connect(self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


def wait_for_snapshot(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: window.session.view is not None and window.latent.points.count > 0, timeout=timeout)


def wait_for_losses(qtbot, window: MainWindow, count: int, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: len(window.session.losses) >= count, timeout=timeout)


def wait_until_idle(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not window.running, timeout=timeout)
