"""The steady rate behind window ÷ engine, and the held-out 5-NN accuracy behind time-to-target (no training)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.bench.steady import interval_rates, paired_ratio, steady_rate, thinned, whole_rate
from core.bench.target import held_out_split, knn_accuracy
from core.data.datasets import ImageDataset


def _phase(start_s: float, steps: int, step_s: float, pause_after: int | None = None, pause_s: float = 0.0) -> list:
    samples, t = [], start_s
    for i in range(1, steps + 1):
        t += step_s + (pause_s if i == pause_after else 0.0)
        samples.append((32 * i, t))
    return samples


def test_a_snapshot_in_one_phase_leaves_the_steady_rate_alone_but_not_the_whole_rate() -> None:
    plain = [_phase(0, 40, 0.05), _phase(10, 40, 0.05)]
    with_snapshot = [_phase(0, 40, 0.05, pause_after=20, pause_s=0.6), _phase(10, 40, 0.05)]
    assert steady_rate(plain) == (pytest.approx(640.0), 78)
    assert steady_rate(with_snapshot)[0] == pytest.approx(640.0)
    assert whole_rate(with_snapshot) < 0.9 * whole_rate(plain)  # the detail still shows what snapshots cost


def test_a_slower_window_shows_in_every_interval() -> None:
    engine, window = [_phase(0, 60, 0.05)], [_phase(0, 60, 0.055)]
    ratio = steady_rate(window)[0] / steady_rate(engine)[0]
    assert ratio == pytest.approx(0.05 / 0.055)


def test_paired_rounds_cancel_a_host_that_drifts_between_rounds() -> None:
    """The host halves its speed after round 2: pooled medians would mix fast and slow phases unevenly."""
    speeds = [1.0, 1.0, 2.0, 2.0, 2.0]  # step time multiplier per round
    window = [_phase(10 * i, 40, 0.055 * f) for i, f in enumerate(speeds)]
    engine = [_phase(10 * i + 5, 40, 0.05 * f) for i, f in enumerate(speeds)]
    engine[4] = engine[4][:1]  # a round with no engine interval is left out, not counted as zero
    ratio, ratios = paired_ratio(window, engine)
    assert len(ratios) == 4
    assert ratio == pytest.approx(0.05 / 0.055)
    assert math.isnan(paired_ratio([], [])[0])


def test_intervals_are_thinned_like_the_window_and_never_span_two_phases() -> None:
    samples = [(32 * i, 0.01 * i) for i in range(10)]  # 10 ms steps: 30-a-second thinning keeps every 4th
    assert [t for _, t in thinned(samples)] == pytest.approx([0.0, 0.04, 0.08])
    rates = interval_rates([[(0, 0.0), (32, 0.05)], [(32, 100.0), (64, 100.05)]])
    assert rates == pytest.approx([640.0, 640.0])  # the 100 s between the phases is no interval
    assert math.isnan(steady_rate([])[0]) and steady_rate([])[1] == 0


def test_knn_accuracy_votes_among_the_five_nearest() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    train_labels = rng.integers(0, 3, 300)
    train = centres[train_labels] + rng.normal(0, 1, (300, 2))
    labels = np.array([0, 1, 2, 2])
    codes = centres[labels]
    assert knn_accuracy(train, train_labels, codes, labels) == 1.0
    assert knn_accuracy(train, train_labels, codes, np.array([1, 1, 2, 0])) == 0.5
    mixed = rng.normal(0, 1, (300, 2))  # codes that say nothing about the labels: about chance
    assert knn_accuracy(mixed, train_labels, rng.normal(0, 1, (600, 2)), rng.integers(0, 3, 600)) < 0.5


def test_held_out_images_are_a_seeded_draw_kept_out_of_training(digits: ImageDataset) -> None:
    split = held_out_split(digits)
    assert (len(split.train), len(split.test)) == (4500, 500)
    assert set(np.unique(split.test.labels.numpy())) == set(range(10))  # a random draw: every class (sorted set)
    again = held_out_split(digits)
    assert bool((again.test.images == split.test.images).all())
    train = {bytes(image.numpy()) for image in split.train.images}
    assert not any(bytes(image.numpy()) in train for image in split.test.images[:50])


def test_time_to_target_races_both_recipes_and_scores_their_codes(digits: ImageDataset) -> None:
    """A target every run meets at its first step: the plumbing (two trainers, timings, 5-NN) without minutes."""
    import torch

    from core.bench.target import measure_time_to_target
    from core.settings import RECIPES

    lines: list[str] = []
    figures = measure_time_to_target(digits, torch.device("cpu"), lines.append, target=1.0)
    names = [f.name for f in figures]
    assert names == [
        f"{RECIPES['lecture'].label}: time to running MSE ≤ 1",
        f"{RECIPES['fast'].label}: time to running MSE ≤ 1",
        "fast preset: sooner than the lecture's recipe",
    ]
    assert all(f.value is not None and f.value > 0 for f in figures)
    assert "reached at step 1 " in figures[0].detail and "held-out images" in figures[0].detail
    assert "onecycle schedule" in figures[1].detail and lines
