"""Loads torch and the engine in the background once the window is up, and finds the last autosave.

Importing torch takes seconds; the window needs none of it to appear, so it shows first and the
engine arrives while the user reads it. Anything that needs the engine imports it where used;
if that happens before the preload ends, it simply waits for the same import.

The preload is one of the window's background tasks (explorer.utils.tasks): not a daemon, so an import under way
when the window closes is joined with the other tasks instead of being killed mid-import at exit.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from core.files.autosave import Autosave

log = logging.getLogger(__name__)


def load_engine_and_last_autosave(autosave_dir: Path) -> tuple[list, Autosave | None]:
    """The devices torch can train on here, and the newest autosave in `autosave_dir` (or None)."""
    from core.files.autosave import list_autosaves
    from core.runs.backend import load_engine

    devices = load_engine()
    saves = list_autosaves(autosave_dir)
    return devices, saves[0] if saves else None


class BackendPreloader(QObject):
    loaded = Signal(list, object)  # the devices torch can train on here, the newest autosave (or None)
    failed = Signal(str)

    def __init__(self, autosave_dir: Path, tasks: BackgroundTasks, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._autosave_dir = autosave_dir
        self._tasks = tasks

    def start(self) -> None:
        self._tasks.run(
            "engine preload",
            lambda: load_engine_and_last_autosave(self._autosave_dir),
            done=self._on_loaded,
            failed=self._on_failed,
        )

    def _on_loaded(self, result: tuple[list, Autosave | None]) -> None:
        self.loaded.emit(*result)

    def _on_failed(self, error: BaseException) -> None:
        log.error("loading the engine failed", exc_info=error)
        self.failed.emit(f"{type(error).__name__}: {error}")
