"""Signals to the window's process, for real: SIGINT, SIGTERM and SIGHUP close it the way its close button does
(training stopped, thread ended, model autosaved) and it exits 128 + the signal; a second Ctrl+C waits."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.files.checkpoint import load_checkpoint

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]

#: The real entry point, with the window's after_show seam starting a run and printing each progress step.
CHILD = """
import sys
from explorer import app
from explorer.__main__ import main

def shown(window):
    window.controls.epochs.setValue(200)
    window.session.progressed.connect(lambda progress: print(f"step {progress.step}", flush=True))
    window.start_training()

opened = app.run_app
app.run_app = lambda checkpoint=None: opened(checkpoint, after_show=shown)
sys.exit(main([]))
"""


def start_child(home: Path) -> tuple[subprocess.Popen, queue.Queue]:
    env = {
        **os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1",
        "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"), "CONVAE_DATA_DIR": str(home / "none"),
    }  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in child.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return child, lines


def wait_for_steps(child: subprocess.Popen, lines: queue.Queue, count: int) -> None:
    deadline = time.monotonic() + 240
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        assert line is not None, f"the app ended before training: {child.wait()} {child.stderr.read()}"
        if line.startswith("step ") and int(line.split()[1]) >= count:
            return


@pytest.mark.parametrize(
    ("signals", "code"),
    [((signal.SIGTERM,), 143), ((signal.SIGHUP,), 129), ((signal.SIGINT,) * 2, 130)],
    ids=["SIGTERM", "SIGHUP", "SIGINT twice"],
)
def test_a_signal_closes_the_window_keeping_the_model(tmp_path: Path, signals: tuple, code: int) -> None:
    child, lines = start_child(tmp_path)
    try:
        wait_for_steps(child, lines, 3)
        for number in signals:
            child.send_signal(number)
            time.sleep(0.3)  # Ctrl+C pressed twice, ~0.3 s apart
        exit_code = child.wait(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read()
    assert exit_code == code, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    saves = list((tmp_path / "data" / "convae-explorer" / "autosave").glob("run-*.safetensors"))
    assert len(saves) == 1, saves
    assert load_checkpoint(saves[0]).progress.step >= 3
