"""One way to do file work off the GUI thread: exports, saves and reads run as named background tasks whose result
or error comes back on the GUI thread, and the window's close joins them all.

Why one helper: a task started as a daemon thread is killed at exit with its file half written, and a task whose
error is raised in a thread nobody reads fails silently ("Exporting…" forever). Here every task is an ordinary
(non-daemon) thread, its outcome is delivered by a queued signal to callbacks that run on the GUI thread, and
`join` lets the close wait for what is still writing, or say what was cut.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class _Outcome:
    """What a finished task hands back to the GUI thread: its result, or the exception it raised."""

    name: str
    result: Any
    error: BaseException | None
    done: Callable[[Any], None] | None
    failed: Callable[[BaseException], None] | None


class BackgroundTasks(QObject):
    """Named background tasks for file work; each outcome is delivered on the thread this object lives in.

    `started` and `ended` say which task began and ended (ended carries the error text, empty on success), so a
    status bar or a test can follow the work without polling.
    """

    started = Signal(str)
    ended = Signal(str, str)
    _outcome = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: dict[threading.Thread, str] = {}
        self._lock = threading.Lock()
        self._outcome.connect(self._deliver)

    def run(
        self,
        name: str,
        job: Callable[[], T],
        done: Callable[[T], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `job` in a thread of its own; `done(result)` or `failed(error)` then runs on the GUI thread.

        A job that fails with no `failed` callback is logged with its traceback, never dropped.
        """

        def work() -> None:
            try:
                result, error = job(), None
            except BaseException as raised:
                result, error = None, raised
            finally:
                with self._lock:
                    self._threads.pop(threading.current_thread(), None)
            self._outcome.emit(_Outcome(name, result, error, done, failed))

        thread = threading.Thread(target=work, name=f"task: {name}")
        with self._lock:
            self._threads[thread] = name
        self.started.emit(name)
        thread.start()

    def running(self) -> list[str]:
        """The names of the tasks still at work."""
        with self._lock:
            return list(self._threads.values())

    def join(self, timeout_s: float | None = None) -> list[str]:
        """Wait for every task (at most `timeout_s` in all); the names of those still running after it.

        Called by the window's close: a task that outlives the timeout keeps running (its thread is not a daemon,
        so the process finishes its write before it exits) and the caller can say which ones.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self._lock:
                threads = list(self._threads)
            if not threads:
                return []
            for thread in threads:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
            if deadline is not None and time.monotonic() >= deadline:
                return self.running()

    @Slot(object)
    def _deliver(self, outcome: _Outcome) -> None:
        if outcome.error is None:
            if outcome.done is not None:
                outcome.done(outcome.result)
            self.ended.emit(outcome.name, "")
            return
        if outcome.failed is not None:
            outcome.failed(outcome.error)
        else:
            log.error("Background task %r failed", outcome.name, exc_info=outcome.error)
        self.ended.emit(outcome.name, str(outcome.error) or type(outcome.error).__name__)
