"""The selection figures of `convae-explorer bench` are measured in a live window and come out whole; the dock
decodes only the tiles on screen, not all 500."""

from __future__ import annotations

import math
import re

from explorer.bench.selection import selection_figures


def test_selection_figures_are_measured_and_only_visible_tiles_are_decoded(qapp, window) -> None:
    figures = selection_figures(qapp, window, quick=True)
    assert [f["name"] for f in figures] == [
        "selection dock: show 500 tiles",
        "colour by error: redraw 60,000 points",
    ]
    for f in figures:
        assert f["value"] is not None and math.isfinite(f["value"]) and f["value"] > 0, f
    drawn = re.search(r"(\d+) tile pictures drawn", figures[0]["detail"])
    assert drawn and 0 < int(drawn.group(1)) < 500
