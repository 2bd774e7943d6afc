"""Autosave files: one per run, listed newest first, pruned by count without losing the most-trained model."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from core_testkit import fast_config

from core.files.autosave import list_autosaves, new_autosave_path, prune
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.training.engine import Trainer, TrainingProgress


def write(folder: Path, checkpoint: Checkpoint, steps: int, age_s: float) -> Path:
    path = new_autosave_path(folder)
    progress = TrainingProgress(step=steps, batch_losses=[0.1] * steps)
    save_checkpoint(path, replace(checkpoint, progress=progress, optimizer_state=None))
    stamp = 1_700_000_000 - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_pruning_keeps_the_newest_and_the_most_trained(tmp_path: Path, digits_subset) -> None:
    checkpoint = Checkpoint.from_trainer(Trainer(digits_subset(32), fast_config()))
    long_run = write(tmp_path, checkpoint, steps=500, age_s=1000)  # the oldest, and the most trained
    short = [write(tmp_path, checkpoint, steps=3, age_s=900 - 10 * i) for i in range(12)]
    (tmp_path / "notes.txt").write_text("not ours")
    (tmp_path / "other.safetensors").write_bytes(b"not ours either")
    assert len({p.name for p in [long_run, *short]}) == 13  # every run got its own name
    removed = prune(tmp_path, keep=8)
    left = [save.path for save in list_autosaves(tmp_path)]
    assert left == [*reversed(short[-8:]), long_run]  # newest first, then the long run spared
    assert sorted(removed) == sorted(short[:4])
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "other.safetensors").exists()
    newest = list_autosaves(tmp_path)[0]
    assert newest.step == 3 and newest.dataset == "digits-5k" and "3 steps" in newest.describe()


def test_nothing_special_is_spared_when_a_newer_model_is_as_trained(tmp_path: Path, digits_subset) -> None:
    checkpoint = Checkpoint.from_trainer(Trainer(digits_subset(32), fast_config()))
    old = [write(tmp_path, checkpoint, steps=5, age_s=100 - i) for i in range(3)]
    newer = write(tmp_path, checkpoint, steps=50, age_s=0)
    prune(tmp_path, keep=1)
    assert [save.path for save in list_autosaves(tmp_path)] == [newer]
    assert not any(path.exists() for path in old)
