"""The training engine: reproducible, exactly resumable, safe on divergence, steerable from another thread."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config, state_equal

from core.data.datasets import ImageDataset, ImageSplit
from core.events import BatchEnd, EndReason, EpochEnd, Event, Snapshot, TrainingEnded
from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from core.latent.plane import fit_plane
from core.model.autoencoder import ModelConfig
from core.training.engine import (
    TrainConfig,
    Trainer,
    TrainingControl,
    build_model,
    build_optimizer,
    choose_samples,
    encode_images,
    to_float,
)
from core.training.step_runners import EagerSteps, SplitSteps

Subset = Callable[[int], ImageDataset]


def batch_losses(events: list[Event]) -> list[float]:
    return [e.loss for e in events if isinstance(e, BatchEnd)]


def run_until(trainer: Trainer, stop_after: int | None = None) -> list[Event]:
    """Run a trainer headless; with stop_after, call stop() from the event loop after that many BatchEnd events."""
    control = TrainingControl()
    events: list[Event] = []
    for event in trainer.run(control, snapshots=False):
        events.append(event)
        if isinstance(event, BatchEnd) and event.step == stop_after:
            control.stop()
    return events


# --- reproducibility -------------------------------------------------------------------------------------------


def test_same_seed_same_device_gives_identical_losses(digits_subset: Subset) -> None:
    """Two Trainers with one seed on the CPU produce the same loss sequence and the same weights, bit for bit."""
    dataset = digits_subset(64)
    config = fast_config(epochs=2)
    first, second = Trainer(dataset, config), Trainer(dataset, config)
    losses_first, losses_second = batch_losses(run_until(first)), batch_losses(run_until(second))
    assert len(losses_first) == 4
    assert losses_first == losses_second
    assert state_equal(first.model.state_dict(), second.model.state_dict())

    other = batch_losses(run_until(Trainer(dataset, fast_config(seed=7)), stop_after=1))
    assert other[0] != losses_first[0], "the seed must matter, or the equality above proves nothing"


def test_queued_steps_give_the_same_run_and_commit_before_a_stop(digits_subset: Subset) -> None:
    """Committing losses in runs of steps (as on a GPU) changes nothing but when the BatchEnd events arrive.

    70 images at batch 32 make epochs of 32, 32 and 6: runs of 2 cross the partial batch, and the epoch end
    commits a run that is not full. A stop asked for mid-run first commits the steps already taken.
    """
    dataset = digits_subset(70)
    config = fast_config(epochs=3)
    step_by_step, queued = Trainer(dataset, config), Trainer(dataset, config)
    queued.commit_every = 2
    expected, events = batch_losses(run_until(step_by_step)), run_until(queued)
    assert batch_losses(events) == expected
    assert [e.step for e in events if isinstance(e, BatchEnd)] == list(range(1, 10))
    assert [e.batch for e in events if isinstance(e, BatchEnd)] == [1, 2, 3] * 3
    assert queued.progress.epoch_losses == step_by_step.progress.epoch_losses
    assert state_equal(queued.model.state_dict(), step_by_step.model.state_dict())

    # Only another thread can ask for a stop while steps are queued (at every yield the queue is empty): a control
    # that says "stop" from the fifth time it is asked plays that thread, here mid-way through a run of 4 steps.
    stopped = Trainer(dataset, config)
    stopped.commit_every = 4
    events = list(stopped.run(_StopOnFifthAsk(), snapshots=False))
    assert events[-1].reason is EndReason.STOPPED
    done = stopped.progress.step
    assert 1 <= done < 4 and batch_losses(events) == expected[:done]
    # The queued steps were committed with their weights: carrying on gives the uninterrupted run exactly.
    assert batch_losses(run_until(stopped)) == expected[done:]
    assert state_equal(stopped.model.state_dict(), step_by_step.model.state_dict())


class _StopOnFifthAsk(TrainingControl):
    def __init__(self) -> None:
        super().__init__()
        self._asked = 0

    @property
    def stop_requested(self) -> bool:
        self._asked += 1
        return self._asked >= 5


@pytest.mark.parametrize(("threads", "parts"), [(2, 2), (4, 2), (5, 2), (4, 4), (6, 4), (8, 8)])
def test_batch_slices_on_thread_teams_compute_the_whole_batch_step(
    digits: ImageDataset, threads: int, parts: int
) -> None:
    """SplitSteps (the CPU engine with 2+ threads) takes the same steps as one whole-batch step, up to rounding.

    Each slice runs on a team of its own (4 threads in halves: 2+2; 5: 3+2; 6 in quarters: 3+1+1+1): the maths
    must not change with the teams or the number of slices.
    """
    runs = []
    for runner_type in (EagerSteps, SplitSteps):
        model = build_model(ModelConfig(), 4).to(memory_format=torch.channels_last)
        optimizer = build_optimizer(model, 5e-4)
        if runner_type is SplitSteps:
            runner = SplitSteps(model, optimizer, digits.train.images, threads, parts)
            helpers = threads // parts
            assert (runner.own_threads, runner.helper_threads) == (threads - (parts - 1) * helpers, helpers)
        else:
            runner = EagerSteps(model, optimizer, digits.train.images)
        generator = torch.Generator().manual_seed(3)
        sizes = [32, 32, 7, 1, 32]  # 7 images in halves: 4 + 3 (in eighths: not split); one image is not split
        try:
            losses = [float(runner(torch.randint(0, 5000, (n,), generator=generator))) for n in sizes]
        finally:
            if isinstance(runner, SplitSteps):
                runner.close()
        runs.append((losses, torch.cat([p.detach().flatten() for p in model.parameters()])))
    (whole, whole_weights), (halves, halves_weights) = runs
    assert halves == pytest.approx(whole, rel=1e-5)
    assert float((halves_weights - whole_weights).norm() / whole_weights.norm()) < 1e-5
    start = torch.cat([p.detach().flatten() for p in build_model(ModelConfig(), 4).parameters()])
    assert float((halves_weights - start).norm()) > 1e-3, "the steps must have trained, or the match proves nothing"


def test_two_thread_runs_are_reproducible_and_resume_exactly(tmp_path: Path, digits_subset: Subset) -> None:
    """Half batches are added in a fixed order: the same run twice, or stopped and resumed, is bit-identical."""
    dataset = digits_subset(70)
    config = fast_config(epochs=2, num_threads=2)
    first, second = Trainer(dataset, config), Trainer(dataset, config)
    expected = batch_losses(run_until(first))
    assert batch_losses(run_until(second)) == expected
    assert state_equal(first.model.state_dict(), second.model.state_dict())
    stopped = Trainer(dataset, config)
    before = batch_losses(run_until(stopped, stop_after=2))
    resumed = load_checkpoint(save_checkpoint(tmp_path / "t.safetensors", Checkpoint.from_trainer(stopped)))
    trainer = resumed.resume(dataset)
    assert before + batch_losses(run_until(trainer)) == expected
    assert state_equal(trainer.model.state_dict(), first.model.state_dict())
    assert not [t for t in threading.enumerate() if t.name.startswith("convae-half-batch")], "helper thread left"


def test_build_model_is_seeded_and_leaves_global_rng_alone() -> None:
    """Initial weights depend only on the seed; building a model must not disturb the caller's random stream."""
    torch.manual_seed(99)
    expected_next = torch.rand(3)
    torch.manual_seed(99)
    a = build_model(ModelConfig(), 5)
    assert torch.equal(torch.rand(3), expected_next)
    assert state_equal(a.state_dict(), build_model(ModelConfig(), 5).state_dict())
    assert not torch.equal(a.encoder[0].weight, build_model(ModelConfig(), 6).encoder[0].weight)


