"""File › Data sets…: each known data set installed, downloadable or missing, with its folder and files; the data
folder in use and a button to choose another; downloads with a progress bar; and an image-folder picker.

Everything that touches the disk or the network runs in a background thread (core.data.status, core.data.download)
and comes back through queued signals: the window never waits for a slow disk, a DNS lookup or a download.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from core.data import location as data_location


def _emit(signal, *args) -> None:
    """Emit from a background thread; a dialog closed with its window meanwhile has nobody left to tell."""
    with contextlib.suppress(RuntimeError):  # its C++ object is gone
        signal.emit(*args)


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
    statusesReady = Signal(object, object, int, bool)  # statuses, {name: reachable or None}, refresh number, final
    downloadProgress = Signal(int, int, str)
    downloadEnded = Signal(str, str)  # data set, error message ("" when it worked)

    def __init__(self, window, choice) -> None:
        super().__init__(window)
        self.window, self.choice = window, choice
        self.setWindowTitle("Data sets")
        self.statuses: list = []
        self.reachable: dict[str, bool | None] = {}
        self.download_thread: threading.Thread | None = None
        self.downloading: str | None = None  # the data set being downloaded, until its end is shown
        self.refresh_threads: list[threading.Thread] = []
        self.checking = False  # until the newest refresh's last answer (the network's) is shown
        self.refreshes = 0  # answers of an older refresh (another folder) are dropped
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
        self.statusesReady.connect(self._on_statuses)
        self.downloadProgress.connect(self._on_progress)
        self.downloadEnded.connect(self._on_download_ended)
        self._show_selected()

    # ----- status ----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the data folder again in the background: first what is on disk, then whether downloads can work."""
        folder, why = data_location.data_folder_and_reason()
        self.folder_label.setText(f"Data folder: <b>{folder}</b> ({why})")
        self.folder_label.setToolTip(str(folder))
        self.checking = True
        self.refreshes += 1
        number = self.refreshes
        for row in range(self.table.rowCount()):
            self.table.item(row, 1).setText("Checking…")

        def work() -> None:
            from core.data.status import all_statuses, network_reaches

            statuses = all_statuses(folder)
            _emit(self.statusesReady, statuses, {s.name: None for s in statuses}, number, False)
            reach = {s.name: (network_reaches(s) if s.downloadable else None) for s in statuses}
            _emit(self.statusesReady, statuses, reach, number, True)

        thread = threading.Thread(target=work, name="data-status", daemon=True)
        self.refresh_threads = [t for t in self.refresh_threads if t.is_alive()] + [thread]
        thread.start()

    @Slot(object, object, int, bool)
    def _on_statuses(self, statuses: list, reachable: dict, number: int, final: bool) -> None:
        if number != self.refreshes:
            return  # the user chose another folder meanwhile: a newer answer is on its way
        self.checking = not final
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

    def row_text(self, name: str) -> str:
        """The Status column's text for data set `name` (for tests and accessibility)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                return self.table.item(row, 1).text()
        return ""

    @Slot()
    def _show_selected(self) -> None:
        status = self.status_of(self.selected_name())
        self.details.setText(status.details() if status is not None else "Choose a data set to see its files.")
        self.download_button.setEnabled(status is not None and status.downloadable and self.downloading is None)

    # ----- folders ---------------------------------------------------------------------------------------------
    @Slot()
    def ask_data_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the data folder", str(data_location.data_folder()))
        if folder:
            self.choice.use_data_folder(Path(folder))
            self.refresh()

    @Slot()
    def use_default_folder(self) -> None:
        self.choice.use_data_folder(None)
        self.refresh()

    @Slot()
    def ask_image_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Train on an image folder (one sub-folder per class)", self.window.dialogs.last_folder()
        )
        if folder:
            self.choice.use_image_folder(Path(folder))
            self.message.setText(f"The data-set box now offers {Path(folder).name}: press Train to load it.")

    # ----- downloads -------------------------------------------------------------------------------------------
    def download(self, name: str) -> threading.Thread | None:
        """Download data set `name` into the data folder in the background; the progress bar follows it."""
        status = self.status_of(name)
        if status is None or not status.downloadable or self.downloading is not None:
            return None
        folder = data_location.data_folder()
        self._stop.clear()
        self.downloading = name
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(f"Downloading {status.label} into {folder}…")
        self.message.setStyleSheet("")

        def progress(*step) -> None:
            _emit(self.downloadProgress, *step)

        def work() -> None:
            from core.data.download import DownloadError, download_data_set

            try:
                download_data_set(name, folder, progress=progress, stopped=self._stop.is_set)
            except DownloadError as error:
                _emit(self.downloadEnded, name, str(error))
                return
            except Exception as error:  # a surprise must still end the download in the dialog, never silently
                _emit(self.downloadEnded, name, f"{type(error).__name__}: {error}")
                return
            _emit(self.downloadEnded, name, "")

        self.download_thread = threading.Thread(target=work, name="data-download", daemon=True)
        self.download_thread.start()
        self._show_selected()
        return self.download_thread

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

    @Slot(str, str)
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
        self.window.statusBar().showMessage(self.message.text().splitlines()[0])
        self.refresh()
        self._show_selected()

    def closeEvent(self, event) -> None:
        """Closing stops a download between two chunks (nothing half-written stays); the dialog can reopen."""
        self._stop.set()
        super().closeEvent(event)
