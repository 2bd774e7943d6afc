"""Class colours: one fixed, colour-blind-aware palette shared by points, legend and labels."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

# Tableau 10 — distinct on white, familiar from matplotlib (the lecture's plots).
_BASE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def class_color(index: int) -> QColor:
    """Colour of class `index`; beyond ten classes, hues are spread around the wheel."""
    if index < len(_BASE):
        return QColor(_BASE[index])
    return QColor.fromHsvF(((index - len(_BASE)) * 0.618034) % 1.0, 0.65, 0.85)


def argb_table(count: int) -> np.ndarray:
    """Opaque ARGB32 values (uint32) for classes 0..count-1, for rasterising points."""
    return np.array([class_color(i).rgba() for i in range(max(count, 1))], dtype=np.uint32)
