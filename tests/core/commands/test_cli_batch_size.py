"""`convae-explorer train` with a batch larger than the data set: a one-line error and exit 1, run for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow  # a child Python spends seconds importing torch
def test_a_batch_larger_than_the_training_images_exits_1_saying_the_most_allowed(
    idx_root: Path, tmp_path: Path, subprocess_env: dict
) -> None:
    """MNIST from real IDX files (128 training images) at --batch-size 4096: refused before training, no traceback.
    (Above 4096 the option itself is refused with its range, exit 2: see test_cli.py.)"""
    child = subprocess.run(
        [sys.executable, "-m", "core", "train", "--dataset", "mnist", "--no-download", "--batch-size", "4096",
         "--epochs", "1", "--device", "cpu", "--threads", "1"],
        cwd=tmp_path, env={**subprocess_env, "CONVAE_DATA_DIR": str(idx_root)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert child.returncode == 1, child.stdout + child.stderr
    assert child.stderr.strip() == (
        "convae-explorer train: batch size 4,096 is larger than the 128 training images of mnist; choose at most 128"
    )
    assert "Traceback" not in child.stderr
    assert list(tmp_path.iterdir()) == []  # nothing trained, nothing saved
