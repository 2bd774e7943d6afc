"""Nearest display codes to any latent code, and how far from the data a code lies (the "off the data" meter).

Distances are measured in the full latent space, where the decoder works: for latent sizes above 2 a position on
the view plane is a code on that plane, and its distance to the real codes includes what the plane leaves out.
That is the honest answer to "why does this decode as a smudge?".

The search is brute force in numpy, vectorised over all codes (|c|² − 2c·q with the norms kept), then the few
candidates are measured exactly: at 60,000 codes this is about half a millisecond here (see `convae-explorer
bench`), so no tree is needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: How many codes (at most, seeded) are used to estimate the typical spacing between neighbouring codes.
SPACING_SAMPLE = 300
#: Candidates re-measured exactly per requested neighbour: absorbs the rounding of the fast formula.
_CANDIDATES_PER_NEIGHBOUR = 4

#: The meter's words and colours, by distance to the nearest code in units of the typical spacing (the median
#: distance from a display code to its nearest other code). Up to 1.5 spacings the cursor sits on the data as
#: much as real images sit next to each other; up to 4 it is in the gaps between images; beyond, the decoder is
#: extrapolating from nothing it was trained on.
ON_DATA_MAX = 1.5
BETWEEN_MAX = 4.0
ON_DATA, BETWEEN, FAR = "on the data", "between images", "far from any image"
METER_COLOURS = {ON_DATA: "#2e9d4f", BETWEEN: "#d99a1e", FAR: "#c8372d"}


@dataclass(frozen=True)
class Meter:
    """How far a code is from the data: distance in spacings, the words a user reads, and a colour (#rrggbb)."""

    distance: float  # to the nearest display code, latent units
    spacing: float  # typical distance between neighbouring display codes, latent units
    ratio: float  # distance / spacing

    @property
    def words(self) -> str:
        return meter_words(self.ratio)

    @property
    def colour(self) -> str:
        return METER_COLOURS[self.words]


def meter_words(ratio: float) -> str:
    if ratio <= ON_DATA_MAX:
        return ON_DATA
    if ratio <= BETWEEN_MAX:
        return BETWEEN
    return FAR


@dataclass(frozen=True)
class Neighbours:
    indices: np.ndarray  # (k,) int64, into the display set, nearest first
    distances: np.ndarray  # (k,) float64, latent units


class NeighbourIndex:
    """The display codes of one snapshot, ready for nearest-neighbour queries; built once per snapshot."""

    def __init__(self, codes: np.ndarray) -> None:
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2:
            raise ValueError(f"codes must be N×D, got shape {codes.shape}")
        self.codes = np.ascontiguousarray(codes)
        self.norms = np.einsum("ij,ij->i", self.codes, self.codes)

    @functools.cached_property
    def spacing(self) -> float:
        """The meter's unit, computed on first use: ~90 ms at 60,000 codes, which a time-lapse frame chosen with the
        slider should not pay before it is drawn (core.latent.view.view_of computes it at once, in the worker
        thread)."""
        return typical_spacing(self.codes)

    def prepare(self) -> NeighbourIndex:
        """Compute the spacing now (call it in a worker thread, so the first hover does not)."""
        _ = self.spacing
        return self

    def __len__(self) -> int:
        return len(self.codes)

    def nearest(self, code: np.ndarray, k: int = 5) -> Neighbours:
        """The `k` display codes nearest to `code` (D,), nearest first, with their exact Euclidean distances."""
        count = len(self.codes)
        k = min(k, count)
        if k <= 0:
            return Neighbours(np.zeros(0, np.int64), np.zeros(0))
        query = np.asarray(code, dtype=np.float64).reshape(-1)
        # einsum, not `@`: a matrix-vector product through BLAS woke its thread pool and cost a steady 8 ms here
        # for 16-D codes (0.4 ms this way)
        approx = self.norms - 2.0 * np.einsum("ij,j->i", self.codes, query)
        take = min(count, max(k * _CANDIDATES_PER_NEIGHBOUR, k))
        candidates = np.argpartition(approx, take - 1)[:take] if take < count else np.arange(count)
        exact = np.sqrt(((self.codes[candidates] - query) ** 2).sum(axis=1))
        order = np.lexsort((candidates, exact))[:k]  # ties: the lower index first, as a stable brute force would
        return Neighbours(candidates[order].astype(np.int64), exact[order])

    def meter(self, code: np.ndarray) -> Meter:
        return self.meter_for(self.nearest(code, 1))

    def meter_for(self, found: Neighbours) -> Meter:
        """The meter from a search already made (its nearest distance): no second scan per hover move."""
        distance = float(found.distances[0]) if len(found.distances) else float("inf")
        return Meter(distance, self.spacing, distance / self.spacing)


def typical_spacing(codes: np.ndarray, sample: int = SPACING_SAMPLE, chunk: int = 32) -> float:
    """The median distance from a display code to its nearest other code (a seeded sample of up to `sample`
    codes, each against all codes): the unit of the off-the-data meter. Never zero (duplicates, one code).

    Centred codes (smaller norms: less cancellation in |a|² + |b|² − 2a·b), chunks of 32 rows whose distance rows
    stay in cache, the products updated in place and each row's own norm added after the minimum: 25 ms at 60,000
    2-D codes where three full temporaries per chunk of 128 took 165 ms (measured interleaved), which a time-lapse
    frame chosen under the cursor paid before it was drawn.
    """
    codes = np.asarray(codes, dtype=np.float64)
    count = len(codes)
    if count < 2:
        return 1.0
    codes = codes - codes.mean(axis=0)
    chosen = np.sort(np.random.default_rng(0).permutation(count)[: min(sample, count)])
    norms = np.einsum("ij,ij->i", codes, codes)
    nearest = []
    for start in range(0, len(chosen), chunk):
        rows = chosen[start : start + chunk]
        d2 = codes[rows] @ codes.T
        d2 *= -2.0
        d2 += norms[None, :]
        d2[np.arange(len(rows)), rows] = np.inf  # not itself
        nearest.append(np.sqrt(np.maximum(d2.min(axis=1) + norms[rows], 0.0)))
    distances = np.concatenate(nearest)
    positive = distances[distances > 0]
    if not len(positive):
        return 1.0
    return float(np.median(distances)) or float(np.median(positive))
