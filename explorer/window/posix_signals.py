"""SIGINT, SIGTERM and SIGHUP close the window the way its close button does, then the app exits 128 + signal.

Qt's event loop runs in C++, where Python's signal handlers never get a turn (Ctrl+C used to do nothing for
seconds and then raise KeyboardInterrupt inside whatever slot ran). The C-level handler writes the signal's
number to a socket (signal.set_wakeup_fd) that a QSocketNotifier watches, so the loop wakes at once and the
window closes through its normal path: training stopped between two steps, thread ended, model autosaved.
A second signal while that happens waits its turn in the socket: the save is never cut short.
"""

from __future__ import annotations

import logging
import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier, Slot
from PySide6.QtWidgets import QApplication, QWidget

log = logging.getLogger(__name__)

CLOSING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class SignalCloser(QObject):
    def __init__(self, app: QApplication, window: QWidget) -> None:
        super().__init__(app)
        self._app, self._window = app, window
        self.received: int | None = None
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_signal)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        # a Python-level handler must exist, or the default one would kill the process (or raise KeyboardInterrupt)
        self._previous = {number: signal.signal(number, self._note) for number in CLOSING_SIGNALS}

    def _note(self, number: int, _frame: object) -> None:
        if self.received is None:
            self.received = number

    @Slot()
    def _on_signal(self) -> None:
        try:
            data = self._read.recv(64)
        except BlockingIOError:
            return
        if self.received is None and data:
            self.received = data[0]
        if self.received is None or not self._window.isVisible():
            return
        log.info("signal %d: closing the window", self.received)
        if self._window.close():
            self._app.exit(128 + self.received)
        else:  # the user chose to stay (an unsaved model): a later signal asks again
            self.received = None

    def uninstall(self) -> None:
        """Give the signals back, except after one closed the window: the process is on its way out, and a late
        second Ctrl+C must not kill it while the interpreter shuts down (exit -2 instead of 130)."""
        signal.set_wakeup_fd(self._previous_fd)
        for number, handler in self._previous.items():
            signal.signal(number, signal.SIG_IGN if self.received is not None else handler)
        self._notifier.setEnabled(False)
        self._read.close()
        self._write.close()
