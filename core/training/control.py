"""Stop and pause flags shared between the thread that trains and the one that steers it."""

from __future__ import annotations

import threading
import time


class TrainingControl:
    """Stop and pause flags, safe to set from any thread; the engine polls them between steps."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._waiting = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def waiting(self) -> bool:
        """True while the engine is actually blocked by a pause (the step in flight has finished)."""
        return self._waiting.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused (until resumed or stopped); return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._waiting.set()
        try:
            while not self._running.wait(0.1):
                pass
        finally:
            self._waiting.clear()
        return time.perf_counter() - start