def test_snapshots_do_not_change_the_training(digits_subset: Subset) -> None:
    """Watching (snapshots on) must train exactly like headless (snapshots off)."""
    dataset = digits_subset(96)  # 3 batches: snapshots before, between and after them
    config = fast_config(snapshot_interval_s=1e-6, snapshot_budget=1.0)
    watched = list(Trainer(dataset, config).run())
    headless = list(Trainer(dataset, config).run(snapshots=False))
    assert sum(isinstance(e, Snapshot) for e in watched) == 4
    assert batch_losses(watched) == batch_losses(headless)


# --- exact resume ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uninterrupted(digits_subset: Subset) -> tuple[list[float], Trainer]:
    """The reference: 2 epochs of 2 batches each, never stopped."""
    trainer = Trainer(digits_subset(64), fast_config(epochs=2))
    events = run_until(trainer)
    assert isinstance(events[-1], TrainingEnded) and events[-1].reason is EndReason.FINISHED
    return batch_losses(events), trainer


@pytest.mark.parametrize("stop_after", [1, 2, 3], ids=["mid-epoch-0", "at-epoch-boundary", "mid-epoch-1"])
def test_stop_save_load_resume_is_exact(
    tmp_path: Path, digits_subset: Subset, uninterrupted: tuple[list[float], Trainer], stop_after: int
) -> None:
    """Stopping anywhere, saving to disk and resuming gives the uninterrupted run's losses and weights exactly."""
    expected, reference = uninterrupted
    dataset = digits_subset(64)
    trainer = Trainer(dataset, fast_config(epochs=2))
    events = run_until(trainer, stop_after=stop_after)
    assert isinstance(events[-1], TrainingEnded) and events[-1].reason is EndReason.STOPPED
    before = batch_losses(events)
    assert len(before) == stop_after

    path = save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer))
    resumed = load_checkpoint(path).resume(dataset)
    assert resumed.progress.step == stop_after
    after_events = run_until(resumed)

    assert before + batch_losses(after_events) == expected
    assert [e.step for e in after_events if isinstance(e, BatchEnd)] == list(range(stop_after + 1, 5))
    assert resumed.progress.epoch_losses == reference.progress.epoch_losses
    assert resumed.progress.batch_losses == expected
    assert state_equal(resumed.model.state_dict(), reference.model.state_dict())


