"""Time-lapse frames and reconstruction errors: a recorded frame keeps its snapshot's errors; a frame read from a
file (which stores decoders, not errors) computes them from its stored decoder."""

from __future__ import annotations

import numpy as np
from core_testkit import recorded_run

from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint


def test_recorded_frames_carry_their_snapshots_errors_and_data_positions(digits_subset, tmp_path):
    trainer, history, snapshots = recorded_run(digits_subset(96), epochs=2)
    frames = history.frozen()
    assert len(frames) == len(snapshots) >= 3
    for index, snapshot in enumerate(snapshots):
        replayed = frames.snapshot(index)
        assert np.array_equal(replayed.errors, snapshot.errors)
        assert np.array_equal(frames.errors(index), snapshot.errors)
        assert np.array_equal(replayed.data_indices, snapshot.data_indices)
        assert replayed.data_split == snapshot.data_split

    path = save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer, history))
    stored = load_checkpoint(path).history.frozen()
    assert len(stored) == len(frames)
    for index in (0, len(stored) // 2, len(stored) - 1):
        assert stored.frames[index].errors is None  # the file keeps decoders and codes, not errors
        computed = stored.errors(index)
        assert computed is stored.errors(index)  # computed once
        # float16 weights: the same errors to about a thousandth of their size
        original = frames.frames[[f.step for f in frames.frames].index(stored.frames[index].step)].errors
        np.testing.assert_allclose(computed, original, rtol=2e-2, atol=1e-4)


def test_a_frame_whose_snapshot_carried_older_errors_computes_its_own(digits_subset):
    from core_testkit import fast_config

    from core.events import Snapshot
    from core.model.errors import reconstruction_errors
    from core.timelapse.recording import HistoryRecorder, RunHistory
    from core.training.engine import Trainer

    config = fast_config(epochs=2, display_size=40, snapshot_interval_s=1e-6, snapshot_budget=1.0, errors_budget=1e-9)
    trainer = Trainer(digits_subset(160), config)
    recorder = HistoryRecorder(RunHistory(), trainer.model_config)
    for event in trainer.run():
        recorder.consume(event)
    frames = recorder.history.frozen()
    carried = [i for i, frame in enumerate(frames.frames) if frame.errors_step != frame.step]
    assert carried and frames.frames[carried[0]].errors_step == 0
    index = carried[-1]
    replayed = frames.snapshot(index)
    frame = frames.frames[index]
    assert isinstance(replayed, Snapshot) and replayed.errors_step == frame.errors_step < frame.step  # whose errors
    own = reconstruction_errors(frames.decoder(index), frames.frames[index].codes, frames.display.display_images)
    np.testing.assert_array_equal(frames.errors(index), own)
    assert not np.allclose(frames.errors(index), frames.frames[index].errors)
