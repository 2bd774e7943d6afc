"""What a feature receives instead of the main window: a menu registry, a dock registry and close hooks.

Why: a feature that takes the whole window reaches into its attributes, finds menus by their text or position
("&View", `actions()[2]`) and hooks its close event; none of that can be typed, and any reshaping of the window
breaks it. Here a feature adds its actions to a menu section by a stable id, its panels through a dock registry,
and its shutdown to the close hooks; the window (explorer.window) implements them and is the only one that knows
itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QWidget

log = logging.getLogger(__name__)

#: The window's menus and their sections, top to bottom. A feature names a place as "menu.section"
#: ("file.export", "view.latent"); a section's actions keep the order in which they were added, and the
#: sections keep this order whichever feature is installed first.
MENUS: dict[str, tuple[str, tuple[str, ...]]] = {
    "file": ("&File", ("open", "data", "save", "export", "quit")),
    "training": ("&Training", ("run", "compare")),
    "view": ("&View", ("latent", "tools", "panels")),
    "select": ("&Selection", ("tools", "pick", "files")),
    "help": ("&Help", ("help",)),
}


class MenuRegistry:
    """The menu bar's menus, sections and actions, each found by id rather than by text or position."""

    def __init__(self, bar: QMenuBar, owner: QObject) -> None:
        self._owner = owner
        self._menus: dict[str, QMenu] = {}
        self._ends: dict[str, QAction] = {}  # "menu.section" -> the separator that closes the section
        self._actions: dict[str, QAction] = {}
        for menu_id, (title, sections) in MENUS.items():
            menu = bar.addMenu(title)
            menu.setObjectName(f"{menu_id}Menu")
            self._menus[menu_id] = menu
            for section in sections:
                self._ends[f"{menu_id}.{section}"] = menu.addSeparator()  # empty sections collapse (Qt's default)

    def add(
        self,
        where: str,
        action_id: str,
        text: str,
        slot: Callable[..., object] | None = None,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        checkable: bool = False,
        tip: str | None = None,
    ) -> QAction:
        """A new action at the end of section `where`, found later as `action(action_id)`."""
        action = QAction(text, self._owner)
        action.setObjectName(action_id)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if tip is not None:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        if slot is not None:
            action.triggered.connect(slot)
        return self.add_action(where, action_id, action)

    def add_action(self, where: str, action_id: str, action: QAction) -> QAction:
        """An existing action (a dock's toggle, say) at the end of section `where`."""
        if action_id in self._actions:
            raise ValueError(f"an action {action_id!r} is already in the menus")
        menu_id = where.split(".", 1)[0]
        self._menus[menu_id].insertAction(self._section_end(where), action)
        self._actions[action_id] = action
        return action

    def add_menu(self, where: str, menu_id: str, title: str) -> QMenu:
        """A submenu (File › Open recent) at the end of section `where`."""
        parent = self._menus[where.split(".", 1)[0]]
        menu = QMenu(title, parent)
        menu.setObjectName(f"{menu_id}Menu")
        parent.insertMenu(self._section_end(where), menu)
        self._menus[menu_id] = menu
        return menu

    def action(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def menu(self, menu_id: str) -> QMenu:
        return self._menus[menu_id]

    def actions(self) -> Iterator[tuple[str, QAction]]:
        yield from self._actions.items()

    def with_keys(self) -> list[QAction]:
        """Every action with a shortcut, in menu order: what the shortcut sheet lists."""
        return [action for action in self._actions.values() if not action.shortcut().isEmpty()]

    def _section_end(self, where: str) -> QAction:
        try:
            return self._ends[where]
        except KeyError:
            raise KeyError(f"no menu section {where!r}; the sections are {sorted(self._ends)}") from None


class DockRegistry(Protocol):
    """Where a feature puts its panels: the window's docks, remembered with its layout and listed in View."""

    def add(
        self,
        name: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        beside: str | None = None,
        tab_with: str | None = None,
        visible: bool = True,
    ) -> QDockWidget:
        """A dock named `name` (its saved state is found by it): beside another (split) or as its tab."""
        ...

    def __getitem__(self, name: str) -> QDockWidget: ...

    def __contains__(self, name: object) -> bool: ...

    def place_beside(self, name: str, onto: str, otherwise: str) -> None:
        """Dock `name` beside dock `onto` where the window still fits its screen, else as a tab of dock `otherwise`
        (unless the user placed it already)."""
        ...

    def widen(self, name: str, width: int) -> None:
        """Dock `name` up to `width` pixels wide where the window has the room (it never grows the window)."""
        ...

    def tab_onto(self, name: str, onto: str) -> None:
        """Dock `name` as a tab onto dock `onto` now, unless it is a tab already (as the user arranged it).

        For a dock hidden at first: tabbed while hidden, Qt paints its tab bar over the dock below, so its feature
        tabs it when first shown."""
        ...


class CloseHooks:
    """What features do when the window closes, after the run has stopped: in the order they were added.

    A hook that raises is logged and the others still run: one feature's failure never keeps the window open.
    """

    def __init__(self) -> None:
        self._hooks: list[tuple[str, Callable[[], None]]] = []

    def add(self, name: str, hook: Callable[[], None]) -> None:
        self._hooks.append((name, hook))

    def run(self) -> None:
        for name, hook in self._hooks:
            try:
                hook()
            except Exception:
                log.exception("Closing %s failed", name)
