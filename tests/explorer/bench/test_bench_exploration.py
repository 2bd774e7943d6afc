"""The exploration figures of `convae-explorer bench` are measured in a live window and come out whole."""

from __future__ import annotations

import math
import re

from explorer.bench.exploration import measure_exploration


def test_exploration_figures_are_measured(qapp) -> None:
    figures = measure_exploration(quick=True)
    names = [f["name"] for f in figures]
    assert any("2,000 points" in n for n in names) and any("60,000 points" in n for n in names)
    assert any("panning, map on" in n for n in names) and any("while training" in n for n in names)
    for f in figures:
        assert f["value"] is not None and math.isfinite(f["value"]) and f["value"] > 0, f
    panning = next(f for f in figures if "panning" in f["name"])
    drawn = re.search(r"(\d+) drawn", panning["detail"])
    assert drawn and int(drawn.group(1)) > 0  # the map was really decoded while panning
