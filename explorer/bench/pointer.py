"""Real mouse events over latent-plane positions: the bench, the screenshot tool and the tests drive the window
with these exactly as a mouse would (a QMouseEvent sent to the plot's viewport)."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from explorer.latent.latent_panel import LatentPanel


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


def click_at(
    panel: LatentPanel, x: float, y: float, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A left click (press, release) at plane position (x, y), with `modifiers` held (e.g. Shift to pin)."""
    local = QPointF(panel.plot.mapFromScene(panel.view_box.mapViewToScene(QPointF(x, y))))
    viewport = panel.plot.viewport()
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
        (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
    ):
        event = QMouseEvent(kind, local, viewport.mapToGlobal(local), Qt.MouseButton.LeftButton, buttons, modifiers)
        QApplication.sendEvent(viewport, event)


def drag(panel: LatentPanel, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    """Press at plane position `start`, move in `steps` to `end`, release there (a pin drag, a pan)."""
    viewport = panel.plot.viewport()

    def local(x: float, y: float) -> QPointF:
        return QPointF(panel.plot.mapFromScene(panel.view_box.mapViewToScene(QPointF(x, y))))

    def send(kind: QEvent.Type, at: QPointF, buttons: Qt.MouseButton) -> None:
        event = QMouseEvent(
            kind, at, viewport.mapToGlobal(at), Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove
            else Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(viewport, event)

    first, last = local(*start), local(*end)
    send(QEvent.Type.MouseButtonPress, first, Qt.MouseButton.LeftButton)
    for k in range(1, steps + 1):
        t = k / steps
        send(QEvent.Type.MouseMove, first + (last - first) * t, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, last, Qt.MouseButton.NoButton)


def stroke(widget: QWidget, points: list[tuple[float, float]], steps: int = 8) -> None:
    """A left-button stroke over `widget` (the drawing canvas): press at the first point, move in `steps` between
    each pair of points, release at the last; positions in the widget's pixels."""

    def send(kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        at = QPointF(x, y)
        event = QMouseEvent(kind, at, widget.mapToGlobal(at), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, *points[0], left, left)
    for (x0, y0), (x1, y1) in pairwise(points):
        for k in range(1, steps + 1):
            t = k / steps
            send(QEvent.Type.MouseMove, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, none, left)
    send(QEvent.Type.MouseButtonRelease, *points[-1], left, none)


def plane_stroke(
    panel: LatentPanel,
    points: list[tuple[float, float]],
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A left-button drag through plane positions `points` (a lasso, a rectangle's corners) with `modifiers` held:
    press at the first, a move to each of the others, release at the last.

    Each move is handed to the plot before the next is sent, as a mouse at human speed would be: the panel's move
    coalescer otherwise keeps only the newest of a burst, and a lasso would lose its corners."""
    viewport = panel.plot.viewport()

    def send(kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton, buttons: Qt.MouseButton) -> None:
        at = QPointF(panel.plot.mapFromScene(panel.view_box.mapViewToScene(QPointF(x, y))))
        QApplication.sendEvent(viewport, QMouseEvent(kind, at, viewport.mapToGlobal(at), button, buttons, modifiers))

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    send(QEvent.Type.MouseButtonPress, *points[0], left, left)
    for x, y in points[1:]:
        send(QEvent.Type.MouseMove, x, y, none, left)
        panel.coalescer.deliver()
    send(QEvent.Type.MouseButtonRelease, *points[-1], left, none)
