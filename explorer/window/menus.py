"""The window's menus and their actions (File, Training, View, Help), with their shortcuts, recent files, and the
shortcut sheet generated from those same actions (so it never lists a key that does not exist)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QMenu, QVBoxLayout

RECENT_KEY = "files/recent"
RECENT_COUNT = 8

#: What the mouse does, for the shortcut sheet (the keys come from the actions themselves).
MOUSE_HELP = (
    ("Move over the latent space", "decode the position under the cursor"),
    ("Click a point", "compare that image with its reconstruction"),
    ("Shift+click", "pin a path end (A, then B) on a point or empty space; drag a pin to move it"),
    ("Click a class in the legend", "show that class alone; click it again for all"),
    ("Drag", "pan the latent view"),
    ("Wheel", "zoom the latent view"),
)


@dataclass
class WindowActions:
    open: QAction
    save: QAction
    export_plot: QAction
    export_svg: QAction
    export_csv: QAction
    quit: QAction
    start: QAction
    continue_: QAction
    pause: QAction
    stop: QAction
    fit: QAction
    equal_scales: QAction
    shortcuts: QAction
    about: QAction
    recent_menu: QMenu = field(default=None)  # type: ignore[assignment]
    extra: list[QAction] = field(default_factory=list)  # actions other modules add (explorer.latent.exploration)

    def set_running(self, running: bool, can_continue: bool) -> None:
        self.continue_.setEnabled(not running and can_continue)
        self.start.setEnabled(not running)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        self.open.setEnabled(not running)
        self.recent_menu.setEnabled(not running)

    def with_keys(self) -> list[QAction]:
        actions = [a for a in vars(self).values() if isinstance(a, QAction)] + self.extra
        return [a for a in actions if not a.shortcut().isEmpty()]


def _action(window: QMainWindow, text: str, slot: Callable, shortcut: QKeySequence | str | None = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action


def build_menus(window) -> WindowActions:
    """Menus of `window` (a MainWindow), each action wired to the window's slot of the same job."""
    std = QKeySequence.StandardKey
    actions = WindowActions(
        open=_action(window, "&Open checkpoint…", window.files.ask_open, std.Open),
        save=_action(window, "&Save checkpoint…", window.files.ask_save, std.Save),
        export_plot=_action(window, "Export latent plot as &PNG…", window.files.ask_export_plot),
        export_svg=_action(window, "Export latent plot as S&VG…", window.files.ask_export_svg),
        export_csv=_action(window, "Export loss as &CSV…", window.files.ask_export_csv),
        quit=_action(window, "&Quit", window.close, std.Quit),
        start=_action(window, "&Start new training", window.start_training, "Ctrl+R"),
        continue_=_action(window, "&Continue training", window.continue_training, "Ctrl+Shift+R"),
        pause=_action(window, "&Pause / Resume", window.toggle_pause, "Space"),
        stop=_action(window, "S&top", window.stop_training, "Ctrl+."),
        fit=_action(window, "&Fit the latent view", window.latent.reset_view, "Ctrl+0"),
        equal_scales=_action(window, "&Equal scales on both axes", window.set_equal_scales, "Ctrl+E"),
        shortcuts=_action(window, "&Keyboard shortcuts", window.show_shortcuts, std.HelpContents),
        about=_action(window, "&About convae-explorer", window.show_about),
    )
    actions.equal_scales.setCheckable(True)
    actions.equal_scales.setToolTip("One unit the same length on both axes, so distances read truly")
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions.open)
    actions.recent_menu = file_menu.addMenu("Open &recent")
    comparison = window.extras.comparison
    file_menu.addAction(_action(window, "Open for &comparison…", comparison.ask_open, "Ctrl+Shift+O"))
    for action in (actions.save, None, actions.export_plot, actions.export_svg, actions.export_csv, None):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    file_menu.addAction(actions.quit)
    train_menu = bar.addMenu("&Training")
    for action in (actions.start, actions.continue_, actions.pause, actions.stop):
        train_menu.addAction(action)
    train_menu.addSeparator()
    train_menu.addAction(_action(window, "Train co&mparison run (these settings)", comparison.train))
    view_menu = bar.addMenu("&View")
    view_menu.addAction(actions.fit)
    view_menu.addAction(actions.equal_scales)
    view_menu.addSeparator()
    for dock in window.docks.values():
        view_menu.addAction(dock.toggleViewAction())
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(actions.shortcuts)
    help_menu.addAction(actions.about)
    return actions


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


def shortcut_sheet(parent: QMainWindow, actions: WindowActions) -> QDialog:
    """Every key the window answers to, read from its actions, and what the mouse does."""
    rows = [
        (a.shortcut().toString(QKeySequence.SequenceFormat.NativeText), a.text().replace("&", ""))
        for a in actions.with_keys()
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
