"""The window's geometry and splitter sizes in QSettings, read defensively.

A settings file is user-editable and outlives versions of the app: every value read is checked, and one that is
not what Qt expects is dropped with a log line instead of stopping the app at every launch.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

log = logging.getLogger(__name__)


def read_bytes(settings: QSettings, key: str) -> QByteArray | None:
    """A QByteArray setting, or None (with a log line) when it is missing or of another type."""
    value = settings.value(key)
    if value is None:
        return None
    if isinstance(value, QByteArray | bytes):
        return QByteArray(value)
    log.warning("ignoring the setting %s: expected saved window state, got %r", key, str(value)[:60])
    return None


def read_bool(settings: QSettings, key: str, default: bool = False) -> bool:
    value = settings.value(key)
    text = str(value).strip().lower()
    if value is None:
        return default
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    log.warning("ignoring the setting %s: expected true or false, got %r", key, str(value)[:60])
    return default


def restore_layout(window: QMainWindow, splitters: dict[str, QSplitter], settings: QSettings) -> None:
    geometry = read_bytes(settings, "window/geometry")
    if geometry is not None and not window.restoreGeometry(geometry):
        log.warning("ignoring the setting window/geometry: Qt could not read it")
    for name, splitter in splitters.items():
        state = read_bytes(settings, f"window/{name}")
        if state is not None and not splitter.restoreState(state):
            log.warning("ignoring the setting window/%s: Qt could not read it", name)


def save_layout(window: QMainWindow, splitters: dict[str, QSplitter], settings: QSettings) -> None:
    settings.setValue("window/geometry", window.saveGeometry())
    for name, splitter in splitters.items():
        settings.setValue(f"window/{name}", splitter.saveState())


def restore_window(window) -> None:
    """A MainWindow's layout, training settings and log-scale switch, as the user left them."""
    restore_layout(window, window.splitters, window.settings)
    window.controls.restore(window.settings)
    window.loss.log_box.setChecked(read_bool(window.settings, "loss/log_scale"))


def save_window(window) -> None:
    save_layout(window, window.splitters, window.settings)
    window.controls.save(window.settings)
    window.settings.setValue("loss/log_scale", window.loss.log_box.isChecked())
    window.settings.sync()
