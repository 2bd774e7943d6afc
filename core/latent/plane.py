"""Latent-space maths: a 2-D view plane over codes of any size, and the way back for decoding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LatentPlane:
    """An affine plane through latent space: identity for 2-D codes, the top two principal components otherwise.

    `to_plane` places codes on the screen; `from_plane` maps a screen position back to the latent code the
    decoder should draw, so hovering over a PCA view decodes points on the plane the user sees.
    """

    mean: np.ndarray  # (D,)
    components: np.ndarray  # (2, D), orthonormal rows (the second is zero when D == 1)
    explained: tuple[float, float]  # fraction of variance along each axis (1.0, 1.0 when no PCA was needed)

    @property
    def latent_dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def is_pca(self) -> bool:
        return self.latent_dim > 2

    @property
    def axis_titles(self) -> tuple[str, str]:
        if self.latent_dim == 1:
            return "z₁", "(latent size 1: no second axis)"
        if not self.is_pca:
            return "z₁", "z₂"
        return tuple(  # type: ignore[return-value]
            f"principal component {i + 1} ({format_share(share)} of variance)" for i, share in enumerate(self.explained)
        )

    def to_plane(self, codes: np.ndarray) -> np.ndarray:
        return ((np.asarray(codes, dtype=np.float64) - self.mean) @ self.components.T).astype(np.float32)

    def from_plane(self, points: np.ndarray) -> np.ndarray:
        return (self.mean + np.atleast_2d(np.asarray(points, dtype=np.float64)) @ self.components).astype(np.float32)


def format_share(share: float) -> str:
    """A fraction as a percentage that never reads 0 % for a share that is not zero: 99 %, 4 %, 0.4 %, 0.004 %."""
    percent = 100 * share
    if percent >= 1 or percent == 0:
        return f"{percent:.0f}%"
    return f"{percent:.1g}%"


def fit_plane(codes: np.ndarray) -> LatentPlane:
    """Choose the view plane for these codes (N×D): identity up to D=2, else PCA of the codes."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] < 1:
        raise ValueError(f"codes must be N×D with D ≥ 1, got shape {codes.shape}")
    dim = codes.shape[1]
    if dim <= 2:
        components = np.zeros((2, dim))
        components[0, 0] = 1.0
        if dim == 2:
            components[1, 1] = 1.0
        return LatentPlane(np.zeros(dim), components, (1.0, 1.0))
    mean = codes.mean(axis=0)
    centred = codes - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    total = float(variance.sum()) or 1.0
    return LatentPlane(mean, vt[:2].copy(), (float(variance[0] / total), float(variance[1] / total)))


def fit_aligned_plane(codes: np.ndarray, reference: LatentPlane | None) -> LatentPlane:
    """fit_plane, with a PCA plane turned within itself to line up with `reference` (the previous frame's plane).

    Principal components have no fixed sign or order: two snapshots a moment apart can come out mirrored or with
    their axes swapped, and a replay would flip. The orthogonal Procrustes solution (the 2×2 rotation or reflection
    R that brings these components closest to the reference's) keeps the same plane, so hover and the points stay
    exact, and only chooses how it lies on screen. Identity planes (D ≤ 2) are returned as they are.
    """
    plane = fit_plane(codes)
    if not plane.is_pca or reference is None or reference.latent_dim != plane.latent_dim:
        return plane
    overlap = reference.components @ plane.components.T  # (2, 2)
    u, _, vt = np.linalg.svd(overlap)
    turn = u @ vt
    components = turn @ plane.components
    # the share of variance along each turned axis: the two principal variances mixed by the turn
    shares = (turn**2) @ np.asarray(plane.explained)
    return LatentPlane(plane.mean, components, (float(shares[0]), float(shares[1])))
