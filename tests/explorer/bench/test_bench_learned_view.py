"""The learned view's window figures of `convae-explorer bench --learned-view` are measured in a live window, through
View › Projection, and come out whole."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("umap")
from explorer.bench.learned_view import measure_learned_window


@pytest.mark.timeout(1200)  # numba compiles UMAP on a process's first layout: minutes on a busy host
def test_learned_view_window_figures_are_measured(qapp) -> None:
    figures = measure_learned_window(quick=True)
    names = [f["name"] for f in figures]
    assert any("first learned view" in n for n in names) and any("new snapshot's learned view" in n for n in names)
    assert any("hover" in n and "learned view" in n for n in names)
    for f in figures:
        assert f["value"] is not None and math.isfinite(f["value"]) and f["value"] > 0, f
    hover = next(f for f in figures if "hover" in f["name"])
    assert "PCA plane in the same run" in hover["detail"]
