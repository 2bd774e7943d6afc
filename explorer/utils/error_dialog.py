"""The last-resort error dialog, and the per-user log file its report points to."""

from __future__ import annotations

import logging
from pathlib import Path

from platformdirs import user_log_dir
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def log_file() -> Path:
    return Path(user_log_dir("convae-explorer", appauthor=False)) / "convae-explorer.log"


def show_error(parent: QWidget | None, title: str, message: str, details: str) -> QMessageBox:
    """A non-blocking error dialog with the traceback under 'Show Details'; the app stays usable."""
    logging.getLogger("explorer").error("%s: %s\n%s", title, message, details)
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setInformativeText(f"The full report is in {log_file()}.")
    box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
