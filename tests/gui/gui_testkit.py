"""Driving the real window: wait for training states, send real mouse events to the latent view."""

from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from explorer.main_window import MainWindow


def move_mouse_to(window: MainWindow, x: float, y: float) -> QPointF:
    """Send a real QMouseEvent to the latent plot's viewport at plane position (x, y); return the widget position."""
    event = window.latent.mouse_move_at(x, y)
    QApplication.sendEvent(window.latent.plot.viewport(), event)
    return event.position()


def wait_for_snapshot(qtbot, window: MainWindow, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: window.snapshot is not None and window.latent.points.count > 0, timeout=timeout)


def wait_for_losses(qtbot, window: MainWindow, count: int, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: len(window.loss.losses) >= count, timeout=timeout)
