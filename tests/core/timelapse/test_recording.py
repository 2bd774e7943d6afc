"""The run history: every snapshot a frame, thinned within a budget, planes that never flip, replayed exactly."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np
import pytest
import torch
from core_testkit import fast_config, recorded_run, state_equal

from core.data.datasets import ImageDataset, ImageSplit
from core.events import BatchEnd, LivePoints, Snapshot
from core.latent.plane import LatentPlane, fit_aligned_plane, fit_plane
from core.timelapse.recording import RunHistory, thinned_evenly
from core.training.engine import Trainer, TrainingControl

Subset = Callable[[int], ImageDataset]


def test_every_snapshot_is_a_frame_with_its_step_loss_and_codes(digits_subset: Subset) -> None:
    trainer, history, snapshots = recorded_run(digits_subset(96), epochs=2)
    frames = history.frames
    assert [f.step for f in frames] == sorted({s.step for s in snapshots})
    assert frames[0].step == 0 and np.isnan(frames[0].loss)
    assert frames[-1].step == trainer.progress.step
    assert frames[-1].loss == trainer.progress.batch_losses[-1]
    by_step = {s.step: s for s in snapshots}
    for frame in frames:
        np.testing.assert_array_equal(frame.codes, by_step[frame.step].codes)


def test_thinning_keeps_first_and_last_and_respects_the_budget(digits_subset: Subset) -> None:
    _, full, _ = recorded_run(digits_subset(96), epochs=4)
    frame_bytes = full.frames[0].nbytes
    budget = int(4.5 * frame_bytes)
    _, history, _snapshots = recorded_run(digits_subset(96), epochs=4, budget=budget)
    assert len(full) >= 10
    assert history.nbytes <= budget
    assert 2 <= len(history) <= 4
    assert history.thinned == len(full) - len(history)
    steps = [f.step for f in history.frames]
    assert steps[0] == 0 and steps[-1] == full.frames[-1].step
    assert steps == sorted(steps)


def test_thinned_evenly_picks_first_last_and_spreads() -> None:
    frames = tuple(range(10))
    assert thinned_evenly(frames, 4) == (0, 3, 6, 9)
    assert thinned_evenly(frames, 20) == frames


def test_a_frames_view_decodes_with_that_frames_decoder(digits_subset: Subset) -> None:
    _, history, snapshots = recorded_run(digits_subset(96), epochs=2)
    frozen = history.frozen()
    index = len(frozen) // 2
    view = frozen.view(index)
    snapshot = next(s for s in snapshots if s.step == frozen.frames[index].step)
    np.testing.assert_array_equal(view.snapshot.codes, snapshot.codes)
    image, latent = view.decode_at(0.3, -0.2)
    with torch.inference_mode():
        direct = snapshot.decoder(torch.from_numpy(latent[None])).numpy()[0]
    np.testing.assert_allclose(image, direct, atol=2e-3)  # float16 weights: within a rounding of the pixel values
    others = frozen.view(len(frozen) - 1).decode_at(0.3, -0.2)[0]
    assert np.abs(others - image).max() > 1e-3, "two frames decode alike: the frame's own decoder was not used"


def test_replay_axes_cover_the_frames_but_not_a_transient_far_away(digits_subset: Subset) -> None:
    """A frame whose codes shot far off (as at step 44 of a real 20-epoch run) does not set the axes for all."""
    _, history, _ = recorded_run(digits_subset(96), epochs=3)
    frozen = history.frozen()
    assert len(frozen) >= 10
    x0, x1, y0, y1 = frozen.bounds()
    ordinary = frozen.frames[len(frozen) // 2]
    inside = (ordinary.xy >= [x0, y0]) & (ordinary.xy <= [x1, y1])
    assert inside.all(axis=1).mean() > 0.95
    far = dataclasses.replace(ordinary, codes=ordinary.codes + np.float32(1000 * (x1 - x0 + y1 - y0)))
    with_transient = dataclasses.replace(frozen, frames=(*frozen.frames[:1], far, *frozen.frames[1:]), _cache={})
    assert with_transient.bounds() == pytest.approx((x0, x1, y0, y1), rel=0.5, abs=0.5 * (x1 - x0 + y1 - y0))
    assert with_transient.bounds()[1] < far.xy[:, 0].min()


def planes_match(a: LatentPlane, b: LatentPlane) -> bool:
    return bool(np.allclose(a.components, b.components, atol=1e-6))


def test_aligned_plane_follows_the_reference_signs_and_order() -> None:
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(500, 5)) * np.array([5.0, 3.0, 1.0, 0.5, 0.1])
    plain = fit_plane(codes)
    for turn in (np.diag([-1.0, 1.0]), np.diag([1.0, -1.0]), np.array([[0.0, 1.0], [1.0, 0.0]])):
        reference = LatentPlane(plain.mean, turn @ plain.components, plain.explained)
        aligned = fit_aligned_plane(codes, reference)
        assert planes_match(aligned, reference)
        # the same plane: decoding through it gives the same codes as the plain PCA plane
        point = plain.from_plane(np.array([[1.0, 2.0]]))
        np.testing.assert_allclose(aligned.from_plane(aligned.to_plane(point)), point, atol=1e-4)
    assert sum(fit_aligned_plane(codes, reference).explained) == pytest.approx(sum(plain.explained))


def test_recorded_planes_never_flip_between_neighbours(digits_subset: Subset) -> None:
    _, history, _ = recorded_run(digits_subset(96), latent=4, epochs=3)
    frames = history.frames
    assert len(frames) >= 6
    for before, after in itertools.pairwise(frames):
        overlap = np.diag(before.plane.components @ after.plane.components.T)
        assert (overlap > 0).all(), f"the view flipped between steps {before.step} and {after.step}"


def test_pause_and_stop_yield_a_fresh_snapshot(digits_subset: Subset) -> None:
    """A stop after some steps shows the weights it stopped at, even when the last snapshot is older."""
    trainer = Trainer(digits_subset(96), fast_config(epochs=5, snapshot_interval_s=1e9, batch_size=32))
    control = TrainingControl()
    events = []
    for event in trainer.run(control):
        events.append(event)
        if isinstance(event, BatchEnd) and event.step == 2:
            control.stop()
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert [s.step for s in snapshots] == [0, 2]


def with_test_split(dataset: ImageDataset, count: int) -> ImageDataset:
    """`dataset` whose last `count` training images are its test split: the display set then holds no training image."""
    train = ImageSplit(dataset.train.images[:-count], dataset.train.labels[:-count])
    test = ImageSplit(dataset.train.images[-count:], dataset.train.labels[-count:])
    return ImageDataset(dataset.name, train, test, dataset.classes)


def test_live_points_of_a_test_display_set_are_display_codes_at_the_current_weights(digits_subset: Subset) -> None:
    """Where the display images are not trained on (a test split), slices of them are re-encoded."""
    from core.training.engine import encode_images

    config = fast_config(epochs=200, batch_size=32, display_size=64)
    trainer = Trainer(with_test_split(digits_subset(160), 64), config)
    assert trainer.display.source == "test"
    control = TrainingControl()
    seen = 0
    # due after any step: an epoch here may be shorter than any interval, and a snapshot restarts the live clock
    for event in trainer.run(control, live_every_s=1e-6):
        if isinstance(event, LivePoints):
            seen += 1
            expected = encode_images(trainer.model, trainer.display.images[torch.from_numpy(event.indices)], "cpu")
            np.testing.assert_array_equal(event.codes, expected)
            assert event.step == trainer.progress.step
            control.stop()
    assert seen >= 1  # (the stop's snapshot may be led by one more, at the weights it stops at)


def test_live_points_of_training_display_images_are_the_codes_their_batches_computed(digits_subset: Subset) -> None:
    """Issue 25, defect 9: where the display images are training images (the built-in digits, image folders), each
    batch's forward pass encodes some of them for free. Each LivePoints then holds the codes the steps since the last
    one computed (the weights before each step's update); over an epoch every display point moves; and training is
    exactly what it is without them."""
    import copy

    from core.training.engine import encode_images

    dataset = digits_subset(96)
    config = fast_config(epochs=2, batch_size=16, display_size=40)
    plain = Trainer(dataset, config)
    list(plain.run(TrainingControl(), snapshots=False))
    trainer = Trainer(dataset, config)
    assert trainer.display.source == "training"
    weights_after = {0: copy.deepcopy(trainer.model)}  # step → the weights after it: what step + 1 encodes with
    moved: dict[int, set[int]] = {0: set(), 1: set()}
    for event in trainer.run(TrainingControl(), live_every_s=0.0):  # 0: after every step that met display images
        if isinstance(event, LivePoints):
            batch = trainer.display.images[torch.from_numpy(event.indices)]
            assert event.step == trainer.progress.step and len(set(event.indices.tolist())) == len(event.indices)
            from_batch = encode_images(weights_after[event.step - 1], batch, torch.device("cpu"))
            if np.allclose(event.codes, from_batch, rtol=1e-4, atol=1e-5):
                moved[int(event.epoch - 1e-9)].update(event.indices.tolist())
            else:  # no display image in the last batches: the pacer re-encoded a slice with the current weights
                re_encoded = encode_images(trainer.model, batch, torch.device("cpu"))
                np.testing.assert_allclose(event.codes, re_encoded, rtol=1e-4, atol=1e-5)
        elif isinstance(event, BatchEnd):
            weights_after[event.step] = copy.deepcopy(trainer.model)
    assert moved[0] == moved[1] == set(range(40))  # every display point, every epoch
    assert trainer.progress.batch_losses == plain.progress.batch_losses  # the same arithmetic, codes kept or not
    assert state_equal(trainer.model.state_dict(), plain.model.state_dict())


def test_a_snapshot_with_non_finite_values_is_not_recorded(digits_subset: Subset) -> None:
    """An overflowed encoder (a run about to diverge) gives NaN codes: nothing to replay, and a file must load."""
    trainer = Trainer(digits_subset(64), fast_config())
    history = RunHistory()
    assert history.record(trainer.snapshot(), float("nan"), trainer.model_config) is not None
    with torch.no_grad():
        trainer.model.encoder[0].weight.fill_(3e38)
    trainer.progress.step = 1
    assert history.record(trainer.snapshot(), 0.1, trainer.model_config) is None
    assert len(history) == 1
