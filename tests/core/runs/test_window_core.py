"""What the window shows, computed in core without Qt: progress and ETA, the loss history and its CSV, the
snapshot view (decoding with that snapshot's decoder), how runs begin (devices, fallbacks), output checks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config

from core.events import BatchEnd
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.files.output_path import OutputError, check_output, free_default_name, is_app_checkpoint
from core.latent.view import view_of
from core.runs.records import describe_run, model_at_rest
from core.runs.start import continued_run, opened_run
from core.settings import SETTINGS, TrainConfig
from core.training.engine import Trainer
from core.training.loss_history import LossHistory, running_average
from core.training.progress import RunProgress, format_duration, plural


def test_eta_counts_only_this_sessions_steps() -> None:
    """A run resumed at step 100 that took 10 s for its next 10 steps has 90 left of 200: 90 s, not 9 s."""
    event = BatchEnd(step=110, epoch=5, batch=10, batches_per_epoch=20, loss=0.1, images_seen=320, elapsed_s=10.0)
    progress = RunProgress.after(event, epochs=10, start_step=100)
    assert progress.total_steps == 200
    assert progress.eta_s == pytest.approx(90.0)
    assert progress.images_per_second == pytest.approx(32.0)
    assert progress.line() == "Epoch 6/10 · batch 10/20 · 32 img/s · elapsed 0:10 · ETA 1:30"


def test_durations_and_plurals_read_naturally() -> None:
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"
    assert plural(1, "epoch") == "1 epoch" and plural(2, "epoch") == "2 epochs"
    assert plural(1024, "step") == "1,024 steps"


def test_loss_history_grows_past_its_buffer_and_exports_with_its_settings() -> None:
    history = LossHistory([0.5, 0.4])
    chunks = [np.full(700, 0.1 * i) for i in range(1, 5)]
    for chunk in chunks:
        history.extend(chunk)
    expected = np.concatenate([[0.5, 0.4], *chunks])
    assert len(history) == len(expected) and np.array_equal(history.values, expected)
    assert not history.values.flags.writeable
    csv = history.to_csv(batches_per_epoch=1000, comments=["mnist, latent size 2"]).splitlines()
    assert csv[0] == "# mnist, latent size 2" and csv[1] == "step,epoch,loss,running_average"
    assert csv[2] == "1,1,0.5,0.5" and csv[3] == "2,1,0.4,0.45"
    assert csv[-1].startswith(f"{len(expected)},3,0.4,")
    assert running_average(np.array([1.0, 3.0]), window=1).tolist() == [1.0, 3.0]


@pytest.fixture(scope="module")
def trained(digits_subset) -> Trainer:
    trainer = Trainer(digits_subset(96), fast_config(epochs=1))
    list(trainer.run(snapshots=False))
    return trainer


def test_a_view_decodes_with_its_snapshots_decoder(trained: Trainer) -> None:
    view = view_of(trained.snapshot())
    assert view.xy.shape == (len(view.snapshot.codes), 2) and np.allclose(view.xy, view.snapshot.codes)
    image, code = view.decode_at(0.25, -0.5)
    with torch.inference_mode():
        direct = trained.model.decoder(torch.tensor([[0.25, -0.5]])).numpy()[0]
    assert code.tolist() == [0.25, -0.5]
    assert np.allclose(image, direct, atol=1e-5)
    with torch.inference_mode():
        reconstruction = trained.model(torch.from_numpy(view.snapshot.display_images[3:4]).float() / 255).numpy()[0]
    assert np.allclose(view.reconstruct(3), reconstruction, atol=1e-5)
    assert view.label_of(3) == view.snapshot.classes[int(view.snapshot.labels[3])]
    assert view.where.startswith(f"step {trained.progress.step:,} (epoch 1.00)")


def test_records_carry_the_run_not_the_trainer(trained: Trainer) -> None:
    info = describe_run(trained)
    assert info.total_steps == trained.batches_per_epoch and info.epochs_done == 1
    assert np.array_equal(info.losses, trained.progress.batch_losses)
    model = model_at_rest(trained)
    assert model.step == trained.progress.step
    assert all(t.device.type == "cpu" for t in model.checkpoint.model_state.values())
    further = continued_run(model, epochs=2, device="cpu").trainer
    assert further.progress.step == trained.progress.step and further.config.epochs == 2


def test_a_model_trained_on_a_missing_device_opens_here(trained: Trainer, tmp_path: Path) -> None:
    """'Train on a server, explore on a laptop': a checkpoint that records cuda:3 opens on whatever is here."""
    checkpoint = Checkpoint.from_trainer(trained)
    path = save_checkpoint(tmp_path / "gpu.safetensors", replace(checkpoint, train_config=replace(
        checkpoint.train_config, device="cuda:3")))  # fmt: skip
    said: list[str] = []
    run = opened_run(path, said.append)
    assert run.trainer.device.type in ("cpu", "cuda", "mps") and run.trained_on == "digits-5k"
    if torch.cuda.device_count() < 4:
        assert any("'cuda:3'" in message and "does not have" in message for message in said)
    assert run.trainer.progress.step == trained.progress.step


def test_output_checks_refuse_before_training(tmp_path: Path, trained: Trainer) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my thesis")
    with pytest.raises(OutputError, match="not a convae-explorer checkpoint"):
        check_output(notes, force=False)
    assert check_output(notes, force=True) == f"{notes} will be replaced"
    with pytest.raises(OutputError, match="is a folder"):
        check_output(tmp_path, force=True)
    ours = save_checkpoint(tmp_path / "ours.safetensors", Checkpoint.from_trainer(trained))
    assert is_app_checkpoint(ours) and not is_app_checkpoint(notes)
    assert check_output(ours, force=False) == f"{ours} will be replaced"
    assert check_output(tmp_path / "new" / "deeper" / "x.safetensors", force=False) is None
    assert free_default_name(tmp_path, "ours") == tmp_path / "ours-2.safetensors"
    assert free_default_name(tmp_path, "fresh") == tmp_path / "fresh.safetensors"


def test_settings_validate_with_the_ranges_they_state() -> None:
    for setting in SETTINGS.values():
        low = setting.kind(setting.low)
        high = setting.kind(setting.high)
        setting.check(high)
        with pytest.raises(ValueError, match=setting.label):
            setting.check(high + (1 if setting.kind is int else 1.0))
        if setting.low_open:
            with pytest.raises(ValueError, match=setting.label):
                setting.check(low)
        else:
            setting.check(low)
    with pytest.raises(ValueError, match="seed must be between 0 and 2147483647, got -1"):
        TrainConfig(seed=-1)
    with pytest.raises(ValueError, match="cuda:N"):
        TrainConfig(device="cuda:abc")


def test_a_one_epoch_run_says_one_epoch(digits_subset) -> None:
    trainer = Trainer(digits_subset(64), fast_config(epochs=1))
    ended = list(trainer.run(snapshots=False))[-1]
    assert ended.message.startswith("Training finished: 1 epoch, final epoch MSE")