def test_finished_run_extended_with_more_epochs_is_exact(
    tmp_path: Path, digits_subset: Subset, uninterrupted: tuple[list[float], Trainer]
) -> None:
    """Train 1 epoch, save, resume with epochs=2 (what `train --resume --epochs 2` does): same as 2 epochs at once."""
    expected, reference = uninterrupted
    dataset = digits_subset(64)
    trainer = Trainer(dataset, fast_config(epochs=1))
    first = batch_losses(run_until(trainer))
    path = save_checkpoint(tmp_path / "one-epoch.safetensors", Checkpoint.from_trainer(trainer))
    resumed = load_checkpoint(path).resume(dataset, epochs=2)
    assert first + batch_losses(run_until(resumed)) == expected
    assert state_equal(resumed.model.state_dict(), reference.model.state_dict())


def test_resuming_twice_from_one_checkpoint_gives_the_same_run(digits_subset: Subset) -> None:
    """A Checkpoint is a value: resuming from it must not change it, so a second resume repeats the first."""
    dataset = digits_subset(64)
    trainer = Trainer(dataset, fast_config(epochs=2))
    run_until(trainer, stop_after=1)
    checkpoint = Checkpoint.from_trainer(trainer)
    first = batch_losses(run_until(checkpoint.resume(dataset)))
    assert checkpoint.progress.step == 1 and len(checkpoint.progress.batch_losses) == 1
    assert len(checkpoint.progress.epoch_losses) == 0
    second = batch_losses(run_until(checkpoint.resume(dataset)))
    assert first == second


def test_resume_refuses_another_dataset(tmp_path: Path, digits_subset: Subset) -> None:
    trainer = Trainer(digits_subset(32), fast_config())
    other = ImageDataset("mnist", digits_subset(32).train, None, tuple("0123456789"))
    with pytest.raises(Exception, match="trained on digits-5k, not mnist"):
        Checkpoint.from_trainer(trainer).resume(other)


def test_resume_on_a_data_set_with_fewer_batches_per_epoch_closes_the_saved_epoch(
    tmp_path: Path, digits_subset: Subset
) -> None:
    """Saved after batch 8 of 10, resumed where an epoch has 3: the epoch counts as done and the run goes on.

    Left at 8 of 3, the first snapshot said epoch 2.67 of a run at epoch 0, and progress read "batch 8 of 3".
    """
    trainer = Trainer(digits_subset(320), fast_config(epochs=2))
    run_until(trainer, stop_after=8)
    checkpoint = load_checkpoint(save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer)))
    assert (checkpoint.progress.epoch, checkpoint.progress.batch_in_epoch) == (0, 8)

    resumed = checkpoint.resume(digits_subset(96))
    assert resumed.batches_per_epoch == 3
    assert resumed.progress.batch_in_epoch == 3
    assert checkpoint.progress.batch_in_epoch == 8  # the checkpoint itself is left as it was
    events = list(resumed.run(TrainingControl()))
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert snapshots[0].epoch == 1.0  # epoch 0, all 3 of its batches done
    assert all(0 <= e.epoch <= 2 for e in snapshots)
    assert all(e.batch <= e.batches_per_epoch for e in events if isinstance(e, BatchEnd))
    assert isinstance(events[-1], TrainingEnded) and events[-1].reason is EndReason.FINISHED
    assert (resumed.progress.epoch, resumed.progress.step, len(resumed.progress.epoch_losses)) == (2, 8 + 3, 2)


