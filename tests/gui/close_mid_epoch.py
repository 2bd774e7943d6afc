"""Close the window mid-epoch, many times: each attempt is a fresh process (forked from this one after the heavy
imports, so twenty attempts take seconds, not minutes) that starts training and closes the window after a delay.

    python close_mid_epoch.py TMP DELAY_MS [DELAY_MS …]

Prints one line per attempt: "<delay> <exit code> <steps trained before the close>". Every child runs its whole
interpreter shut-down, so an abort at exit or a QThread destroyed while running shows up in its exit code or
on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: F401 - imported once here, shared by every forked attempt
from PySide6.QtCore import QSettings, QTimer

import core.checkpoint
import core.datasets
import core.engine  # noqa: F401
from explorer.app import create_application
from explorer.main_window import MainWindow


def attempt(tmp: Path, delay_ms: int) -> int:
    app = create_application([])
    win = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), autosave=tmp / "a.safetensors")
    win.controls.dataset.setCurrentIndex(win.controls.dataset.findData("mnist"))
    win.controls.epochs.setValue(100)
    win.show()
    win.start_training()
    QTimer.singleShot(delay_ms, win.close)
    code = app.exec()
    steps = win.session.model.step if win.session.model is not None else -1
    print(f"steps {steps}", flush=True)
    return code


def main() -> int:
    tmp = Path(sys.argv[1])
    for delay in (int(value) for value in sys.argv[2:]):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the attempt: its own QApplication, window, worker thread and interpreter shut-down
            os.close(read)
            os.dup2(write, 1)
            sys.exit(attempt(tmp / str(delay), delay))
        os.close(write)
        with os.fdopen(read) as child_out:
            said = child_out.read()
        _, status = os.waitpid(pid, 0)
        steps = said.split("steps ")[-1].strip() if "steps " in said else "?"
        print(f"{delay} {os.waitstatus_to_exitcode(status)} {steps}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
