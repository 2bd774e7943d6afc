"""Finding what the model gets wrong: each display image's reconstruction error, ranked and grouped.

The error itself is computed once, by core.model.errors.reconstruction_errors (re-exported here), and arrives with
every snapshot (core.events.Snapshot.errors). What the window and the headless commands ask of it is here, so the
"N worst" of `render gallery` and of the window's selection are the same images in the same order.
"""

from __future__ import annotations

import numpy as np

__all__ = ["class_mean_errors", "worst", "worst_first"]  # and, imported on first use, the two below


def __getattr__(name: str) -> object:
    """reconstruction_errors and ERROR_CHUNK from core.model.errors, imported on first use: ranking needs numpy
    alone, so the command line's parser (which names the gallery's limits) stays free of torch."""
    if name in ("ERROR_CHUNK", "reconstruction_errors"):
        from core.model import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def worst_first(errors: np.ndarray) -> np.ndarray:
    """(N,) int64: every index, largest error first; equal errors keep index order, a NaN error comes last."""
    errors = np.asarray(errors, np.float64)
    # argsort of the negated errors, stable: ties stay in index order, and NaN (which sorts last) stays last.
    return np.argsort(-errors, kind="stable").astype(np.int64)


def worst(errors: np.ndarray, count: int) -> np.ndarray:
    """The indices of the `count` largest errors, largest first (fewer when there are fewer images)."""
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    return worst_first(errors)[:count]


def class_mean_errors(errors: np.ndarray, labels: np.ndarray, class_count: int) -> np.ndarray:
    """(class_count,) float64: each class's mean error over the display images of that class; NaN for a class with
    no display image (labels outside 0…class_count-1 are left out)."""
    errors = np.asarray(errors, np.float64)
    labels = np.asarray(labels, np.int64)
    if errors.shape != labels.shape:
        raise ValueError(f"errors and labels must pair up, got shapes {errors.shape} and {labels.shape}")
    known = (labels >= 0) & (labels < class_count)
    sums = np.bincount(labels[known], weights=errors[known], minlength=class_count)
    counts = np.bincount(labels[known], minlength=class_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