def test_resume_refuses_data_labelled_beyond_the_checkpoints_classes(tmp_path: Path, digits_subset: Subset) -> None:
    """A checkpoint naming 2 classes cannot colour or name digits labelled up to 9: refused, not shown wrongly."""
    trainer = Trainer(digits_subset(32), fast_config())
    narrowed = dataclasses.replace(Checkpoint.from_trainer(trainer), classes=("0", "1"))
    loaded = load_checkpoint(save_checkpoint(tmp_path / "two.safetensors", narrowed))
    with pytest.raises(CheckpointError) as caught:
        loaded.resume(digits_subset(32))
    assert str(caught.value).startswith("digits-5k has images labelled 9, but this checkpoint names only 2 classes")


# --- divergence ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("commit_every", [1, 3])
@pytest.mark.parametrize("white_index", [0, 1, 2, 3])
def test_divergence_ends_cleanly_with_finite_weights(tmp_path: Path, white_index: int, commit_every: int) -> None:
    """A non-finite loss ends the run as DIVERGED, keeps finite weights and still checkpoints.

    Adam at lr=10 alone does not diverge this model (its sigmoid keeps the MSE ≤ 1; it just collapses), so the
    overflow is real but provoked: first-layer weights of 3e38 are harmless on black images and overflow to
    inf − inf = NaN on the one white image. One image per batch puts the blow-up at steps 1–4 depending on where
    the white image lands in the shuffle, so both the first-step and the mid-run paths are covered. With
    commit_every=3 (as on a GPU, where steps run ahead of the loss check) the blow-up lands first in a run of
    queued steps or inside one, so both rollback copies are used.
    """
    images = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    images[white_index] = 255
    dataset = ImageDataset("digits-5k", ImageSplit(images, torch.arange(4)), None, tuple("0123"))
    config = fast_config(epochs=2, batch_size=1, lr=10.0)
    state = build_model(ModelConfig(), config.seed).state_dict()
    state["encoder.0.weight"] = torch.full_like(state["encoder.0.weight"], 3e38)
    trainer = Trainer(dataset, config, model_state=state)
    trainer.commit_every = commit_every

    seen_states = [{k: v.clone() for k, v in trainer.model.state_dict().items()}]
    events = []
    for event in trainer.run(snapshots=False):
        events.append(event)
        if isinstance(event, BatchEnd):
            seen_states.append({k: v.clone() for k, v in trainer.model.state_dict().items()})
    ended = events[-1]
    assert isinstance(ended, TrainingEnded)
    assert ended.reason is EndReason.DIVERGED
    assert "learning rate" in ended.message and "10" in ended.message
    steps_done = len(batch_losses(events))
    assert steps_done < 4
    assert ended.step == steps_done == trainer.progress.step
    blow_up = int(ended.message.split("step ")[1].split(":")[0])
    assert steps_done < blow_up <= steps_done + commit_every

    final = trainer.model.state_dict()
    assert all(torch.isfinite(t).all() for t in final.values())
    # The kept weights are a state the run really passed through: step by step, the last one or the one before
    # it; with queued steps, one the run had committed (the rollback may reach back a whole run of steps).
    candidates = seen_states[-2:] if commit_every == 1 else seen_states
    assert any(state_equal(final, seen) for seen in candidates)
    for state_tensors in trainer.optimizer.state.values():
        assert all(torch.isfinite(t).all() for t in state_tensors.values())

    path = save_checkpoint(tmp_path / "diverged.safetensors", Checkpoint.from_trainer(trainer))
    loaded = load_checkpoint(path)
    assert loaded.progress.step == steps_done
    assert state_equal(loaded.model_state, final)


