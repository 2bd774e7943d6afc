"""Which points lie inside a lasso: a point-in-polygon test fast enough to follow the mouse over 60,000 points.

The window's lasso and rectangle selections, and any headless selection by area, resolve through this one function,
so a drawn shape selects the same points wherever it is asked. The even-odd rule (a ray from the point crosses the
outline an odd number of times) copes with a lasso that crosses itself, as a hand-drawn one may.

Why not test every point against every edge: a lasso drawn by hand has hundreds of vertices, and 60,000 points
times 500 edges is 30 million tests a redraw. Sorted by y once, the points an edge can cross (those whose y lies in
the edge's span) are one contiguous run, found by binary search; each point then meets only the few edges at its
height, so the work grows with the points and the vertices, not with their product (docs/performance.md, "Lasso").
"""

from __future__ import annotations

import numpy as np


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) bool: which of `points` (N×2) lie inside `polygon` (M×2 vertices, closed implicitly, even-odd rule).

    A polygon of fewer than 3 vertices encloses nothing. Points with a NaN coordinate are outside. A point exactly
    on an edge may fall either way (as in every scan-line fill), but always the same way for the same input.
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    polygon = np.asarray(polygon, np.float64).reshape(-1, 2)
    inside = np.zeros(len(points), bool)
    polygon = polygon[np.isfinite(polygon).all(axis=1)]
    if len(polygon) < 3 or not len(points):
        return inside
    low, high = polygon.min(axis=0), polygon.max(axis=0)
    x, y = points[:, 0], points[:, 1]
    candidates = np.flatnonzero((x >= low[0]) & (x <= high[0]) & (y >= low[1]) & (y <= high[1]))
    if not len(candidates):
        return inside
    order = candidates[np.argsort(y[candidates], kind="stable")]
    xs, ys = x[order], y[order]
    hits = np.zeros(len(order), bool)
    starts, ends = polygon, np.roll(polygon, -1, axis=0)
    lower, upper = np.minimum(starts[:, 1], ends[:, 1]), np.maximum(starts[:, 1], ends[:, 1])
    # A point at height y meets an edge when lower ≤ y < upper (half-open: a vertex is counted once).
    first = np.searchsorted(ys, lower, side="left")
    last = np.searchsorted(ys, upper, side="left")
    for edge in np.flatnonzero(last > first):
        (x0, y0), (x1, y1) = starts[edge], ends[edge]
        band = slice(first[edge], last[edge])
        crossing = x0 + (ys[band] - y0) * ((x1 - x0) / (y1 - y0))
        hits[band] ^= xs[band] < crossing
    inside[order] = hits
    return inside
