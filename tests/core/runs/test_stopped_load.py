"""Issue 24, defect 10, the core half of the window's Stop: a run the window starts on an image folder hands the
run's stop flag to the load, which ends in LoadStopped instead of reading every file (and never falls back to the
digits as if the folder were missing)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.data.datasets import LoadStopped
from core.runs.start import new_run
from core.settings import TrainConfig, folder_dataset_name


def test_a_window_run_on_a_folder_stops_loading_when_its_stop_flag_is_set(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.fromarray(np.full((8, 8), 30 * i, np.uint8)).save(tmp_path / name / f"{i}.png")
    notes: list[str] = []
    with pytest.raises(LoadStopped, match="nothing was loaded"):
        new_run(folder_dataset_name(tmp_path), 2, TrainConfig(device="cpu"), notes.append, stopped=lambda: True)
    assert not any("built-in digits" in note for note in notes)
