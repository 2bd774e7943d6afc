"""Issue 24, defect 9: a folder of more than 256 classes trained without its time-lapse (the labels were stored as
bytes and the history was silently dropped), and `render timelapse` then said "train it further to record one",
which never worked. Real folders of 300 classes, the real commands."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from core.files.checkpoint import load_checkpoint

CLASSES = 300


def test_a_folder_of_300_classes_keeps_its_time_lapse(tmp_path, subprocess_env):
    root = tmp_path / "many"
    for index in range(CLASSES):
        folder = root / f"class{index:03}"
        folder.mkdir(parents=True)
        pixels = np.random.default_rng(index).integers(0, 256, (8, 8), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / "a.png")
    env = {**subprocess_env, "CONVAE_CACHE_DIR": str(tmp_path / "cache")}
    model = tmp_path / "model.safetensors"

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "core", *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)  # fmt: skip

    trained = run("train", "--dataset", f"folder:{root}", "--epochs", "1", "--out", str(model))
    assert trained.returncode == 0, trained.stderr
    checkpoint = load_checkpoint(model)
    assert len(checkpoint.classes) == CLASSES
    assert checkpoint.history is not None and len(checkpoint.history) >= 2
    assert int(checkpoint.history.display.labels.max()) >= 256  # labels past a byte come back as they were
    rendered = run("render", "timelapse", str(model), "--out", str(tmp_path / "run.gif"), "--width", "240")
    assert rendered.returncode == 0, rendered.stderr
    assert (tmp_path / "run.gif").is_file()
