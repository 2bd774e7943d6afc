"""Close the window mid-epoch, many times: each attempt is a fresh process (forked from this one after the heavy
imports, so twenty attempts take seconds, not minutes) that starts training and closes the window once it has
seen a given number of steps (0: at once, before the first step). Waiting for steps, not for milliseconds, makes
every attempt close where it was meant to on a fast host and on a busy one alike.

    python close_mid_epoch.py TMP STEPS [STEPS …]

Prints one line per attempt: "<steps asked> <exit code> <steps trained before the close>". Every child runs its
whole interpreter shut-down, so an abort at exit or a QThread destroyed while running shows up in its exit code
or on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer

from explorer.app import create_application
from explorer.window.main_window import MainWindow


def attempt(tmp: Path, steps: int) -> int:
    app = create_application([])
    win = MainWindow(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), autosave_dir=tmp / "autosave")
    win.controls.dataset.setCurrentIndex(win.controls.dataset.findData("mnist"))
    win.controls.epochs.setValue(100)
    win.show()

    def close_when_trained(losses) -> None:
        if len(losses) >= steps and win.isVisible():
            win.close()

    win.session.lossesChanged.connect(close_when_trained)
    win.start_training()
    if steps == 0:
        QTimer.singleShot(0, win.close)
    code = app.exec()
    steps_trained = win.session.model.step if win.session.model is not None else 0
    print(f"steps {steps_trained}", flush=True)
    return code


def main() -> int:
    tmp = Path(sys.argv[1])
    for steps in (int(value) for value in sys.argv[2:]):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the attempt: its own QApplication, window, worker thread and interpreter shut-down
            os.close(read)
            os.dup2(write, 1)
            sys.exit(attempt(tmp / str(steps), steps))
        os.close(write)
        with os.fdopen(read) as child_out:
            said = child_out.read()
        _, status = os.waitpid(pid, 0)
        trained = said.split("steps ")[-1].strip() if "steps " in said else "?"
        print(f"{steps} {os.waitstatus_to_exitcode(status)} {trained}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
