"""One background thread that runs only the newest of the jobs asked of it, and delivers only the newest result.

The decoded map and the path strip are recomputed whenever the view settles, a pin moves or a snapshot arrives;
a decode already under way for an older request is abandoned at its next check (`stale()`), queued requests are
replaced rather than queued, and a result that a newer request has overtaken is dropped in the GUI thread, so
stale pictures never reach the screen (the pattern of Orange's t-SNE widget).

This is not a one-shot task (explorer.utils.tasks runs those): the newest job wins. Its thread is no daemon, so a
decode is never killed half way at exit: the owner's close calls `shutdown`, and a thread left idle for
`IDLE_EXIT_S` ends on its own (the next `submit` starts another), so a worker whose owner forgot it can delay the
process's exit by that much at most, never forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

#: A job gets a function telling it whether a newer request has arrived; it returns its result (None: abandoned).
Job = Callable[[Callable[[], bool]], object]

#: Seconds an idle thread waits for another job before it ends (starting a thread again costs well under 1 ms).
IDLE_EXIT_S = 5.0


class LatestOnlyWorker(QObject):
    """Runs jobs off the GUI thread; `done(result)` is emitted in the GUI thread for the newest request only."""

    done = Signal(object)
    failed = Signal(str)
    _finished = Signal(int, object)  # from the thread: request number, result
    _crashed = Signal(int, str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._wake = threading.Condition()
        self._pending: tuple[int, Job] | None = None
        self._latest = 0  # the newest request's number; a job or result with another number is stale
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.busy = False  # a request is queued or running, its result not yet delivered
        self._finished.connect(self._deliver)
        self._crashed.connect(self._report)

    def submit(self, job: Job) -> None:
        """Run `job` as soon as the thread is free, replacing any request not yet started."""
        with self._wake:
            self._latest += 1
            self._pending = (self._latest, job)
            self.busy = True
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._loop, name=self._name)
                self._thread.start()
            self._wake.notify()

    def cancel(self) -> None:
        """Forget every request: nothing asked so far will be delivered."""
        with self._wake:
            self._latest += 1
            self._pending = None
            self.busy = False

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Abandon the work and wait for the thread to end (the window is closing); submit starts it again."""
        self.cancel()
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _is_stale(self, number: int) -> bool:
        return number != self._latest or self._stopping

    def _loop(self) -> None:
        from core.runs.backend import decode_on_this_thread_only

        decode_on_this_thread_only()  # one core for this thread: the other stays with training or the window
        while True:
            with self._wake:
                if self._pending is None and not self._stopping:
                    self._wake.wait_for(lambda: self._pending is not None or self._stopping, IDLE_EXIT_S)
                if self._stopping or self._pending is None:
                    if self._thread is threading.current_thread():
                        self._thread = None  # idle (or stopped): the next submit starts a thread again
                    return
                number, job = self._pending
                self._pending = None
            try:
                result = job(lambda number=number: self._is_stale(number))
            except Exception as error:  # a failed decode must not end the thread, nor pass silently
                log.exception("%s: a background job failed", self._name)
                if not self._emit(self._crashed, number, f"{type(error).__name__}: {error}"):
                    return
                continue
            if not self._emit(self._finished, number, result):
                return

    def _emit(self, signal, number: int, payload: object) -> bool:
        """Hand a result to the GUI thread; False when this object is gone (its owner was deleted without
        `shutdown`, or while a join timed out): nobody is left to deliver to, so the thread ends."""
        try:
            signal.emit(number, payload)
        except RuntimeError:  # "Signal source has been deleted"
            log.debug("%s: a result for a deleted owner was dropped", self._name)
            return False
        return True

    @Slot(int, object)
    def _deliver(self, number: int, result: object) -> None:
        if number != self._latest:
            return
        self.busy = False
        if result is not None:
            self.done.emit(result)

    @Slot(int, str)
    def _report(self, number: int, message: str) -> None:
        if number == self._latest:
            self.busy = False
            self.failed.emit(message)
