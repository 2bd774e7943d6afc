"""Loads torch and the engine in a background thread once the window is up, and finds the last autosave.

Importing torch takes seconds; the window needs none of it to appear, so it shows first and the
engine arrives while the user reads it. Anything that needs the engine imports it where used;
if that happens before the preload ends, it simply waits for the same import.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class BackendPreloader(QObject):
    loaded = Signal(list, object)  # the devices torch can train on here, the newest autosave (or None)
    failed = Signal(str)

    def __init__(self, autosave_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._autosave_dir = autosave_dir
        self._thread = threading.Thread(target=self._run, name="engine-preload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float = 30.0) -> None:
        """Let an import in progress finish before the interpreter shuts down."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            from core.files.autosave import list_autosaves
            from core.runs.backend import load_engine

            devices = load_engine()
            saves = list_autosaves(self._autosave_dir)
            self.loaded.emit(devices, saves[0] if saves else None)
        except Exception as error:
            log.exception("loading the engine failed")
            self.failed.emit(f"{type(error).__name__}: {error}")
