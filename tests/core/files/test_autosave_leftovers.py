"""Issue 24, defect 14: kill -9 between an autosave's last byte and its rename left a complete checkpoint under a
hidden `.convae-….tmp` name in the autosave folder, forever. The next start (the window lists its autosaves) offers
it as an autosave, removes an incomplete one, and leaves a fresh one (another window may be writing it) alone.
A real child process is killed with SIGKILL while it writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core_testkit import fast_config

from core.files.autosave import LEFTOVER_AGE_S, list_autosaves
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.settings import ModelConfig
from core.training.engine import Trainer

#: A child that writes through write_atomically and stops (SIGSTOP) after its last byte, before the rename.
CHILD = """
import os, signal, sys
from pathlib import Path
import core.atomic_write as atomic
payload = Path(sys.argv[1]).read_bytes()
real_replace = os.replace
def stop_first(source, target):
    os.kill(os.getpid(), signal.SIGSTOP)  # the parent kills it here, as kill -9 would land
    real_replace(source, target)
atomic.os.replace = stop_first
atomic.write_atomically(Path(sys.argv[2]), payload)
"""


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_killed_autosave_is_offered_at_the_next_start(tmp_path, digits_subset, subprocess_env):
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    model = save_checkpoint(tmp_path / "model.safetensors", Checkpoint.from_trainer(trainer))
    folder = tmp_path / "autosave"
    folder.mkdir()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(model), str(folder / "run-x.safetensors")],
                             env=subprocess_env)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the state: stopped after writing
            with open(f"/proc/{child.pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("T"):
                    break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        child.kill()
    leftovers = [p for p in folder.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".convae-") and leftovers[0].suffix == ".tmp"
    leftover = leftovers[0]

    assert list_autosaves(folder) == []  # just written: maybe another window's autosave in progress
    assert leftover.exists()

    cut = folder / ".convae-0123456789abcdef.tmp"  # a write killed half-way
    cut.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    _age(leftover, LEFTOVER_AGE_S + 60)
    _age(cut, LEFTOVER_AGE_S + 60)
    saves = list_autosaves(folder)
    assert len(saves) == 1 and "recovered" in saves[0].path.name
    assert load_checkpoint(saves[0].path).progress.step == trainer.progress.step
    assert sorted(p.name for p in folder.iterdir()) == [saves[0].path.name]
