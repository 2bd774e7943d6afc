"""`train --resume`: --epochs is the run's total, so asking for no more than the checkpoint has done trains nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from core_testkit import fast_config

from core.files.checkpoint import Checkpoint, save_checkpoint
from core.training.engine import Trainer, TrainingControl

pytestmark = pytest.mark.slow  # a child Python importing torch


@pytest.mark.parametrize("epochs", ["1", "2"])
def test_a_resume_with_nothing_left_to_train_says_so_and_leaves_the_file_alone(
    tmp_path: Path, digits_subset, subprocess_env: dict, epochs: str
) -> None:
    """Issue 25, defect 7: it printed "Training finished: 1 epoch … Saved" and rewrote the file."""
    trainer = Trainer(digits_subset(64), fast_config(batch_size=32, epochs=2))
    list(trainer.run(TrainingControl(), snapshots=False))
    path = save_checkpoint(tmp_path / "two.safetensors", Checkpoint.from_trainer(trainer))
    before, stat = path.read_bytes(), path.stat()
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--resume", str(path), "--epochs", epochs, "--out", str(path),
         "--device", "cpu", "--threads", "1"],
        cwd=tmp_path, env=subprocess_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "nothing left to train" in done.stderr and "already trained 2 of its epochs" in done.stderr
    assert "--epochs is the total number of epochs" in done.stderr and "give --epochs 3" in done.stderr
    assert "Training finished" not in done.stdout and "Saved" not in done.stdout and "Traceback" not in done.stderr
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.safetensors"]  # no other file written either
