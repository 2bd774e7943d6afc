"""Real mouse events over latent-plane positions: the bench, the screenshot tool and the tests drive the window
with these exactly as a mouse would (a QMouseEvent sent to the plot's viewport)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from explorer.panels.latent_panel import LatentPanel


def mouse_move_at(panel: LatentPanel, x: float, y: float) -> QMouseEvent:
    """A mouse-move event over plane position (x, y), addressed to the panel's viewport."""
    local = QPointF(panel.plot.mapFromScene(panel.view_box.mapViewToScene(QPointF(x, y))))
    return QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        panel.plot.viewport().mapToGlobal(local),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )


def move_mouse_to(panel: LatentPanel, x: float, y: float) -> QPointF:
    """Send that event now; return the position in the viewport."""
    event = mouse_move_at(panel, x, y)
    QApplication.sendEvent(panel.plot.viewport(), event)
    return event.position()
