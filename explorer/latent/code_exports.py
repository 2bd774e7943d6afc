"""File › Export › For the Embedding Projector… and Codes as CSV…: the shown snapshot's codes for other tools.

The files are core's (core.files.projector, the same as `convae-explorer export projector|codes`), written as a
background task (explorer.utils.tasks) from the snapshot's immutable arrays: the window never waits for them, the
status says which step they hold, a failure comes back as a warning, and a window closed meanwhile waits for the
write instead of leaving half a file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.registries import MenuRegistry
from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from core.files.projector import DisplayCodes, ExportSummary
    from explorer.training.session import RunSession

log = logging.getLogger(__name__)

PROJECTOR_FOLDER = "convae-projector"
NOTHING = ("Nothing to export", "Train a model or open a checkpoint first: there are no codes yet.")
TIP = "The shown snapshot's codes, labels and images, for other tools"


def write_projector_into(chosen: Path, data: DisplayCodes) -> ExportSummary:
    """The export in `chosen` when it may go there (empty, or an earlier export), else in a new folder inside it:
    a folder of the user's own files is never written over."""
    from core.files.output_path import free_default_name
    from core.files.projector import ExportError, check_export_folder, write_projector

    try:
        check_export_folder(chosen)
        folder = chosen
    except ExportError:  # a folder of the user's own files: ours go into a new folder inside it
        folder = free_default_name(chosen, PROJECTOR_FOLDER, suffix="")
    return write_projector(folder, data)


class CodeExporter(QObject):
    """The File › Export submenu; `status` says what is being written and what was, `warning` why not."""

    status = Signal(str)
    warning = Signal(str, str)  # title, text

    def __init__(
        self,
        session: RunSession,
        menus: MenuRegistry,
        dialogs: FileDialogs,
        tasks: BackgroundTasks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session, self._dialogs, self._tasks = session, dialogs, tasks
        submenu = menus.add_menu("file.export", "export", "E&xport")
        submenu.setToolTipsVisible(True)
        for action_id, text, slot in (
            ("export-projector", "For the &Embedding Projector…", self.ask_projector),
            ("export-codes-csv", "Codes as &CSV…", self.ask_csv),
        ):
            action = submenu.addAction(text)
            action.setObjectName(action_id)
            action.setToolTip(TIP)
            action.triggered.connect(slot)

    def _codes(self) -> DisplayCodes | None:
        """The shown snapshot's display set, or None (with a warning) before there is one."""
        from core.files.projector import DisplayCodes

        view, info = self._session.view, self._session.info
        if view is None:
            self.warning.emit(*NOTHING)
            return None
        return DisplayCodes.of_snapshot(view.snapshot, info.trained_on if info is not None else "")

    @Slot()
    def ask_projector(self) -> None:
        if self._codes() is None:  # said why; no dialog for nothing
            return
        folder = self._dialogs.existing_folder("Export for the Embedding Projector: choose a folder")
        if folder is not None:
            self.export_projector(folder)

    @Slot()
    def ask_csv(self) -> None:
        if self._codes() is None:
            return
        path = self._dialogs.save_as("Export codes", "codes.csv", "CSV files (*.csv)", ".csv")
        if path is not None:
            self.export_csv(path)

    def export_projector(self, chosen: Path) -> None:
        """Write the export into `chosen` when it is empty or an earlier export, else into a new folder inside it.

        Where it goes is decided in the background task too: deciding reads the folder (and checks an earlier
        export's files against its marker), which a slow or hostile folder turns into a wait or an OSError, and an
        error raised on the GUI thread would reach no one (no warning, nothing in the status bar).
        """
        data = self._codes()
        if data is None:
            return
        chosen = Path(chosen)
        self._dialogs.remember(chosen)
        self.status.emit(f"Exporting {data.codes.shape[0]:,} codes to {chosen}…")
        self._tasks.run(
            f"export for the projector to {chosen}",
            lambda: write_projector_into(chosen, data),
            done=lambda summary: self.status.emit(f"{summary.line()}, from step {data.step:,}"),
            failed=self._failed,
        )

    def export_csv(self, path: Path) -> None:
        from core.files.projector import write_codes_csv

        data = self._codes()
        if data is None:
            return
        path = Path(path)
        self.status.emit(f"Exporting codes to {path.name}…")
        self._tasks.run(
            f"export codes to {path}",
            lambda: write_codes_csv(path, data, force=True),  # the save dialog asked before replacing a file
            done=lambda _: self.status.emit(f"Exported {len(data.codes):,} codes from step {data.step:,} to {path}"),
            failed=self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        from core.files.projector import ExportError

        if not isinstance(error, ExportError | OSError):  # a surprise: its traceback goes to the log too
            log.error("An export failed", exc_info=error)
        self.warning.emit("Could not export", str(error) or type(error).__name__)
