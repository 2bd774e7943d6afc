"""File › Data sets…: each known data set installed, downloadable or missing, with its folder and files; the data
folder in use and a button to choose another; downloads with a progress bar; and an image-folder picker.

Everything that touches the disk or the network runs as a background task (explorer.utils.tasks; core.data.status,
core.data.download) whose outcome comes back on the GUI thread: the window never waits for a slow disk, a DNS
lookup or a download, and its close stops a download between two chunks and waits for it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.data import location as data_location
from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from core.data.status import DataSetStatus


def state_text(status, reachable: bool | None) -> str:
    """What the Status column says of one data set (reachable: None while the network is being checked)."""
    from core.data.status import State

    if status.state is State.BUILT_IN:
        return "Built in"
    if status.state is State.INSTALLED:
        return "Installed"
    if status.state is State.ARCHIVES:
        return "Installed (archives, unpacked on first use)"
    if status.state is State.UNKNOWN:
        return "Unknown"
    partly = "Incomplete" if status.state is State.INCOMPLETE else "Not installed"
    if reachable is None:
        return f"{partly}: checking the network…"
    return f"{partly}: can be downloaded" if reachable else f"Missing ({partly.lower()}, no network)"


class DataSetsDialog(QDialog):
    downloadProgress = Signal(int, int, str)  # bytes done, bytes in all, which file
    status = Signal(str)  # how a download ended, for the window's status bar
    dataFolderChosen = Signal(object)  # Path, or None for the default folder: read data sets there from now on
    imageFolderChosen = Signal(object)  # Path: offer it in the data-set box

    def __init__(self, dialogs: FileDialogs, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dialogs, self._tasks = dialogs, tasks
        self.setWindowTitle("Data sets")
        self.statuses: list[DataSetStatus] = []
        self.reachable: dict[str, bool | None] = {}
        self.downloading: str | None = None  # the data set being downloaded, until its end is shown
        self._generation = 0  # which refresh is the newest: answers of an older one (another folder) are dropped
        self._stop = threading.Event()

        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose_button = QPushButton("Choose data folder…")
        self.choose_button.setToolTip("Where downloaded data sets are read from and saved to (remembered)")
        self.default_button = QPushButton("Default folder")
        self.default_button.setToolTip("Back to $CONVAE_DATA_DIR or the per-user data folder")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Data set", "Status"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.details = QLabel("Choose a data set to see its files.")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton("Download")
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.image_folder_button = QPushButton("Image folder…")
        self.image_folder_button.setToolTip(
            "Train on your own images: a folder with one sub-folder per class (a flat folder is one class)"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.choose_button)
        folder_row.addWidget(self.default_button)
        action_row = QHBoxLayout()
        action_row.addWidget(self.download_button)
        action_row.addWidget(self.progress, 1)
        action_row.addStretch(0)
        action_row.addWidget(self.image_folder_button)
        layout = QVBoxLayout(self)
        layout.addLayout(folder_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(action_row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(720, 420)

        self.choose_button.clicked.connect(self.ask_data_folder)
        self.default_button.clicked.connect(self.use_default_folder)
        self.image_folder_button.clicked.connect(self.ask_image_folder)
        self.download_button.clicked.connect(self.download_selected)
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.downloadProgress.connect(self._on_progress)
        self._show_selected()

    # ----- status ----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the data folder again in the background: first what is on disk, then whether downloads can work."""
        from core.data.status import all_statuses

        folder, why = data_location.data_folder_and_reason()
        self.folder_label.setText(f"Data folder: <b>{folder}</b> ({why})")
        self.folder_label.setToolTip(str(folder))
        self._generation += 1
        number = self._generation
        for row in range(self.table.rowCount()):
            self.table.item(row, 1).setText("Checking…")
        self._tasks.run(
            "data-set status",
            lambda: all_statuses(folder),
            done=lambda statuses: self._on_disk_read(statuses, number),
            failed=lambda error: self._on_check_failed(error, number),
        )

    def _on_disk_read(self, statuses: list[DataSetStatus], number: int) -> None:
        """What is on disk is shown at once; whether the network reaches the downloads follows (it may take seconds)."""
        from core.data.status import network_reaches

        self._on_statuses(statuses, {s.name: None for s in statuses}, number)
        if number != self._generation:
            return
        self._tasks.run(
            "data-set network check",
            lambda: {s.name: (network_reaches(s) if s.downloadable else None) for s in statuses},
            done=lambda reachable: self._on_statuses(statuses, reachable, number),
            failed=lambda error: self._on_check_failed(error, number),
        )

    def _on_check_failed(self, error: BaseException, number: int) -> None:
        if number == self._generation:
            self.message.setText(f"Could not read the data folder: {error}")
            self.message.setStyleSheet("color: #b00020;")

    def _on_statuses(self, statuses: list[DataSetStatus], reachable: dict[str, bool | None], number: int) -> None:
        if number != self._generation:
            return  # the user chose another folder meanwhile: a newer answer is on its way
        selected = self.selected_name()
        self.statuses, self.reachable = statuses, reachable
        self.table.setRowCount(len(statuses))
        for row, status in enumerate(statuses):
            name_item = QTableWidgetItem(status.label)
            name_item.setData(Qt.ItemDataRole.UserRole, status.name)
            state_item = QTableWidgetItem(state_text(status, reachable.get(status.name)))
            state_item.setToolTip(status.details())
            self.table.setItem(row, 0, name_item)
            self.table.setItem(row, 1, state_item)
            if status.name == selected:
                self.table.selectRow(row)
        self.table.resizeColumnToContents(0)
        self._show_selected()

    def selected_name(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        item = self.table.item(rows[0].row(), 0) if rows else None
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def status_of(self, name: str | None):
        return next((s for s in self.statuses if s.name == name), None)

    @Slot()
    def _show_selected(self) -> None:
        status = self.status_of(self.selected_name())
        self.details.setText(status.details() if status is not None else "Choose a data set to see its files.")
        self.download_button.setEnabled(status is not None and status.downloadable and self.downloading is None)

    # ----- folders ---------------------------------------------------------------------------------------------
    @Slot()
    def ask_data_folder(self) -> None:
        folder = self._dialogs.existing_folder("Choose the data folder", str(data_location.data_folder()))
        if folder is not None:
            self.dataFolderChosen.emit(folder)
            self.refresh()

    @Slot()
    def use_default_folder(self) -> None:
        self.dataFolderChosen.emit(None)
        self.refresh()

    @Slot()
    def ask_image_folder(self) -> None:
        folder = self._dialogs.existing_folder("Train on an image folder (one sub-folder per class)")
        if folder is not None:
            self.imageFolderChosen.emit(folder)
            self.message.setText(f"The data-set box now offers {folder.name}: press Train to load it.")

    # ----- downloads -------------------------------------------------------------------------------------------
    def download(self, name: str) -> None:
        """Download data set `name` into the data folder in the background; the progress bar follows it."""
        from core.data.download import download_data_set

        status = self.status_of(name)
        if status is None or not status.downloadable or self.downloading is not None:
            return
        folder = data_location.data_folder()
        self._stop.clear()
        self.downloading = name
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(f"Downloading {status.label} into {folder}…")
        self.message.setStyleSheet("")

        def progress(*step: object) -> None:
            with contextlib.suppress(RuntimeError):  # a dialog deleted meanwhile has nobody left to tell
                self.downloadProgress.emit(*step)

        self._tasks.run(
            "data-set download",
            lambda: download_data_set(name, folder, progress=progress, stopped=self._stop.is_set),
            done=lambda _: self._on_download_ended(name, ""),
            failed=lambda error: self._on_download_ended(name, _download_error(error)),
        )
        self._show_selected()

    @Slot()
    def download_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.download(name)

    @Slot(int, int, str)
    def _on_progress(self, done: int, size: int, what: str) -> None:
        """One file's bytes (the bar restarts for each file; its text says which)."""
        if size > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * min(done, size) / size))
            self.progress.setFormat(f"{what}: {done / 1e6:.1f} of {size / 1e6:.1f} MB")
        else:
            self.progress.setRange(0, 0)

    def _on_download_ended(self, name: str, error: str) -> None:
        self.downloading = None
        self.progress.hide()
        status = self.status_of(name)
        label = status.label if status is not None else name
        if error:
            self.message.setText(f"Could not download {label}: {error}")
            self.message.setStyleSheet("color: #b00020;")
        else:
            self.message.setText(f"Downloaded {label}.")
        self.status.emit(self.message.text().splitlines()[0])
        self.refresh()
        self._show_selected()

    def stop_download(self) -> None:
        """Stop a download between two chunks (nothing half-written stays)."""
        self._stop.set()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing stops a download; the dialog can reopen."""
        self.stop_download()
        super().closeEvent(event)


def _download_error(error: BaseException) -> str:
    """The words for a failed download: core's message, or a surprise's type too (never a silent end)."""
    from core.data.download import DownloadError

    return str(error) if isinstance(error, DownloadError) else f"{type(error).__name__}: {error}"
