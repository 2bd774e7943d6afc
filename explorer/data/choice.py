"""Which data the window trains on: image-folder entries in the data-set box, the box following what a run really
loaded (after a fallback to the built-in digits too), the data folder in use (remembered), and File › Data sets….

Kept out of main_window.py and session.py (one call there): the box is ControlsPanel's, the folder is
core.data.location's, the dialog is explorer.data.sets_dialog's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox

from core.data import location as data_location
from core.runs.records import RunInfo

DATA_FOLDER_KEY = "data/folder"
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

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window, self.dialog = window, None
        apply_saved_data_folder(window.settings)
        remembered = window.settings.value("train/dataset")
        if isinstance(remembered, str) and remembered.startswith(FOLDER_PREFIX):
            select_dataset(window.controls.dataset, remembered)
        window.session.runReady.connect(self._on_run_ready)
        window.controls.dataSetsRequested.connect(self.show_dialog)
        self.action = QAction("&Data sets…", window)
        self.action.setToolTip("What is installed, downloads, the data folder and image folders")
        self.action.triggered.connect(self.show_dialog)
        file_menu = window.menuBar().actions()[0].menu()
        file_menu.insertAction(window.actions_.save, self.action)
        file_menu.insertSeparator(window.actions_.save)

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        """The box shows what the run really loaded: after a fallback, the built-in digits, not the set asked for."""
        if self.window.controls.dataset_name != info.dataset:
            select_dataset(self.window.controls.dataset, info.dataset)

    @Slot()
    def show_dialog(self) -> None:
        from explorer.data.sets_dialog import DataSetsDialog

        if self.dialog is None:
            self.dialog = DataSetsDialog(self.window, self)
        self.dialog.refresh()
        self.dialog.show()
        self.dialog.raise_()

    def use_data_folder(self, folder: Path | None) -> None:
        """Read data sets from `folder` from now on (None: the default), remembered for the next launches."""
        data_location.use_data_dir(folder)
        self.window.settings.setValue(DATA_FOLDER_KEY, "" if folder is None else str(folder))
        shown = data_location.data_folder()
        self.window.statusBar().showMessage(f"Data sets are read from {shown}")

    def use_image_folder(self, folder: Path) -> None:
        """Offer `folder` (one sub-folder per class, or a flat folder of one class) in the box, chosen."""
        select_dataset(self.window.controls.dataset, f"{FOLDER_PREFIX}{folder}")
        self.window.statusBar().showMessage(f"Press Train to load the images of {folder}")
