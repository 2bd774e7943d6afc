"""Class colours: one fixed, colour-blind-aware palette shared by points, legend and labels."""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=1)
def _error_table() -> np.ndarray:
    """256 opaque ARGB32 colours from dark purple (small error) to yellow (large): viridis, readable in grey too."""
    import pyqtgraph as pg

    rgb = pg.colormap.get("viridis").getLookupTable(nPts=256, alpha=False).astype(np.uint32)
    return np.uint32(0xFF000000) | (rgb[:, 0] << np.uint32(16)) | (rgb[:, 1] << np.uint32(8)) | rgb[:, 2]


def error_argb(errors: np.ndarray) -> np.ndarray:
    """One ARGB32 colour per reconstruction error, on a log scale from the 1st to the 99th percentile of these errors.

    Why per snapshot and logarithmic: errors shrink tenfold as a network learns and a few images are far worse than
    the rest; a fixed linear scale would paint early snapshots all yellow and late ones all purple."""
    values = np.log(np.maximum(np.nan_to_num(np.asarray(errors, np.float64), nan=0.0), 1e-12))
    if not len(values):
        return np.zeros(0, np.uint32)
    low, high = np.percentile(values, [1.0, 99.0])
    scaled = (values - low) / max(high - low, 1e-12)
    return _error_table().take(np.clip(scaled * 255.0, 0, 255).astype(np.int64))
