"""Hostile input in the window (issue 24, the window's halves): a folder load that Stop ends, a FIFO named like a
picture, export failures that reach the user, huge weights refused. Real files, real threads, real signals."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.settings import FOLDER_PREFIX, TrainConfig
from explorer.training.worker import TrainingRunner


def write_many_pngs(root: Path, count: int) -> Path:
    """`count` tiny real PNGs in two class folders: thousands of files take seconds to decode."""
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
    for index in range(count):
        pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
        Image.fromarray(pixels, "L").save(root / ("a", "b")[index % 2] / f"{index:05d}.png")
    return root


def test_stop_during_a_folder_load_ends_the_run_at_once_and_saves_nothing(qtbot, qapp, tmp_path):
    """Stop while a folder of thousands of files is read: the load ends promptly (the stop flag reaches core's
    loader), quietly (no refusal, no failure: the user asked for it) and no checkpoint of an untrained run is kept."""
    folder = write_many_pngs(tmp_path / "pictures", 3000)
    autosave = tmp_path / "autosave" / "run.safetensors"

    def factory(notify, stopped):
        from core.runs.start import new_run

        return new_run(FOLDER_PREFIX + str(folder), 2, TrainConfig(epochs=1, device="cpu"), notify, stopped=stopped)

    runner = TrainingRunner()
    notices, refusals, failures = [], [], []
    worker = runner.start(factory, train=True, autosave_to=autosave)
    worker.notice.connect(notices.append)
    worker.refused.connect(refusals.append)
    worker.failed.connect(lambda message, _trace: failures.append(message))
    try:
        qtbot.waitUntil(lambda: any(n.startswith("Reading") for n in notices) or not runner.running, timeout=60_000)
        assert runner.running, (notices, refusals, failures)  # still loading: Stop comes mid-load
        stopped_at = time.monotonic()
        runner.control.stop()
        qtbot.waitUntil(lambda: not runner.running, timeout=30_000)
        assert time.monotonic() - stopped_at < 10, "the load went on after Stop"
    finally:
        runner.shutdown()
    assert refusals == [] and failures == []
    assert runner.outcome.model is None
    assert not autosave.exists()


@pytest.fixture
def fifo_png(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.png"
    os.mkfifo(path)
    return path
