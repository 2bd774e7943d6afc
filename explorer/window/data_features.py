"""The window's file-work features, installed with one call from main_window.py: choosing the data
(explorer.data.choice: image folders, the data folder, File › Data sets…), exporting the time-lapse
(explorer.timelapse.export) and handing the codes to other tools (explorer.latent.code_exports).

Each feature gets what it uses, never the window. Until the window builds its menus with MenuRegistry and its docks
with WindowDocks, `OldBarMenus` and `OldLayoutDocks` offer the registries over the menus and the dock dictionary it
builds today; they go when it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from explorer.data.choice import DataChoice
from explorer.latent.code_exports import CodeExporter
from explorer.timelapse.export import TimelapseExporter
from explorer.utils.registries import MenuRegistry
from explorer.window.docks import WindowDocks


class OldBarMenus(MenuRegistry):
    """The registry's File sections (data, export) inside the File menu that window.menus.build_menus made."""

    def __init__(self, window) -> None:  # the menus exist already: no MenuRegistry.__init__
        self._owner = window
        file_menu = window.menuBar().actions()[0].menu()
        self._menus = {"file": file_menu}
        self._actions = {}
        self._ends = {
            "file.data": file_menu.insertSeparator(window.actions_.save),
            "file.export": file_menu.insertSeparator(window.actions_.quit),
        }


class OldLayoutDocks:
    """The DockRegistry over window.docks (a dict today): docks added here join it, so View lists them."""

    def __init__(self, window) -> None:
        self._window = window
        self._docks = WindowDocks(window)

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
        dock = self._docks.add(name, title, widget, area, beside=beside, tab_with=tab_with, visible=visible)
        self._window.docks[name] = dock
        return dock

    def __getitem__(self, name: str) -> QDockWidget:
        return self._window.docks[name]

    def __contains__(self, name: object) -> bool:
        return name in self._window.docks

    def tab_onto(self, name: str, onto: str) -> None:
        docks = self._window.docks
        if not self._window.tabifiedDockWidgets(docks[name]):
            self._window.tabifyDockWidget(docks[onto], docks[name])


@dataclass
class DataFeatures:
    choice: DataChoice
    timelapse_export: TimelapseExporter
    exports: CodeExporter


def install_data_features(window) -> DataFeatures:
    """For a MainWindow whose menus exist, whose time-lapse player is installed and whose settings are restored."""
    menus = OldBarMenus(window)
    session, dialogs, tasks = window.session, window.dialogs, window.tasks
    choice = DataChoice(session, window.controls, menus, window.settings, dialogs, tasks, window.close_hooks, window)
    timelapse_export = TimelapseExporter(session, window.timelapse, menus, dialogs, tasks, window)
    exports = CodeExporter(session, menus, dialogs, tasks, window)
    choice.status.connect(window.statusBar().showMessage)
    for feature in (timelapse_export, exports):
        feature.status.connect(window.statusBar().showMessage)
        feature.warning.connect(window.warn)
    return DataFeatures(choice, timelapse_export, exports)
