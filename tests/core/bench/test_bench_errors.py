"""The bench's errors and lasso figures are measured (values, not speeds, are checked: the host may be busy)."""

from __future__ import annotations

import math
import re

import torch

from core.bench.errors import LASSO_POINTS, lasso_points, lasso_polygon, measure_errors
from core.latent.lasso import points_in_polygon


def test_the_errors_share_is_measured_in_a_real_run(digits_subset):
    """A short run: its first epoch's end decodes the errors whatever the budget, so the share is what it is; the
    budget itself is tested on a clock the test moves (tests/core/training/test_snapshot_pacing.py)."""
    share, lasso = measure_errors(digits_subset(300), torch.device("cpu"), True, lambda message: None, run_s=4.0)
    assert share.unit == "%" and 0 <= share.value < 100 and share.met == (share.value <= 1)
    assert re.search(r"of its [1-9]\d* snapshots between steps decoded their 300 errors \(\d+ ms each\)", share.detail)
    assert lasso.unit == "ms" and math.isfinite(lasso.value) and lasso.value > 0
    assert f"{LASSO_POINTS:,}" in lasso.name


def test_the_benchs_lasso_holds_a_real_part_of_the_points():
    inside = points_in_polygon(lasso_points(LASSO_POINTS), lasso_polygon(500))
    assert 0.1 * LASSO_POINTS < inside.sum() < 0.9 * LASSO_POINTS
