"""The window's recent files (File › Open recent) and the shortcut sheet, generated from the menu registry's actions
(so it never lists a key that does not exist). The actions themselves are added by id (explorer.utils.registries):
the window's own by main_window.py, each feature's by the feature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMenu, QVBoxLayout, QWidget

from explorer.utils.registries import MenuRegistry

RECENT_KEY = "files/recent"
RECENT_COUNT = 8

#: What the mouse does, for the shortcut sheet (the keys come from the actions themselves).
MOUSE_HELP = (
    ("Move over the latent space", "decode the position under the cursor"),
    ("Click a point", "compare that image with its reconstruction"),
    ("Shift+click", "pin a path end (A, then B) on a point or empty space; drag a pin to move it"),
    ("Click a class in the legend", "show that class alone; click it again for all"),
    ("Ctrl+click a class in the legend", "select its images (with Shift: add them; with Alt: remove them)"),
    ("Drag", "pan the latent view (Lasso or Rect tool: select the points inside)"),
    ("Shift+drag, Alt+drag (Lasso, Rect)", "add the points inside to the selection, remove them (Ctrl+drag too)"),
    ("Wheel", "zoom the latent view"),
)


def recent_files(settings: QSettings) -> list[Path]:
    value = settings.value(RECENT_KEY)
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [Path(item) for item in items if isinstance(item, str) and item][:RECENT_COUNT]


def remember_recent(settings: QSettings, path: Path) -> None:
    path = Path(path).resolve()
    others = [p for p in recent_files(settings) if p != path]
    settings.setValue(RECENT_KEY, [str(p) for p in [path, *others][:RECENT_COUNT]])


def fill_recent_menu(menu: QMenu, files: list[Path], open_file: Callable[[Path], object]) -> None:
    menu.clear()
    for number, path in enumerate(files, 1):
        action = menu.addAction(f"&{number} {path.name}")
        action.setToolTip(str(path))
        action.setStatusTip(str(path))
        action.triggered.connect(lambda _=False, p=path: open_file(p))
    if not files:
        menu.addAction("(none yet)").setEnabled(False)


def shortcut_sheet(parent: QWidget, menus: MenuRegistry) -> QDialog:
    """Every key the window answers to, read from its menus' actions, and what the mouse does."""
    rows = [
        (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text().replace("&", ""))
        for a in menus.with_keys()
    ]
    rows += list(MOUSE_HELP)
    table = "".join(f"<tr><td><b>{key}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for key, what in rows)
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    layout = QVBoxLayout(dialog)
    sheet = QLabel(f"<table cellspacing='4'>{table}</table>")
    sheet.setObjectName("shortcutSheet")
    layout.addWidget(sheet)
    return dialog
