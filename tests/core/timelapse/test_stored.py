"""Checkpoints carry the run history: exact round trips, old files still open, damaged histories refused."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import recorded_run
from safetensors.torch import load as parse_tensors
from safetensors.torch import save as serialize_tensors

from core.data.datasets import ImageDataset
from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from core.timelapse.recording import RunHistory
from core.timelapse.stored import history_tensors

Subset = Callable[[int], ImageDataset]


def saved_run(tmp_path: Path, dataset: ImageDataset, latent: int = 3) -> tuple[Path, RunHistory]:
    trainer, history, _ = recorded_run(dataset, latent=latent, epochs=2)
    path = save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer, history))
    return path, history


def assert_same_history(a: RunHistory, b: RunHistory) -> None:
    assert len(a) == len(b)
    for x, y in zip(a.frames, b.frames, strict=True):
        assert (x.step, x.epoch) == (y.step, y.epoch)
        assert x.loss == y.loss or (np.isnan(x.loss) and np.isnan(y.loss))
        np.testing.assert_array_equal(x.codes, y.codes)
        np.testing.assert_array_equal(x.reconstructions, y.reconstructions)
        np.testing.assert_array_equal(x.plane.components, y.plane.components)
        np.testing.assert_array_equal(x.plane.mean, y.plane.mean)
        assert x.plane.explained == y.plane.explained
        assert x.decoder_state.keys() == y.decoder_state.keys()
        assert all(torch.equal(x.decoder_state[k], y.decoder_state[k]) for k in x.decoder_state)
    np.testing.assert_array_equal(a.display.labels, b.display.labels)
    np.testing.assert_array_equal(a.display.display_images, b.display.display_images)
    np.testing.assert_array_equal(a.display.originals, b.display.originals)


def test_history_survives_save_and_open_exactly(tmp_path: Path, digits_subset: Subset) -> None:
    path, history = saved_run(tmp_path, digits_subset(96))
    opened = load_checkpoint(path).history
    assert opened is not None
    assert_same_history(history, opened)
    # a frame replayed from the file decodes exactly as the frame in memory
    a, b = history.frozen().view(2), opened.frozen().view(2)
    np.testing.assert_array_equal(a.decode_at(0.1, 0.2)[0], b.decode_at(0.1, 0.2)[0])


def test_a_checkpoint_without_history_still_opens(tmp_path: Path, digits_subset: Subset) -> None:
    trainer, _, _ = recorded_run(digits_subset(64), epochs=1)
    path = save_checkpoint(tmp_path / "old.safetensors", Checkpoint.from_trainer(trainer))
    header = path.read_bytes()
    assert b"history." not in header[:4096]
    assert load_checkpoint(path).history is None


def rewritten(path: Path, change: Callable[[dict[str, torch.Tensor]], None]) -> Path:
    """The same checkpoint with its tensors changed, written as a valid safetensors file with the same metadata."""
    data = path.read_bytes()
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        metadata = handle.metadata()
    tensors = dict(parse_tensors(data))
    change(tensors)
    out = path.with_name("damaged.safetensors")
    out.write_bytes(serialize_tensors(tensors, metadata=metadata))
    return out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["history.codes"].view(-1).__setitem__(0, float("nan")), "'codes' holds NaN or infinite"),
        (lambda t: t["history.decoder.0.weight"].view(-1).__setitem__(3, float("inf")), "'decoder.0.weight' holds NaN"),
        (lambda t: t["history.step"].__setitem__(1, 0.0), "steps are not whole numbers counting up"),
        (lambda t: t.__setitem__("history.codes", t["history.codes"][:, :-1].clone()), "'codes' has shape"),
        (lambda t: t.pop("history.originals"), "run history is incomplete"),
        (lambda t: t["history.labels"].__setitem__(0, 200), "beyond the 10 classes"),
        (lambda t: t["history.plane_components"].mul_(2.0), "not orthonormal"),
    ],
    ids=["nan-code", "inf-weight", "steps-backwards", "wrong-shape", "missing", "bad-label", "bad-plane"],
)
def test_a_damaged_history_is_refused_with_a_clear_message(
    tmp_path: Path, digits_subset: Subset, change: Callable, message: str
) -> None:
    path, _ = saved_run(tmp_path, digits_subset(96))
    damaged = rewritten(path, change)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(")) as caught:
        load_checkpoint(damaged)
    assert str(caught.value).startswith("damaged.safetensors: ")


def test_a_long_history_is_thinned_evenly_to_the_file_budget(digits_subset: Subset) -> None:
    _, history, _ = recorded_run(digits_subset(96), epochs=4)
    budget = 5 * history.frames[0].nbytes + history.display.display_images.nbytes
    tensors = history_tensors(history, budget)
    steps = tensors["history.step"].tolist()
    assert 2 <= len(steps) <= 5
    assert steps[0] == history.frames[0].step and steps[-1] == history.frames[-1].step


def test_train_command_records_the_history(tmp_path: Path, subprocess_env: dict[str, str]) -> None:
    out = tmp_path / "r.safetensors"
    result = subprocess.run(
        [sys.executable, "-m", "core", "train", "--dataset", "digits-5k", "--epochs", "1", "--batch-size", "256",
         "--threads", "1", "--out", str(out)],
        env=subprocess_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    checkpoint = load_checkpoint(out)
    history = checkpoint.history
    assert history is not None and len(history) >= 2  # the start and the epoch end at least
    assert [f.step for f in history.frames][-1] == checkpoint.progress.step
    assert history.frames[-1].loss == checkpoint.progress.batch_losses[-1]
