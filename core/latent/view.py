"""What the window shows of one snapshot, built in the worker thread: points on a view plane, the collapse verdict,
and decoding at any plane position or of any display image, all with that snapshot's decoder.

The window never touches torch: it asks a SnapshotView, which answers in numpy. Hover, clicks, points and grids
therefore always come from the same network state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from core.events import Snapshot
from core.latent.neighbours import NeighbourIndex
from core.latent.plane import LatentPlane, fit_plane
from core.model.diagnostics import CollapseVerdict, collapse_verdict, output_collapsed
from core.model.fast_decode import FastDecoder


@dataclass(frozen=True)
class SnapshotView:
    snapshot: Snapshot
    plane: LatentPlane
    xy: np.ndarray  # (N, 2) float32: the display codes on the view plane
    collapsed: bool  # every sample decodes to the same picture (see core.model.diagnostics)
    #: The display codes ready for nearest-neighbour queries and the off-the-data meter (built with the view).
    neighbours: NeighbourIndex = field(compare=False, repr=False)
    #: A VAE's posterior-collapse verdict at this snapshot (core.model.diagnostics.collapse_verdict), judged afresh
    #: for every view; None for an autoencoder.
    posterior: CollapseVerdict | None = None

    @property
    def where(self) -> str:
        """'step 1,234 (epoch 2.50)': which network state this is, as captions say it."""
        return f"step {self.snapshot.step:,} (epoch {self.snapshot.epoch:.2f})"

    def decode_at(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """The image (C×H×W floats 0–1) the decoder draws at plane position (x, y), and its latent code."""
        latent = self.plane.from_plane(np.array([[x, y]]))
        return self._decode(latent)[0], latent[0]

    def reconstruct(self, index: int) -> np.ndarray:
        """Display image `index` through the encoder and decoder of this snapshot (C×H×W floats 0–1)."""
        return self._decode(self.snapshot.codes[index : index + 1])[0]

    @property
    def variational(self) -> bool:
        return self.snapshot.log_variances is not None

    @property
    def posterior_collapse(self) -> str | None:
        """A VAE's posterior-collapse warning with what to try; None when fine, not yet judged, or not a VAE."""
        return self.posterior.warning if self.posterior is not None else None

    def sigma_ellipse(self, index: int) -> tuple[float, float, float] | None:
        """Display code `index`'s 1σ ellipse on the view plane: (major semi-axis, minor semi-axis, angle in degrees).

        The code's Gaussian N(μ, diag σ²) projected onto the plane has covariance P·diag(σ²)·Pᵀ (P the plane's two
        axes); its eigenvectors are the ellipse's axes. None for an autoencoder, whose codes are points.
        """
        if self.snapshot.log_variances is None or getattr(self.plane, "components", None) is None:
            return None  # a learned view (core.latent.learned_view) has no axes to project σ onto
        variances = np.exp(np.asarray(self.snapshot.log_variances[index], np.float64))
        axes = self.plane.components
        covariance = (axes * variances) @ axes.T
        values, vectors = np.linalg.eigh(covariance)
        major = vectors[:, 1]
        angle = float(np.degrees(np.arctan2(major[1], major[0])))
        return float(np.sqrt(max(values[1], 0.0))), float(np.sqrt(max(values[0], 0.0))), angle

    def decode(self, codes: np.ndarray, batch: int = 512) -> np.ndarray:
        """Many codes (N×D) decoded in batches (N×C×H×W floats 0–1): a map's tiles, a path's frames."""
        codes = np.asarray(codes, np.float32).reshape(len(codes), -1)
        if not len(codes):
            shape = self.snapshot.display_images.shape[1:]
            return np.zeros((0, *shape), np.float32)
        return np.concatenate([self._decode(codes[i : i + batch]) for i in range(0, len(codes), batch)])

    @property
    def can_encode(self) -> bool:
        """This view kept its snapshot's encoder, so a picture of the user's can be placed on it."""
        return getattr(self.snapshot, "encoder", None) is not None

    def encode(self, images: np.ndarray) -> np.ndarray:
        """Codes (N×D float32) of images shaped like the display images (N×C×H×W uint8), with this snapshot's
        encoder: the same weights as its points and its decoder. ValueError when the view has no encoder."""
        encoder = getattr(self.snapshot, "encoder", None)
        if encoder is None:
            raise ValueError(f"the network state at {self.where} kept no encoder")
        images = np.asarray(images, np.uint8)
        with torch.inference_mode():
            return encoder(torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)).float().numpy()

    def label_of(self, index: int) -> str:
        return self.snapshot.classes[int(self.snapshot.labels[index])]

    @cached_property
    def fast_decoder(self) -> FastDecoder:
        """This snapshot's decoder with its first two layers folded (core.model.fast_decode), built at the first decode.

        Hover, reconstructions, maps and paths all decode through it, so they agree with one another (to float
        rounding: oneDNN picks kernels by batch size).
        """
        return FastDecoder(self.snapshot.decoder)

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            codes = np.require(codes, np.float32, ["C", "W"])  # a copy only of read-only codes (torch warns of those)
            return self.fast_decoder(torch.from_numpy(codes)).numpy()


def view_of(snapshot: Snapshot, plane: LatentPlane | None = None, *, prepare: bool = True) -> SnapshotView:
    """The one place a SnapshotView is made: the snapshot's codes placed on `plane` (by default the plane fitted to
    them: identity for 2-D codes, PCA above), its collapse verdict, and its neighbour index.

    Live snapshots, recorded frames, opened checkpoints, `render` and `export` all come through here, so they can
    only differ in the plane they are given; which plane a snapshot gets beside a recorded history is
    core.timelapse.views' choice. `prepare` computes the off-the-data meter's unit now (a worker thread can afford
    it); a time-lapse frame picked with the slider on the window's thread leaves it to the first hover.
    """
    plane = plane if plane is not None else fit_plane(snapshot.codes)
    neighbours = NeighbourIndex(snapshot.codes)
    if prepare:
        neighbours.prepare()
    xy = plane.to_plane(snapshot.codes)
    return SnapshotView(snapshot, plane, xy, output_collapsed(snapshot), neighbours, collapse_verdict(snapshot))
