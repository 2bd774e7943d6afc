"""File › Export › For the Embedding Projector… and Codes as CSV…: the shown snapshot's codes for other tools.

The files are core's (core.files.projector, the same as `convae-explorer export projector|codes`), written in a
background
thread from the snapshot's immutable arrays: the window never waits for them, and the status bar says which step
they hold.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu

PROJECTOR_FOLDER = "convae-projector"


class CodeExporter(QObject):
    done = Signal(str)
    failed = Signal(str, str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.threads: list[threading.Thread] = []
        self.done.connect(window.statusBar().showMessage)
        self.failed.connect(window.warn)

    def _codes(self):
        """The shown snapshot's display set, or None (with a warning) before there is one."""
        from core.files.projector import DisplayCodes

        view, info = self.window.session.view, self.window.session.info
        if view is None:
            self.window.warn("Nothing to export", "Train a model or open a checkpoint first: there are no codes yet.")
            return None
        return DisplayCodes.of_snapshot(view.snapshot, info.trained_on if info is not None else "")

    @Slot()
    def ask_projector(self) -> None:
        if self._codes() is None:  # said why; no dialog for nothing
            return
        folder = QFileDialog.getExistingDirectory(
            self.window, "Export for the Embedding Projector: choose a folder", self.window.dialogs.last_folder()
        )
        if folder:
            self.export_projector(Path(folder))

    @Slot()
    def ask_csv(self) -> None:
        if self._codes() is None:
            return
        path = self.window.dialogs.save_as("Export codes", "codes.csv", "CSV files (*.csv)", ".csv")
        if path is not None:
            self.export_csv(path)

    def export_projector(self, chosen: Path) -> threading.Thread | None:
        """Write the export into `chosen` when it is empty or an earlier export, else into a new folder inside it."""
        from core.files.output_path import free_default_name
        from core.files.projector import ExportError, check_export_folder

        data = self._codes()
        if data is None:
            return None
        try:
            check_export_folder(chosen)
            folder = chosen
        except ExportError:  # a folder of the user's own files: ours go into a new folder inside it
            folder = free_default_name(chosen, PROJECTOR_FOLDER, suffix="")
        self.window.dialogs.remember(folder)

        def work() -> None:
            from core.files.projector import write_projector

            try:
                summary = write_projector(folder, data)
            except ExportError as error:
                self.failed.emit("Could not export", str(error))
                return
            self.done.emit(f"{summary.line()}, from step {data.step:,}")

        return self._start(work, f"Exporting {data.codes.shape[0]:,} codes to {folder}…")

    def export_csv(self, path: Path) -> threading.Thread | None:
        data = self._codes()
        if data is None:
            return None
        path = Path(path)

        def work() -> None:
            from core.files.projector import ExportError, write_codes_csv

            try:
                write_codes_csv(path, data)
            except ExportError as error:
                self.failed.emit("Could not export", str(error))
                return
            self.done.emit(f"Exported {len(data.codes):,} codes from step {data.step:,} to {path}")

        return self._start(work, f"Exporting codes to {path.name}…")

    def _start(self, work, saying: str) -> threading.Thread:
        self.window.statusBar().showMessage(saying)
        thread = threading.Thread(target=work, name="code-export", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        return thread


def add_code_exports(window) -> CodeExporter:
    """File › Export, a submenu before Quit with the two exports for other tools."""
    exporter = CodeExporter(window)
    file_menu = window.menuBar().actions()[0].menu()
    before = window.actions_.quit
    submenu = QMenu("E&xport", window)
    submenu.setToolTipsVisible(True)
    file_menu.insertMenu(before, submenu)
    exporter.actions = []
    for text, slot in (
        ("For the &Embedding Projector…", exporter.ask_projector),
        ("Codes as &CSV…", exporter.ask_csv),
    ):
        action = QAction(text, window)
        action.setToolTip("The shown snapshot's codes, labels and images, for other tools")
        action.triggered.connect(slot)
        submenu.addAction(action)
        exporter.actions.append(action)
    file_menu.insertSeparator(before)
    return exporter
