"""Where the window opens and how large: from the screen's available geometry, never a fixed size.

A fixed 1280×860 put the status bar and the loss legend under a 1280×800 screen's edge and the Preview and
Nearest-images docks past a 1024×700 one. The first window takes the size the panels prefer where the screen has
room and the screen's available area (less an allowance for the window manager's frame, unknown before the window
is shown) where it has not; a restored geometry is kept on the screen it is on, so a window saved on a large
monitor still fits when it reopens on a laptop.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: The size the panels are laid out for when the screen has room.
PREFERRED = QSize(1280, 860)
#: Room left for the window manager's frame: a title bar and borders (openbox, GNOME, KDE, Windows all fit).
FRAME_ALLOWANCE = QSize(8, 40)


def screen_of(window: QWidget, rect: QRect | None = None) -> QScreen:
    """The screen holding rect's centre (or the window's), else the primary one."""
    centre = (rect or window.geometry()).center()
    return QGuiApplication.screenAt(centre) or window.screen() or QGuiApplication.primaryScreen()


def fitted(size: QSize, room: QSize, minimum: QSize) -> QSize:
    """size, no larger than room, but never below the window's minimum (the panels' own floor)."""
    return size.boundedTo(room).expandedTo(minimum)


def within(rect: QRect, area: QRect) -> QRect:
    """rect moved (not resized) so that as much of it as can lies inside area, its top-left corner first."""
    x = max(area.left(), min(rect.left(), area.right() + 1 - rect.width()))
    y = max(area.top(), min(rect.top(), area.bottom() + 1 - rect.height()))
    return QRect(QPoint(x, y), rect.size())


def place_first_window(window: QWidget) -> None:
    """The preferred size where the screen has room, else the screen's available area; centred on it."""
    area = screen_of(window).availableGeometry()
    size = fitted(PREFERRED, area.size() - FRAME_ALLOWANCE, window.minimumSizeHint())
    window.resize(size)
    corner = area.center() - QPoint(size.width() // 2, size.height() // 2)
    window.move(within(QRect(corner, size), area).topLeft())


def keep_on_screen(window: QWidget) -> None:
    """A restored geometry shrunk to its screen's available area and moved onto it, if it does not already fit."""
    geometry = window.geometry()
    area = screen_of(window, geometry).availableGeometry()
    size = fitted(geometry.size(), area.size() - FRAME_ALLOWANCE, window.minimumSizeHint())
    placed = within(QRect(geometry.topLeft(), size), area)
    if placed != geometry:
        window.resize(size)
        window.move(placed.topLeft())
