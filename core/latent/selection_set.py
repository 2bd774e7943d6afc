"""A selection of display images as plain data: which indices, how a new pick combines with them, and the sums the
window shows of them (per-class counts, the order of the selection's tiles). Ranking by error is
core.latent.errors' (the worst N, per-class means), shared with `render gallery`.

Why Qt-free: the selection is indices into a snapshot's display set, and a snapshot's display set stays the same
images for the whole run. So a selection made on one snapshot means the same images on the next one, on a recorded
time-lapse frame and, matched image by image, on another run of the same data (the comparison). Keeping the maths
here lets the window and any headless command agree on it.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Combine(StrEnum):
    """How a new pick (a lasso, a rectangle, a class) meets the current selection."""

    REPLACE = "replace"
    ADD = "add"  # Shift
    REMOVE = "remove"  # Alt (or Ctrl, where the window manager keeps Alt+drag for itself)


class SortBy(StrEnum):
    """The order of the selection's tiles."""

    ERROR = "error"  # worst reconstruction first
    LABEL = "label"  # by class, then by index
    DISTANCE = "distance"  # farthest from the selection's mean code first: its odd ones out


def as_indices(indices: np.ndarray | list[int]) -> np.ndarray:
    """Sorted, unique, non-negative int64 indices (the one form a selection is kept in)."""
    array = np.unique(np.asarray(indices, np.int64).ravel())
    return array[array >= 0]


def combine(current: np.ndarray, picked: np.ndarray, how: Combine) -> np.ndarray:
    """The selection after `picked` is combined with `current` (both index arrays) as `how` says."""
    picked = as_indices(picked)
    if how is Combine.ADD:
        return np.union1d(current, picked).astype(np.int64)
    if how is Combine.REMOVE:
        return np.setdiff1d(current, picked, assume_unique=True).astype(np.int64)
    return picked


def above(errors: np.ndarray, threshold: float) -> np.ndarray:
    """The display images whose reconstruction error is above `threshold`."""
    return np.flatnonzero(np.asarray(errors, np.float64) > float(threshold)).astype(np.int64)


def of_class(labels: np.ndarray, label: int) -> np.ndarray:
    return np.flatnonzero(np.asarray(labels, np.int64) == int(label)).astype(np.int64)


def class_counts(labels: np.ndarray, indices: np.ndarray, classes: int) -> np.ndarray:
    """How many of the selected images are in each class (length `classes`)."""
    picked = np.asarray(labels, np.int64)[indices]
    return np.bincount(picked[(picked >= 0) & (picked < classes)], minlength=classes)


def sort_selection(
    indices: np.ndarray,
    by: SortBy,
    labels: np.ndarray,
    codes: np.ndarray,
    errors: np.ndarray | None = None,
) -> np.ndarray:
    """The selected indices in the order their tiles are shown. Without errors, ERROR falls back to index order."""
    indices = np.asarray(indices, np.int64)
    if not len(indices):
        return indices
    if by is SortBy.ERROR and errors is not None:
        return indices[np.argsort(-np.asarray(errors, np.float64)[indices], kind="stable")]
    if by is SortBy.LABEL:
        return indices[np.argsort(np.asarray(labels, np.int64)[indices], kind="stable")]
    if by is SortBy.DISTANCE:
        chosen = np.asarray(codes, np.float64)[indices]
        distance = np.linalg.norm(chosen - chosen.mean(axis=0), axis=1)
        return indices[np.argsort(-distance, kind="stable")]
    return indices


def matching_rows(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each image of `other` (N×…), the row of the identical image in `reference`, or -1 where it has none.

    How one selection means the same images in two runs: the comparison's display set may be another seed's subset
    of the data (or another data set), so indices alone would point at other pictures. Identical arrays (the same
    run's snapshots share their display images) match row for row at once.
    """
    reference, other = np.asarray(reference), np.asarray(other)
    same_pixels = reference.__array_interface__["data"][0] == other.__array_interface__["data"][0]
    if reference.shape == other.shape and reference.strides == other.strides and same_pixels:
        return np.arange(len(other), dtype=np.int64)
    if reference.shape[1:] != other.shape[1:] or reference.dtype != other.dtype:
        return np.full(len(other), -1, np.int64)
    rows: dict[bytes, int] = {}
    for row, image in enumerate(np.ascontiguousarray(reference).reshape(len(reference), -1)):
        rows.setdefault(image.tobytes(), row)
    flat = np.ascontiguousarray(other).reshape(len(other), -1)
    return np.fromiter((rows.get(image.tobytes(), -1) for image in flat), np.int64, count=len(other))
