"""File dialogs that remember the last folder and keep the name the user typed.

A name typed as `experiment.v2` is saved as `experiment.v2.safetensors`, never `experiment.safetensors`: the suffix is
appended when it is missing, not swapped for whatever follows the last dot.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

LAST_FOLDER_KEY = "files/last_folder"


def with_suffix_kept(path: Path, suffix: str) -> Path:
    """`path` with `suffix` appended unless it already ends with it (case-insensitive)."""
    return path if path.name.lower().endswith(suffix.lower()) else path.with_name(path.name + suffix)


class FileDialogs:
    def __init__(self, parent: QWidget, settings: QSettings) -> None:
        self._parent, self._settings = parent, settings

    def last_folder(self, name: str = "") -> str:
        folder = Path(str(self._settings.value(LAST_FOLDER_KEY, str(Path.home()))))
        return str(folder / name)

    def remember(self, path: Path) -> None:
        self._settings.setValue(LAST_FOLDER_KEY, str(Path(path).parent))

    def open_checkpoint(self) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self._parent, "Open checkpoint", self.last_folder(), "Checkpoints (*.safetensors);;All files (*)"
        )
        return Path(path) if path else None

    def open_file(self, title: str, file_filter: str) -> Path | None:
        """Ask for an existing file to read (starting in the last folder used); None when the user cancels."""
        path, _ = QFileDialog.getOpenFileName(self._parent, title, self.last_folder(), file_filter)
        if not path:
            return None
        self.remember(Path(path))
        return Path(path)

    def existing_folder(self, title: str, start: str | None = None) -> Path | None:
        """Ask for a folder, starting in `start` (else the last folder used); None when the user cancels."""
        folder = QFileDialog.getExistingDirectory(self._parent, title, self.last_folder() if start is None else start)
        return Path(folder) if folder else None

    def save_as(self, title: str, default_name: str, file_filter: str, suffix: str) -> Path | None:
        """Ask where to save; the answer keeps its name and gains `suffix` where it lacks it."""
        path, _ = QFileDialog.getSaveFileName(self._parent, title, self.last_folder(default_name), file_filter)
        if not path:
            return None
        chosen = with_suffix_kept(Path(path), suffix)
        # the dialog asked about the name as typed; a file under the name with the suffix added was never shown
        if chosen != Path(path) and chosen.exists() and not self.confirm_replace(chosen):
            return None
        self.remember(chosen)
        return chosen

    def confirm_replace(self, path: Path) -> bool:
        buttons = QMessageBox.StandardButton
        self.question = QMessageBox(
            QMessageBox.Icon.Question,
            "Replace file?",
            f"{path.name} already exists in {path.parent}. Replace it?",
            buttons.Yes | buttons.No,
            self._parent,
        )
        self.question.setDefaultButton(buttons.No)
        return self.question.exec() == buttons.Yes
