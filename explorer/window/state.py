"""The window's geometry, dock arrangement and remembered settings in QSettings, read defensively.

A settings file is user-editable and outlives versions of the app: every value read is checked, and one that is
not what Qt expects is dropped with a log line instead of stopping the app at every launch.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings

from explorer.window.placement import keep_on_screen, place_first_window

log = logging.getLogger(__name__)

#: Bumped when the docks change, so an older arrangement is not forced onto a different set of panels.
STATE_VERSION = 2


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


def restore_window(window) -> None:
    """A MainWindow's size, dock arrangement, training settings and log-scale switch, as the user left them; the
    first time (or when the saved geometry cannot be read) a size and place that fit the screen."""
    settings = window.settings
    geometry = read_bytes(settings, "window/geometry")
    if geometry is None:
        place_first_window(window)
    elif window.restoreGeometry(geometry):
        keep_on_screen(window)
    else:
        log.warning("ignoring the setting window/geometry: Qt could not read it")
        place_first_window(window)
    state = read_bytes(settings, "window/docks")
    if state is not None and not window.restoreState(state, STATE_VERSION):
        log.warning("ignoring the setting window/docks: Qt could not read it")
    window.controls.restore(settings)
    window.loss.log_box.setChecked(read_bool(settings, "loss/log_scale"))


def save_window(window) -> None:
    settings = window.settings
    settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/docks", window.saveState(STATE_VERSION))
    window.controls.save(settings)
    settings.setValue("loss/log_scale", window.loss.log_box.isChecked())
    settings.sync()
