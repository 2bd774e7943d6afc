"""The window's dock registry: every panel around the latent space is a dock added here by name.

The one implementation of explorer.utils.registries.DockRegistry: features add their panels through it and never
see the window. Each dock's toggle joins View › panels, and the name is the object name that saveState and
restoreState find it by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QVBoxLayout, QWidget

Area = Qt.DockWidgetArea
#: Pixels of the screen's width a window manager's frame takes, and a splitter between two docks takes.
FRAME_ALLOWANCE, SEPARATOR = 8, 6


class WindowDocks:
    """The docks of one main window, by name (explorer.utils.registries.DockRegistry)."""

    def __init__(self, window: QMainWindow, on_added: Callable[[str, QAction], None] | None = None) -> None:
        self._window = window
        self._docks: dict[str, QDockWidget] = {}
        self._on_added = on_added

    def add(
        self,
        name: str,
        title: str,
        widget: QWidget,
        area: Area,
        *,
        beside: str | None = None,
        tab_with: str | None = None,
        visible: bool = True,
    ) -> QDockWidget:
        panel = QDockWidget(title, self._window)
        panel.setObjectName(f"{name}Dock")  # saveState/restoreState find docks by object name
        frame = QWidget()
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(widget)
        panel.setWidget(frame)
        panel.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self._window.addDockWidget(area, panel)
        if beside is not None:
            self._window.splitDockWidget(self._docks[beside], panel, Qt.Orientation.Horizontal)
        if tab_with is not None:
            self._window.tabifyDockWidget(self._docks[tab_with], panel)
            self._docks[tab_with].raise_()
        panel.setVisible(visible)
        self._docks[name] = panel
        if self._on_added is not None:
            self._on_added(name, panel.toggleViewAction())
        return panel

    def set_on_added(self, on_added: Callable[[str, QAction], None]) -> None:
        """Where each dock's toggle goes from now on (View › panels, once the menus exist)."""
        self._on_added = on_added

    def __getitem__(self, name: str) -> QDockWidget:
        return self._docks[name]

    def __contains__(self, name: object) -> bool:
        return name in self._docks

    def tab_onto(self, name: str, onto: str) -> None:
        if not self._window.tabifiedDockWidgets(self._docks[name]):
            self._window.tabifyDockWidget(self._docks[onto], self._docks[name])

    def place_beside(self, name: str, onto: str, otherwise: str) -> None:
        """Dock `name` beside dock `onto` (split, side by side) where the window, grown by its width if it must be,
        still fits its screen; else as a tab onto dock `otherwise`. Unless the user has placed it already (a tab,
        or floating)."""
        dock, other = self._docks[name], self._docks[onto]
        if dock.isFloating() or self._window.tabifiedDockWidgets(dock):
            return
        screen = self._window.screen().availableGeometry().width() - FRAME_ALLOWANCE
        needed = self._window.minimumSizeHint().width() + dock.minimumSizeHint().width() + SEPARATOR
        if needed <= screen:
            self._window.splitDockWidget(other, dock, Qt.Orientation.Horizontal)
        else:
            self._window.tabifyDockWidget(self._docks[otherwise], dock)

    def widen(self, name: str, width: int) -> None:
        """Dock `name` up to `width` pixels wide, taken from the central widget: never past the room the window has
        (Qt keeps the central widget and the docks beside it at their minimum widths; the window does not grow)."""
        dock = self._docks[name]
        if dock.isVisible() and not dock.isFloating() and dock.width() < width:
            self._window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def items(self) -> Iterator[tuple[str, QDockWidget]]:
        yield from self._docks.items()

    def values(self) -> Iterator[QDockWidget]:
        yield from self._docks.values()