def test_divergence_message_names_the_learning_rate_for_lr_10() -> None:
    from core.training.engine import divergence_message

    message = divergence_message(float("nan"), 7, 10.0)
    assert "step 7" in message and "nan" in message
    assert "smaller learning rate than 10" in message and "e.g. 1" in message


# --- pause / stop ----------------------------------------------------------------------------------------------


def test_pause_blocks_progress_and_resume_continues(digits_subset: Subset) -> None:
    """pause() from another thread halts training between steps; resume() continues; paused time is not counted."""
    trainer = Trainer(digits_subset(64), fast_config(epochs=10_000))
    control = TrainingControl()
    events: list[tuple[float, Event]] = []

    def consume() -> None:
        for event in trainer.run(control, snapshots=False):
            events.append((time.perf_counter(), event))

    def batch_count() -> int:
        return sum(isinstance(e, BatchEnd) for _, e in list(events))

    def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            assert time.perf_counter() < deadline, "training made no progress"
            time.sleep(0.01)

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    try:
        wait_for(lambda: batch_count() >= 2)
        control.pause()
        assert control.paused
        time.sleep(1.0)  # let the step that was already running finish
        paused_at = batch_count()
        time.sleep(0.5)
        assert batch_count() == paused_at, "steps were taken while paused"
        assert worker.is_alive()

        resumed_at = time.perf_counter()
        control.resume()
        wait_for(lambda: batch_count() >= paused_at + 2)
    finally:
        control.stop()
        worker.join(timeout=60)
    assert not worker.is_alive()

    batches = [(t, e) for t, e in events if isinstance(e, BatchEnd)]
    assert [e.step for _, e in batches] == list(range(1, len(batches) + 1))
    (t_before, before), (t_after, after) = batches[paused_at - 1], batches[paused_at]
    assert t_before < resumed_at - 0.5 < t_after  # the engine sat paused for at least half a second in between
    # elapsed_s grows by the one step after resume, not by the wait (which would add > 0.5 s).
    assert after.elapsed_s - before.elapsed_s < (t_after - resumed_at) + 0.2, "the pause was counted as training time"
    ended = events[-1][1]
    assert isinstance(ended, TrainingEnded) and ended.reason is EndReason.STOPPED


def test_stop_before_the_first_step(digits_subset: Subset) -> None:
    control = TrainingControl()
    control.stop()
    events = list(Trainer(digits_subset(32), fast_config()).run(control))
    assert [type(e) for e in events] == [Snapshot, TrainingEnded]
    assert events[-1].reason is EndReason.STOPPED and events[-1].step == 0


def test_stop_wakes_a_paused_run(digits_subset: Subset) -> None:
    """Stopping while paused must not leave the engine blocked forever."""
    control = TrainingControl()
    control.pause()
    trainer = Trainer(digits_subset(32), fast_config())
    timer = threading.Timer(0.3, control.stop)
    timer.start()
    start = time.perf_counter()
    events = list(trainer.run(control, snapshots=False))
    timer.join()
    assert time.perf_counter() - start < 30
    assert [type(e) for e in events] == [TrainingEnded]
    assert events[0].reason is EndReason.STOPPED


# --- event order and contents ----------------------------------------------------------------------------------


def test_event_order(digits_subset: Subset) -> None:
    """Snapshot first; BatchEnd steps count up by one; an EpochEnd (then a Snapshot) per epoch; FINISHED last."""
    dataset = digits_subset(70)  # 3 batches of 32, 32, 6
    config = fast_config(epochs=2, snapshot_interval_s=1e9)  # no mid-epoch snapshots: the order is exact
    trainer = Trainer(dataset, config)
    events = list(trainer.run())
    assert [type(e) for e in events] == [
        Snapshot,
        BatchEnd,
        BatchEnd,
        BatchEnd,
        EpochEnd,
        Snapshot,
        BatchEnd,
        BatchEnd,
        BatchEnd,
        EpochEnd,
        Snapshot,
        TrainingEnded,
    ]

    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert [e.step for e in batches] == [1, 2, 3, 4, 5, 6]
    assert [(e.epoch, e.batch) for e in batches] == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
    assert {e.batches_per_epoch for e in batches} == {3}
    assert [e.images_seen for e in batches] == [32, 64, 70, 102, 134, 140]
    assert all(a.elapsed_s <= b.elapsed_s for a, b in itertools.pairwise(batches))

    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [(e.epoch, e.epochs) for e in epochs] == [(0, 2), (1, 2)]
    for epoch_end, losses in zip(epochs, (batches[:3], batches[3:]), strict=True):
        assert epoch_end.mean_loss == pytest.approx(np.mean([b.loss for b in losses]), rel=1e-12)
        assert epoch_end.seconds >= 0

    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert [(s.step, s.epoch) for s in snapshots] == [(0, 0.0), (3, 1.0), (6, 2.0)]

    ended = events[-1]
    assert ended.reason is EndReason.FINISHED
    assert (ended.step, ended.epoch) == (6, 2)
    assert "2 epochs" in ended.message
    assert trainer.finished


