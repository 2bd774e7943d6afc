"""The live view's clock (core.training.live_moves): real runs on the built-in digits, checked by their events.

Issue 25, defect 9: in a real window on 2 cores the first epoch showed one dot at the origin and a few far-flung
points, and the bench's largest gap between moves was 4.4 s against its 1 s goal.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from core_testkit import fast_config

from core.data.datasets import ImageDataset, ImageSplit
from core.events import BatchEnd, EpochEnd, LivePoints, Snapshot
from core.training.engine import Trainer, TrainingControl, encode_images

Subset = Callable[[int], ImageDataset]

#: An interval that never runs out within a test: only the other reasons to move the points remain.
NEVER_S = 1e9


def test_the_first_epoch_moves_every_display_point_before_it_ends(digits: ImageDataset) -> None:
    """The first epoch's shuffle meets the display images first (one seeded permutation picks both), so its batches
    have encoded every one of them within 40 % of the epoch: the window gets them all then, whatever the interval,
    as the training batches computed them. Before, an interval longer than the epoch moved no point at all."""
    config = fast_config(display_size=200, snapshot_interval_s=NEVER_S)
    trainer = Trainer(digits, config)
    assert trainer.display.source == "training"
    control = TrainingControl()
    moved: list[LivePoints] = []
    for event in trainer.run(control, live_every_s=NEVER_S):
        if isinstance(event, LivePoints):
            moved.append(event)
            control.stop()
        assert not isinstance(event, EpochEnd), "the epoch ended before its batches' codes were shown"
    assert len(moved) == 1
    points = moved[0]
    assert sorted(points.indices.tolist()) == list(range(200))  # every display point, each once
    assert points.epoch < 1 and points.step < trainer.batches_per_epoch
    # the codes of the weights the batches met (the first step's images with the initial weights, and so on): not
    # the snapshot's (still the initial weights for every point), and not the current weights'
    now = encode_images(trainer.model, trainer.display.images[torch.from_numpy(points.indices)], "cpu")
    assert not np.allclose(points.codes, now, atol=1e-6)


def test_a_snapshot_is_led_by_live_points_when_the_interval_runs_out_while_it_encodes(digits_subset: Subset) -> None:
    """A snapshot takes 0.3-0.4 s on 2 cores: coming on top of a whole interval it left the points still for more than
    a second. With an interval of 0 every snapshot but the first (nothing has moved yet) is led by live points."""
    trainer = Trainer(digits_subset(96), fast_config(epochs=3, batch_size=16, display_size=40))
    control = TrainingControl()
    shown: list[type] = []  # the events that move points, in order
    for event in trainer.run(control, live_every_s=0.0):
        if isinstance(event, LivePoints | Snapshot):
            shown.append(type(event))
        if isinstance(event, BatchEnd) and event.step == 15:
            control.stop()  # a stop's snapshot too
    snapshots = [i for i, kind in enumerate(shown) if kind is Snapshot]
    assert snapshots[0] == 0 and len(snapshots) == 4  # the start, two epochs' ends, the stop
    assert all(shown[i - 1] is LivePoints for i in snapshots[1:])


def test_live_points_come_one_interval_after_the_last_move(digits_subset: Subset) -> None:
    """Where nothing else moves the points (display images that are not trained on: slices are re-encoded), they move
    one interval after the last move, a snapshot's included, and never sooner, however long a slice took."""
    source = digits_subset(600)
    test = 64
    dataset = ImageDataset(
        source.name,
        ImageSplit(source.train.images[:-test], source.train.labels[:-test]),
        ImageSplit(source.train.images[-test:], source.train.labels[-test:]),
        source.classes,
    )
    interval = 0.2
    trainer = Trainer(dataset, fast_config(epochs=50, batch_size=16, display_size=test))
    assert trainer.display.source == "test"
    control = TrainingControl()
    moves: list[tuple[type, float]] = []
    for event in trainer.run(control, live_every_s=interval):
        if isinstance(event, LivePoints | Snapshot):
            moves.append((type(event), time.perf_counter()))
        if sum(kind is LivePoints for kind, _ in moves) >= 6:
            control.stop()
    kinds = [kind for kind, _ in moves]
    paced = [i for i in range(1, len(moves) - 1) if kinds[i] is LivePoints and kinds[i + 1] is not Snapshot]
    assert len(paced) >= 3
    for i in paced:  # a move led by live points is the snapshot's: it is not paced by the interval
        assert moves[i][1] - moves[i - 1][1] >= interval
