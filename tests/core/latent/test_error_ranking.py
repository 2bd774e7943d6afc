"""core.latent.errors: which images are the worst, in which order, and each class's mean error."""

from __future__ import annotations

import numpy as np
import pytest

from core.latent.errors import class_mean_errors, worst, worst_first


def test_worst_first_orders_by_error_ties_by_index_and_nan_last():
    errors = np.array([0.1, 0.5, np.nan, 0.5, 0.3], np.float32)
    assert worst_first(errors).tolist() == [1, 3, 4, 0, 2]
    assert worst(errors, 2).tolist() == [1, 3]
    assert worst(errors, 99).tolist() == [1, 3, 4, 0, 2]
    with pytest.raises(ValueError):
        worst(errors, -1)


def test_worst_matches_a_sort_of_random_errors():
    errors = np.random.default_rng(3).random(1000).astype(np.float32)
    order = worst(errors, 50)
    assert np.all(np.diff(errors[order]) <= 0)
    assert set(order.tolist()) == set(np.argsort(errors)[-50:].tolist())


def test_class_means_are_the_mean_of_each_class_and_nan_for_an_empty_one():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 500)
    errors = rng.random(500)
    means = class_mean_errors(errors, labels, 4)
    for label in range(3):
        assert means[label] == pytest.approx(errors[labels == label].mean())
    assert np.isnan(means[3])