def test_no_snapshots_when_headless(digits_subset: Subset) -> None:
    events = list(Trainer(digits_subset(64), fast_config(epochs=2)).run(snapshots=False))
    assert [type(e) for e in events] == [BatchEnd, BatchEnd, EpochEnd, BatchEnd, BatchEnd, EpochEnd, TrainingEnded]
    assert events[-1].reason is EndReason.FINISHED


def test_snapshot_is_a_consistent_frozen_copy(digits_subset: Subset) -> None:
    """A snapshot's decoder, codes and reconstructions all come from the weights at that moment, and stay so."""
    dataset = digits_subset(96)
    config = fast_config(epochs=2, display_size=64, sample_count=4, snapshot_interval_s=1e9)
    trainer = Trainer(dataset, config, ModelConfig(latent_dim=3))
    run: Iterator[Event] = trainer.run()
    snapshot = next(run)
    assert isinstance(snapshot, Snapshot) and snapshot.step == 0

    # Shapes and types the GUI relies on.
    assert snapshot.codes.shape == (64, 3) and snapshot.codes.dtype == np.float32
    assert snapshot.labels.shape == (64,) and snapshot.labels.dtype == np.int64
    assert snapshot.display_images.shape == (64, 1, 28, 28) and snapshot.display_images.dtype == np.uint8
    assert snapshot.originals.shape == snapshot.reconstructions.shape == (4, 1, 28, 28)
    assert snapshot.originals.dtype == snapshot.reconstructions.dtype == np.float32
    assert snapshot.reconstructions.min() >= 0 and snapshot.reconstructions.max() <= 1
    assert snapshot.classes == dataset.classes
    indices = torch.from_numpy(trainer.display.indices)
    assert np.array_equal(snapshot.display_images, dataset.train.images[indices].numpy())
    assert np.array_equal(snapshot.labels, dataset.train.labels[indices].numpy())
    assert len(set(snapshot.labels.tolist())) > 1

    # The decoder is a frozen CPU copy.
    decoder = snapshot.decoder
    assert decoder is not trainer.model.decoder
    assert not decoder.training
    assert all(p.device.type == "cpu" and not p.requires_grad for p in decoder.parameters())

    # Everything matches the live model at this moment.
    codes = torch.from_numpy(snapshot.codes)
    with torch.no_grad():
        from_snapshot = decoder(codes)
        live = trainer.model.decode(codes)
        live_codes = trainer.model.encode(to_float(torch.from_numpy(snapshot.display_images)))
        live_recon = trainer.model(torch.from_numpy(snapshot.originals))
    torch.testing.assert_close(from_snapshot, live, rtol=0, atol=1e-6)
    torch.testing.assert_close(live_codes, codes, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(live_recon, torch.from_numpy(snapshot.reconstructions), rtol=0, atol=1e-6)
    encoded = encode_images(trainer.model, dataset.train.images[indices], torch.device("cpu"))
    assert np.array_equal(encoded, snapshot.codes)

    # Training on changes the live model but not the snapshot.
    for event in run:
        if isinstance(event, BatchEnd) and event.step == 3:
            break
    with torch.no_grad():
        assert torch.equal(decoder(codes), from_snapshot)
        assert not torch.allclose(trainer.model.decode(codes), from_snapshot)


def test_choose_samples_cycles_through_classes() -> None:
    """The reconstruction grid shows one of each class before repeating any."""
    labels = np.array([3, 3, 3, 1, 1, 7])
    chosen = choose_samples(labels, 5)
    assert labels[chosen].tolist() == [1, 3, 7, 1, 3]
    assert len(choose_samples(labels, 64)) == len(labels)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"lr": 0.0},
        {"lr": 11.0},
        {"lr": float("nan")},
        {"device": "tpu"},
        {"display_size": 0},
        {"sample_count": 65},
    ],
)
def test_train_config_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TrainConfig(**kwargs)  # type: ignore[arg-type]


