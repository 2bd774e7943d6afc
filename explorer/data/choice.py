"""Which data the window trains on: image-folder entries in the data-set box, the box following what a run really
loaded (after a fallback to the built-in digits too), the data folder in use (remembered), and File › Data sets….

The box is ControlsPanel's, the folder is core.data.location's, the dialog is explorer.data.sets_dialog's. The
feature gets what it uses (the session, the training form, the menus, the settings, the file dialogs, the
background tasks and the close hooks), never the window; it reports through its `status` signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox

from core.data import location as data_location
from core.runs.records import RunInfo
from core.settings import DATASETS
from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.registries import CloseHooks, MenuRegistry
from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from explorer.data.sets_dialog import DataSetsDialog
    from explorer.training.controls_panel import ControlsPanel
    from explorer.training.session import RunSession

DATA_FOLDER_KEY = "data/folder"
#: After a data set's name in the box when its files are not in the data folder.
MISSING_MARK = " — not downloaded"
FOLDER_PREFIX = "folder:"


def folder_label(name: str) -> str:
    """'Folder: pets' for `folder:/home/me/pets`: the box names a folder by its last part."""
    path = Path(name[len(FOLDER_PREFIX) :])
    return f"Folder: {path.name or path}"


def select_dataset(combo: QComboBox, name: str) -> bool:
    """Show data set `name` in the box, adding an image folder's entry when it has none; False if unknown."""
    index = combo.findData(name)
    if index < 0 and name.startswith(FOLDER_PREFIX) and len(name) > len(FOLDER_PREFIX):
        combo.addItem(folder_label(name), name)
        index = combo.count() - 1
        combo.setItemData(index, name[len(FOLDER_PREFIX) :], Qt.ItemDataRole.ToolTipRole)  # the whole path
    if index < 0:
        return False
    combo.setCurrentIndex(index)
    return True


def apply_saved_data_folder(settings: QSettings) -> None:
    """The folder chosen in an earlier session, unless this launch was given --data-dir (which wins)."""
    if data_location.chosen_source() == data_location.FROM_COMMAND_LINE:
        return
    saved = settings.value(DATA_FOLDER_KEY)
    data_location.use_data_dir(saved if isinstance(saved, str) and saved else None)


class DataChoice(QObject):
    """The window's side of choosing data; `dialog` opens lazily (File › Data sets…, or … beside the box)."""

    status = Signal(str)  # what changed, for the status bar

    def __init__(
        self,
        session: RunSession,
        controls: ControlsPanel,
        menus: MenuRegistry,
        settings: QSettings,
        dialogs: FileDialogs,
        tasks: BackgroundTasks,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._controls, self._settings, self._dialogs, self._tasks = controls, settings, dialogs, tasks
        self.dialog: DataSetsDialog | None = None
        apply_saved_data_folder(settings)
        remembered = settings.value("train/dataset")
        if isinstance(remembered, str) and remembered.startswith(FOLDER_PREFIX):
            select_dataset(controls.dataset, remembered)
        session.runReady.connect(self._on_run_ready)
        controls.dataSetsRequested.connect(self.show_dialog)
        menus.add(
            "file.data", "data-sets", "&Data sets…", self.show_dialog,
            tip="What is installed, downloads, the data folder and image folders",
        )  # fmt: skip
        close_hooks.add("data sets", self._stop_download)
        self.mark_missing()

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        """The box shows what the run really loaded: after a fallback, the built-in digits, not the set asked for."""
        if self._controls.dataset_name != info.dataset:
            select_dataset(self._controls.dataset, info.dataset)

    @Slot()
    def show_dialog(self) -> None:
        from explorer.data.sets_dialog import DataSetsDialog

        if self.dialog is None:
            self.dialog = DataSetsDialog(self._dialogs, self._tasks, self._controls)
            self.dialog.status.connect(self.status)
            self.dialog.status.connect(self.mark_missing)  # a download ended (or failed): the marks again
            self.dialog.dataFolderChosen.connect(self.use_data_folder)
            self.dialog.imageFolderChosen.connect(self.use_image_folder)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()

    def use_data_folder(self, folder: Path | None) -> None:
        """Read data sets from `folder` from now on (None: the default), remembered for the next launches."""
        data_location.use_data_dir(folder)
        self._settings.setValue(DATA_FOLDER_KEY, "" if folder is None else str(folder))
        self.status.emit(f"Data sets are read from {data_location.data_folder()}")
        self.mark_missing()

    def use_image_folder(self, folder: Path) -> None:
        """Offer `folder` (one sub-folder per class, or a flat folder of one class) in the box, chosen."""
        select_dataset(self._controls.dataset, f"{FOLDER_PREFIX}{folder}")
        self.status.emit(f"Press Train to load the images of {folder}")

    @Slot()
    def mark_missing(self, *_: object) -> None:
        """Mark the box's data sets that are not on disk ("MNIST — not downloaded"), read in the background: a
        newcomer sees before pressing Train which sets need a download (and which fall back to the digits)."""
        from core.data.status import all_statuses

        folder = data_location.data_folder()
        self._tasks.run("data-set marks", lambda: all_statuses(folder), done=self._show_marks, failed=lambda _: None)

    def _show_marks(self, statuses: list) -> None:
        combo = self._controls.dataset
        for status in statuses:
            index = combo.findData(status.name)
            if index >= 0:
                missing = not status.installed
                combo.setItemText(index, f"{DATASETS[status.name]}{MISSING_MARK if missing else ''}")
                tip = "Not in the data folder: File › Data sets… downloads it" if missing else None
                combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    @Slot()
    def ask_image_folder(self) -> None:
        """Ask for a folder of the user's own images and offer it in the box (the empty window's "start here")."""
        folder = self._dialogs.existing_folder("Train on an image folder (one sub-folder per class)")
        if folder is not None:
            self.use_image_folder(folder)

    def _stop_download(self) -> None:
        """The window closes: a download stops between two chunks, so the close waits for no network."""
        if self.dialog is not None:
            self.dialog.stop_download()
