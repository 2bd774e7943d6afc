"""Reconstruction errors: core.model.errors against the model's own forward pass, and in every engine snapshot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_testkit import fast_config

from core.events import Snapshot
from core.model.errors import reconstruction_errors
from core.settings import ModelConfig
from core.training.engine import Trainer


def _trained(dataset, kind: str) -> Trainer:
    trainer = Trainer(dataset, fast_config(display_size=96), ModelConfig(3, 1, 28, kind=kind))
    for _ in trainer.run(snapshots=False):
        pass
    return trainer


def _own_errors(model: torch.nn.Module, images: torch.Tensor) -> np.ndarray:
    """Each image's MSE through the model's own eval-mode forward pass (a VAE decodes its mean there)."""
    model.eval()
    with torch.no_grad():
        x = images.float() / 255
        return ((model(x) - x) ** 2).mean(dim=(1, 2, 3)).numpy()


@pytest.mark.parametrize("kind", ["autoencoder", "variational"])
def test_snapshot_errors_equal_the_models_own_per_image_error(digits_subset, kind):
    trainer = _trained(digits_subset(256), kind)
    snapshot = trainer.snapshot()
    assert snapshot.errors is not None and snapshot.errors.shape == (96,) and snapshot.errors.dtype == np.float32
    expected = _own_errors(trainer.model, trainer.display.images)
    np.testing.assert_allclose(snapshot.errors, expected, rtol=1e-5, atol=1e-7)
    assert len(np.unique(snapshot.errors)) > 90  # per image, not one number repeated


def test_errors_do_not_depend_on_the_chunk_size(digits_subset):
    trainer = _trained(digits_subset(256), "autoencoder")
    snapshot = trainer.snapshot()
    whole = reconstruction_errors(snapshot.decoder, snapshot.codes, snapshot.display_images, chunk=1000)
    for chunk in (1, 7, 64):
        np.testing.assert_allclose(
            reconstruction_errors(snapshot.decoder, snapshot.codes, snapshot.display_images, chunk=chunk),
            whole,
            rtol=1e-5,
        )
    # the detached CPU decoder of the snapshot gives the errors the engine computed with the live one
    np.testing.assert_allclose(whole, snapshot.errors, rtol=1e-5, atol=1e-7)


def test_every_snapshot_of_a_run_carries_its_own_errors_and_data_positions(digits_subset):
    dataset = digits_subset(160)
    config = fast_config(epochs=2, display_size=40, snapshot_interval_s=1e-6, snapshot_budget=1.0, errors_budget=1.0)
    trainer = Trainer(dataset, config)
    snapshots = [event for event in trainer.run() if isinstance(event, Snapshot)]
    assert len(snapshots) >= 3
    for snapshot in snapshots:
        assert snapshot.errors.shape == (40,) and snapshot.errors_step == snapshot.step
        mine = reconstruction_errors(snapshot.decoder, snapshot.codes, snapshot.display_images)
        np.testing.assert_allclose(snapshot.errors, mine, rtol=1e-5, atol=1e-7)
        # data_indices name each display image's place in its split
        assert snapshot.data_split == "training"
        split = dataset.train
        assert np.array_equal(split.images[torch.from_numpy(snapshot.data_indices)].numpy(), snapshot.display_images)
        assert np.array_equal(split.labels[torch.from_numpy(snapshot.data_indices)].numpy(), snapshot.labels)
    assert not np.allclose(snapshots[0].errors, snapshots[-1].errors)  # training moved them


def test_the_test_split_is_the_one_counted_where_there_is_one(digits):
    from core.data.datasets import ImageDataset, ImageSplit

    dataset = ImageDataset(
        digits.name,
        ImageSplit(digits.train.images[:200], digits.train.labels[:200]),
        ImageSplit(digits.train.images[4000:4100], digits.train.labels[4000:4100]),
        digits.classes,
    )
    snapshot = Trainer(dataset, fast_config(display_size=30)).snapshot()
    assert snapshot.data_split == "test"
    assert np.array_equal(dataset.test.images[torch.from_numpy(snapshot.data_indices)].numpy(), snapshot.display_images)


def test_bad_pairs_are_refused_with_the_shapes(digits_subset):
    snapshot = Trainer(digits_subset(64), fast_config(display_size=8)).snapshot()
    with pytest.raises(ValueError, match="must pair up"):
        reconstruction_errors(snapshot.decoder, snapshot.codes[:5], snapshot.display_images)
    with pytest.raises(ValueError, match="uint8"):
        reconstruction_errors(snapshot.decoder, snapshot.codes, snapshot.display_images.astype(np.float32))
    assert reconstruction_errors(snapshot.decoder, snapshot.codes[:0], snapshot.display_images[:0]).shape == (0,)


def test_a_run_may_leave_the_errors_out_as_headless_training_does(digits_subset):
    trainer = Trainer(digits_subset(96), fast_config(display_size=16))
    snapshots = [event for event in trainer.run(snapshot_errors=False) if isinstance(event, Snapshot)]
    assert snapshots and all(snapshot.errors is None for snapshot in snapshots)
    assert all(snapshot.data_indices is not None for snapshot in snapshots)


def test_snapshots_between_steps_carry_the_newest_errors_when_the_budget_leaves_the_decode_out(digits_subset):
    """A budget no decode between steps fits: the start and the end decode their own errors (no step runs then), and
    so does the first epoch's end (the start's are an untrained network's); every other snapshot carries the newest,
    with the step they were decoded at."""
    config = fast_config(epochs=3, display_size=40, snapshot_interval_s=1e-6, snapshot_budget=1.0, errors_budget=1e-9)
    trainer = Trainer(digits_subset(160), config)
    snapshots = [event for event in trainer.run() if isinstance(event, Snapshot)]
    per_epoch = trainer.batches_per_epoch
    decoded = [s.step for s in snapshots if s.errors_step == s.step]
    assert decoded == [0, per_epoch, 3 * per_epoch]  # the start, the first epoch's end, the end
    for snapshot in snapshots:
        newest = max(step for step in decoded if step <= snapshot.step)
        assert snapshot.errors_step == newest
        source = next(s for s in snapshots if s.step == newest and s.errors_step == newest)
        assert snapshot.errors is source.errors
    last = snapshots[-1]
    own = reconstruction_errors(last.decoder, last.codes, last.display_images)
    np.testing.assert_allclose(last.errors, own, rtol=1e-5, atol=1e-7)
    assert trainer.errors_budget.spent_s > 0  # the first epoch's end counts: steps follow it


def test_pause_and_stop_show_errors_of_the_weights_they_stop_at(digits_subset):
    """A stop right after a snapshot that carried older errors makes one more, with its own."""
    from core.training.engine import TrainingControl

    config = fast_config(epochs=3, display_size=40, snapshot_interval_s=1e-6, snapshot_budget=1.0, errors_budget=1e-9)
    trainer = Trainer(digits_subset(160), config)
    control = TrainingControl()
    snapshots = []
    for event in trainer.run(control):
        if isinstance(event, Snapshot):
            snapshots.append(event)
            if len(snapshots) == 3:  # mid-way through the first epoch
                assert event.errors_step < event.step
                control.stop()
    assert snapshots[-1].step == snapshots[2].step and snapshots[-1].errors_step == snapshots[-1].step
