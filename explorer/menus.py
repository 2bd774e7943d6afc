"""The window's menus and their actions (File, Training, Help), with their shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow


@dataclass
class WindowActions:
    open: QAction
    save: QAction
    export_plot: QAction
    export_csv: QAction
    quit: QAction
    start: QAction
    continue_: QAction
    pause: QAction
    stop: QAction
    about: QAction

    def set_running(self, running: bool, can_continue: bool) -> None:
        self.continue_.setEnabled(not running and can_continue)
        self.start.setEnabled(not running)
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        self.open.setEnabled(not running)


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
        open=_action(window, "&Open checkpoint…", window.ask_open, std.Open),
        save=_action(window, "&Save checkpoint…", window.ask_save, std.Save),
        export_plot=_action(window, "Export latent plot as &PNG…", window.ask_export_plot),
        export_csv=_action(window, "Export loss as &CSV…", window.ask_export_csv),
        quit=_action(window, "&Quit", window.close, std.Quit),
        start=_action(window, "&Start new training", window.start_training, "Ctrl+R"),
        continue_=_action(window, "&Continue training", window.continue_training, "Ctrl+Shift+R"),
        pause=_action(window, "&Pause / Resume", window.toggle_pause, "Space"),
        stop=_action(window, "S&top", window.stop_training, "Ctrl+."),
        about=_action(window, "&About convae-explorer", window.show_about),
    )
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    for action in (actions.open, actions.save, None, actions.export_plot, actions.export_csv, None, actions.quit):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    train_menu = bar.addMenu("&Training")
    for action in (actions.start, actions.continue_, actions.pause, actions.stop):
        train_menu.addAction(action)
    bar.addMenu("&Help").addAction(actions.about)
    return actions
