"""`train --preset fast`, run for real in child processes: the preset's settings reach the checkpoint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.files.checkpoint import load_checkpoint
from core.settings import RECIPES

pytestmark = pytest.mark.slow  # child Pythons, each spending seconds importing torch

CLI = [sys.executable, "-m", "core"]


def _train(tmp_path: Path, env: dict, idx_root: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, "train", "--dataset", "mnist", "--no-download", "--epochs", "1", "--device", "cpu", "--threads", "1",
         *argv],
        cwd=tmp_path, env={**env, "CONVAE_DATA_DIR": str(idx_root)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_preset_fast_trains_with_its_settings_and_given_options_win(
    idx_root: Path, tmp_path: Path, subprocess_env: dict
) -> None:
    fast = RECIPES["fast"].values
    done = _train(tmp_path, subprocess_env, idx_root, "--preset", "fast", "--out", str(tmp_path / "fast.safetensors"))
    assert done.returncode == 0, done.stderr
    assert f"batch {int(fast['batch_size'])}, lr {fast['lr']:g}" in done.stdout
    config = load_checkpoint(tmp_path / "fast.safetensors").train_config
    assert (config.batch_size, config.lr) == (fast["batch_size"], fast["lr"])

    done = _train(
        tmp_path,
        subprocess_env,
        idx_root,
        "--preset",
        "fast",
        "--batch-size",
        "16",
        "--out",
        str(tmp_path / "b.safetensors"),
    )
    assert done.returncode == 0, done.stderr
    config = load_checkpoint(tmp_path / "b.safetensors").train_config
    assert (config.batch_size, config.lr) == (16, fast["lr"])

    done = _train(tmp_path, subprocess_env, idx_root, "--preset", "fast", "--resume", str(tmp_path / "b.safetensors"))
    assert done.returncode == 2 and "--preset cannot be combined with --resume" in done.stderr
    assert "Traceback" not in done.stderr