def test_trainer_refuses_a_model_for_other_images(digits_subset: Subset) -> None:
    with pytest.raises(ValueError, match="expects 1×32"):
        Trainer(digits_subset(32), fast_config(), ModelConfig(image_size=32))


def test_trainer_refuses_a_batch_larger_than_the_training_split(digits: ImageDataset, digits_subset: Subset) -> None:
    """Before any buffer for such a batch is allocated; a batch of exactly the whole split is fine."""
    with pytest.raises(ValueError) as caught:
        Trainer(digits_subset(3000), fast_config(batch_size=4096))
    assert str(caught.value) == (
        "batch size 4,096 is larger than the 3,000 training images of digits-5k; choose at most 3,000"
    )
    with pytest.raises(ValueError, match="batch size 33 is larger than the 32 training images"):
        Trainer(digits_subset(32), fast_config(batch_size=33))
    whole = Trainer(digits_subset(32), fast_config(batch_size=32))
    assert whole.batches_per_epoch == 1


# --- latent plane ----------------------------------------------------------------------------------------------


def test_fit_plane_is_identity_for_2d_codes() -> None:
    codes = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32) * 5 + 3
    plane = fit_plane(codes)
    assert not plane.is_pca
    assert plane.explained == (1.0, 1.0)
    np.testing.assert_array_equal(plane.to_plane(codes), codes)
    np.testing.assert_array_equal(plane.from_plane(codes), codes)
    assert plane.axis_titles == ("z₁", "z₂")


def test_fit_plane_1d_codes_use_one_axis() -> None:
    codes = np.arange(10, dtype=np.float32).reshape(10, 1)
    plane = fit_plane(codes)
    points = plane.to_plane(codes)
    np.testing.assert_array_equal(points[:, 0], codes[:, 0])
    np.testing.assert_array_equal(points[:, 1], 0)
    np.testing.assert_array_equal(plane.from_plane(points), codes)


def test_fit_plane_pca_round_trip_is_the_projection() -> None:
    """For 8-D codes, from_plane(to_plane(x)) is x's orthogonal projection onto the top-2 principal plane."""
    rng = np.random.default_rng(1)
    scales = np.array([9.0, 4.0, 1.0, 0.8, 0.5, 0.3, 0.2, 0.1])
    codes = (rng.normal(size=(400, 8)) * scales @ np.linalg.qr(rng.normal(size=(8, 8)))[0] + 2.0).astype(np.float32)
    plane = fit_plane(codes)
    assert plane.is_pca and plane.latent_dim == 8

    # Independent reference: eigenvectors of the covariance matrix.
    mean = codes.astype(np.float64).mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(codes.T.astype(np.float64), bias=True))
    top = eigenvectors[:, ::-1][:, :2]  # (8, 2)
    expected = mean + (codes - mean) @ top @ top.T
    np.testing.assert_allclose(plane.from_plane(plane.to_plane(codes)), expected, atol=1e-4)
    np.testing.assert_allclose(plane.components @ plane.components.T, np.eye(2), atol=1e-10)

    shares = eigenvalues[::-1] / eigenvalues.sum()
    np.testing.assert_allclose(plane.explained, shares[:2], rtol=1e-6)
    assert sum(plane.explained) <= 1.0
    assert plane.explained[0] >= plane.explained[1] > 0
    assert "principal component 1" in plane.axis_titles[0]

    # A point already on the plane maps back to itself.
    on_plane = plane.from_plane(np.array([[1.5, -2.0]]))
    np.testing.assert_allclose(plane.to_plane(on_plane), [[1.5, -2.0]], atol=1e-4)


def test_fit_plane_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        fit_plane(np.zeros(5))
    with pytest.raises(ValueError):
        fit_plane(np.zeros((5, 0)))
