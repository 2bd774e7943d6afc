"""A learned view of a latent space of any size: a UMAP layout of the display codes and a learned way back.

The PCA plane keeps only two directions of the codes, so its hover decodes codes the data never had (a latent-8
model's plane positions decode to pictures further from the real decodes than the model's own reconstruction
error). UMAP keeps neighbours, but has no usable inverse: umap-learn's `inverse_transform` triangulates the layout
on every call and is poor outside the hull. So the way back is learned, as in NNInv (Espadoto et al. 2019): a small
network trained on the pairs (layout position, code) maps any position of the plane to a code, and a kernel average
of its residuals at the nearest display codes corrects it on the data (LearnedPlane.from_plane). Where the layout has
no data, that code is a guess, so the plane also says how far a position lies from the nearest point in 2-D
(`distance_to_data`, in typical spacings between neighbouring points): the map dims tiles far from the data.

A `LearnedPlane` answers what a `core.latent.plane.LatentPlane` answers (`to_plane`, `from_plane`, `axis_titles`,
`latent_dim`), so core.latent.view.view_of, the map, paths, hover and the off-the-data meter use it unchanged. Its
inverse runs in numpy: the window's hover decodes through it without torch's thread pool.

umap-learn (and numba, pynndescent) take seconds to import and compile: they are imported inside `fit_learned_plane`
only, which the window calls in its layout process (core.latent.layout_process) and the command line only for
`--view umap`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.latent.neighbours import typical_spacing

#: The projections a view can be built on: the PCA plane (identity for latent sizes 1 and 2), or the learned view.
PCA, UMAP = "pca", "umap"
PROJECTIONS = (PCA, UMAP)
#: UMAP's neighbourhood size (its default) and the seed that makes a layout the same in the window and `render`.
NEIGHBOURS = 15
SEED = 0
#: UMAP's optimisation epochs: 200 for a fresh layout (umap-learn's own choice for large data; its 500 for fewer than
#: 10,000 points kept neighbours no better here, trustworthiness 0.98 either way at latent 8, for 2.5× the time);
#: fewer for one started from the previous snapshot's layout (the codes moved a little).
FRESH_EPOCHS = 200
WARM_EPOCHS = 100
#: Below this many codes umap-learn finds neighbours in the whole distance matrix (its own threshold), which
#: `umap_layout` computes for it; from there on it searches approximately (pynndescent) on the codes.
SMALL_DATA = 4096
#: The inverse network: 2 → HIDDEN → HIDDEN → D with tanh, trained STEPS Adam steps on batches of BATCH pairs.
HIDDEN = 128
STEPS = 600
BATCH = 256
LEARNING_RATE = 3e-3
#: The inverse's correction at the data (LearnedPlane.from_plane): how many layout points, the Gaussian's width in
#: layout spacings, and the weight of "no correction" that makes it fade away from the data.
CORRECTION_NEIGHBOURS = 8
CORRECTION_WIDTH = 1.5
CORRECTION_PRIOR = 0.1
#: Codes whose neighbours place a new code on the layout (to_plane for codes that are not the display codes).
PLACE_NEIGHBOURS = 5


class LearnedViewUnavailable(RuntimeError):
    """umap-learn is not installed: the learned view needs the `view` extra."""


def umap_available() -> bool:
    """Whether umap-learn can be imported here (without importing it: that takes seconds)."""
    import importlib.util

    return importlib.util.find_spec("umap") is not None


@dataclass(frozen=True, eq=False)
class Inverse:
    """The learned way back from the layout to codes: a 2 → H → H → D tanh network in numpy, on standardised inputs
    and outputs (so one learning rate suits any layout's scale and any code's)."""

    xy_mean: np.ndarray  # (2,)
    xy_scale: float
    code_mean: np.ndarray  # (D,)
    code_scale: np.ndarray  # (D,)
    weights: tuple[np.ndarray, ...]  # w1 (2, H), b1, w2 (H, H), b2, w3 (H, D), b3, float32

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        w1, b1, w2, b2, w3, b3 = self.weights
        x = ((np.atleast_2d(np.asarray(xy, np.float64)) - self.xy_mean) / self.xy_scale).astype(np.float32)
        h = np.tanh(x @ w1 + b1)
        h = np.tanh(h @ w2 + b2)
        out = (h @ w3 + b3).astype(np.float64)
        return (out * self.code_scale + self.code_mean).astype(np.float32)


@dataclass(frozen=True, eq=False)
class LearnedPlane:
    """A UMAP layout of N codes and its learned inverse, in the interface of a LatentPlane.

    `to_plane` gives the display codes their layout positions exactly, and places any other code at the
    distance-weighted mean of its nearest display codes' positions (live points, a path's codes, your picture).
    `from_plane` is the learned inverse: the code a position decodes through.
    """

    codes: np.ndarray  # (N, D) float32, the codes the layout was fitted to (read-only)
    layout: np.ndarray  # (N, 2) float32, their positions (read-only)
    inverse: Inverse = field(repr=False)
    #: The typical distance between neighbouring layout points: the unit of distance_to_data and of the correction.
    layout_spacing: float = 1.0
    #: (N, D) what the network misses at each display code (its code minus the network's code at its position).
    residuals: np.ndarray | None = field(default=None, repr=False)
    projection: str = UMAP

    @property
    def latent_dim(self) -> int:
        return int(self.codes.shape[1])

    @property
    def is_pca(self) -> bool:
        """A position is not a code: it is mapped back (paths between two images join their full codes)."""
        return True

    @property
    def is_learned(self) -> bool:
        return True

    @property
    def axis_titles(self) -> tuple[str, str]:
        return "UMAP 1", "UMAP 2"

    @property
    def describes(self) -> str:
        """What captions say the hover decodes through."""
        return "UMAP layout, hover decodes the learned inverse's code"

    def to_plane(self, codes: np.ndarray) -> np.ndarray:
        codes = np.asarray(codes, np.float32)
        if codes.shape == self.codes.shape and np.array_equal(codes, self.codes):
            return self.layout.copy()
        return place_codes(self.codes, self.layout, codes)

    def from_plane(self, points: np.ndarray) -> np.ndarray:
        """The network's code at each position, corrected by its residuals at the nearby display codes.

        A network small enough to train in a second smooths over what tightly packed UMAP clusters hold (on a
        latent-8 model of digits-5k, decoding its codes at the images' own positions missed by 0.45× the PCA
        plane's error). A kernel average of its residuals at the nearest layout points (Gaussian, CORRECTION_WIDTH
        layout spacings wide, weighed against CORRECTION_PRIOR so that it fades to nothing away from the data, where
        the network's guess is left as it is) brings that to about 0.1× and stays smooth between points.
        """
        points = np.atleast_2d(np.asarray(points, np.float64))
        codes = self.inverse(points)
        if self.residuals is None or not len(points):
            return codes
        k = min(CORRECTION_NEIGHBOURS, len(self.layout))
        distances, indices = _nearest_distances(self.layout.astype(np.float64), points, k)
        weights = np.exp(-0.5 * (distances / (CORRECTION_WIDTH * self.layout_spacing)) ** 2)
        correction = np.einsum("mk,mkd->md", weights, self.residuals[indices].astype(np.float64))
        correction /= weights.sum(axis=1, keepdims=True) + CORRECTION_PRIOR
        return (codes + correction).astype(np.float32)

    def distance_to_data(self, points: np.ndarray) -> np.ndarray:
        """(M,) distance of each position (M×2) to the nearest layout point, in typical spacings of the layout: the
        inverse's code is a guess where this is large."""
        points = np.atleast_2d(np.asarray(points, np.float64))
        nearest = _nearest_distances(self.layout.astype(np.float64), points, 1)[0][:, 0]
        return nearest / self.layout_spacing


def place_codes(codes: np.ndarray, layout: np.ndarray, queries: np.ndarray, k: int = PLACE_NEIGHBOURS) -> np.ndarray:
    """Layout positions for codes that were not laid out: the inverse-distance-weighted mean of their `k` nearest
    codes' positions (a code equal to a laid-out one lands on it). Cheap and deterministic, where umap-learn's
    `transform` would keep its whole model and run its optimiser per call."""
    queries = np.atleast_2d(np.asarray(queries, np.float64))
    if not len(queries):
        return np.zeros((0, 2), np.float32)
    distances, indices = _nearest_distances(np.asarray(codes, np.float64), queries, min(k, len(codes)))
    weights = 1.0 / np.maximum(distances, 1e-12)
    exact = distances[:, 0] <= 1e-12
    weights[exact] = 0.0
    weights[exact, 0] = 1.0
    weights /= weights.sum(axis=1, keepdims=True)
    return (np.einsum("mk,mkj->mj", weights, layout[indices].astype(np.float64))).astype(np.float32)


def _nearest_distances(points: np.ndarray, queries: np.ndarray, k: int, chunk: int = 256) -> tuple:
    """The `k` nearest `points` to each query (brute force, in chunks of queries): (distances, indices), nearest
    first."""
    norms = np.einsum("ij,ij->i", points, points)
    all_d, all_i = [], []
    for start in range(0, len(queries), chunk):
        q = queries[start : start + chunk]
        d2 = norms[None, :] - 2.0 * (q @ points.T) + np.einsum("ij,ij->i", q, q)[:, None]
        if k < len(points):
            part = np.argpartition(d2, k - 1, axis=1)[:, :k]
        else:
            part = np.tile(np.arange(len(points)), (len(q), 1))
        exact = np.sqrt(((points[part] - q[:, None, :]) ** 2).sum(axis=2))
        order = np.argsort(exact, axis=1, kind="stable")
        all_d.append(np.take_along_axis(exact, order, axis=1))
        all_i.append(np.take_along_axis(part, order, axis=1))
    return np.concatenate(all_d), np.concatenate(all_i)


def align_layout(layout: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`layout` turned (rotated or mirrored) and moved to lie as close as it can to `reference` (the same points'
    previous positions), by the orthogonal Procrustes solution: a layout has no fixed orientation, and without this a
    replay or a live view would spin and flip between snapshots. Distances within the layout are unchanged."""
    from scipy.linalg import orthogonal_procrustes

    layout = np.asarray(layout, np.float64)
    reference = np.asarray(reference, np.float64)
    centre, target = layout.mean(axis=0), reference.mean(axis=0)
    turn, _ = orthogonal_procrustes(layout - centre, reference - target)
    return ((layout - centre) @ turn + target).astype(np.float32)


def umap_layout(
    codes: np.ndarray, init: np.ndarray | None = None, seed: int = SEED, epochs: int | None = None
) -> np.ndarray:
    """(N, 2) float32: UMAP of the codes with a fixed seed (the same codes give the same layout), started from `init`
    (N×2, the previous layout) when given. Imports umap-learn (seconds, the first time in a process)."""
    try:
        import umap
    except ImportError as error:  # pragma: no cover - the extra is installed where tests run
        raise LearnedViewUnavailable(
            "the learned view needs umap-learn: pip install 'convae-explorer[view]' (or pip install umap-learn)"
        ) from error
    import warnings

    codes = np.asarray(codes, np.float32)
    count = len(codes)
    if count < 4:
        raise ValueError(f"a learned view needs at least 4 codes, got {count}")
    neighbours = min(NEIGHBOURS, count - 1)
    small = count < SMALL_DATA
    reducer = umap.UMAP(
        n_neighbors=neighbours,
        n_components=2,
        metric="precomputed" if small else "euclidean",
        random_state=seed,
        init=np.asarray(init, np.float64) if init is not None else "spectral",
        n_epochs=epochs,
        low_memory=True,
    )
    with warnings.catch_warnings():  # "n_jobs overridden by random_state": one thread is the price of a fixed seed
        warnings.simplefilter("ignore")
        layout = reducer.fit_transform(pairwise_distances(codes) if small else codes)
    return np.asarray(layout, np.float32)


def pairwise_distances(codes: np.ndarray) -> np.ndarray:
    """(N, N) Euclidean distances between the codes, in C (scipy). umap-learn computes the same matrix for fewer
    than SMALL_DATA points through sklearn with its numba metric as a Python callable, one call per pair: 2 M calls,
    two thirds of a 2,000-code layout's time, where this takes milliseconds."""
    from scipy.spatial.distance import pdist, squareform

    return squareform(pdist(np.asarray(codes, np.float64))).astype(np.float32)


def train_inverse(
    layout: np.ndarray,
    codes: np.ndarray,
    seed: int = SEED,
    steps: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Inverse | None:
    """The network from layout positions to codes (NNInv), trained with Adam on the pairs; None when `cancelled`
    says so between steps. Seeded and on one torch thread, so the same pairs give the same network in any thread:
    the window's and `render`'s. One thread is also the fast choice for a network this small (measured on 2 busy
    cores: 2.4 s of CPU time on one thread, 25 s on two, whose threads spin waiting for each other)."""
    import torch

    threads = torch.get_num_threads()  # kept per calling thread: given back afterwards
    torch.set_num_threads(1)
    try:
        return _train_inverse(layout, codes, seed, STEPS if steps is None else steps, cancelled)
    finally:
        torch.set_num_threads(threads)


def _train_inverse(
    layout: np.ndarray, codes: np.ndarray, seed: int, steps: int, cancelled: Callable[[], bool] | None
) -> Inverse | None:
    import torch

    xy = np.asarray(layout, np.float64)
    z = np.asarray(codes, np.float64)
    xy_mean = xy.mean(axis=0)
    xy_scale = float(xy.std()) or 1.0
    code_mean = z.mean(axis=0)
    code_scale = z.std(axis=0)
    code_scale[code_scale == 0] = 1.0
    inputs = torch.from_numpy(((xy - xy_mean) / xy_scale).astype(np.float32))
    targets = torch.from_numpy(((z - code_mean) / code_scale).astype(np.float32))
    generator = torch.Generator().manual_seed(seed)
    dim = z.shape[1]

    def layer(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor]:
        bound = 1.0 / np.sqrt(n_in)
        w = (torch.rand(n_in, n_out, generator=generator) * 2 - 1) * bound
        b = (torch.rand(n_out, generator=generator) * 2 - 1) * bound
        return w.requires_grad_(), b.requires_grad_()

    params = [*layer(2, HIDDEN), *layer(HIDDEN, HIDDEN), *layer(HIDDEN, dim)]
    w1, b1, w2, b2, w3, b3 = params
    optimiser = torch.optim.Adam(params, lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    count = len(inputs)
    batch = min(BATCH, count)
    for step in range(steps):
        if cancelled is not None and step % 50 == 0 and cancelled():
            return None
        pick = torch.randint(count, (batch,), generator=generator)
        h = torch.tanh(inputs[pick] @ w1 + b1)
        h = torch.tanh(h @ w2 + b2)
        loss = ((h @ w3 + b3 - targets[pick]) ** 2).mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
    weights = tuple(p.detach().numpy().astype(np.float32).copy() for p in params)
    return Inverse(xy_mean, xy_scale, code_mean, code_scale, weights)


def fit_learned_plane(
    codes: np.ndarray,
    previous: LearnedPlane | None = None,
    seed: int = SEED,
    cancelled: Callable[[], bool] | None = None,
) -> LearnedPlane | None:
    """The learned view of these codes (N×D): their UMAP layout and its inverse; None when `cancelled`.

    With `previous` (the last snapshot's learned view of the same display set), the layout starts from the previous
    positions and is turned to line up with them, so the picture moves instead of jumping. Without it, the layout is
    a fresh seeded fit: an opened file gives the same layout in the window and in `render`.
    """
    return fit_learned_plane_from(codes, warm_start(codes, previous), seed=seed, cancelled=cancelled)


def warm_start(codes: np.ndarray, previous: LearnedPlane | None) -> np.ndarray | None:
    """The layout a new one of `codes` starts from and is turned to: `previous`'s, where it laid out the same
    number of codes of the same size (the same display set a snapshot later); None for a fresh layout."""
    if previous is not None and previous.codes.shape == np.shape(codes):
        return previous.layout
    return None


def fit_learned_plane_from(
    codes: np.ndarray,
    start: np.ndarray | None,
    seed: int = SEED,
    cancelled: Callable[[], bool] | None = None,
) -> LearnedPlane | None:
    """`fit_learned_plane` given only the layout to start from (`warm_start`'s answer): what a layout process
    (core.latent.layout_process) needs to be sent, so that it computes the same plane as the calling process."""
    codes = _read_only(np.array(codes, np.float32))  # a copy: the caller's array stays writeable
    warm = start is not None
    layout = umap_layout(codes, init=start, seed=seed, epochs=WARM_EPOCHS if warm else FRESH_EPOCHS)
    if warm:
        layout = align_layout(layout, start)
    if cancelled is not None and cancelled():
        return None
    inverse = train_inverse(layout, codes, seed=seed, cancelled=cancelled)
    if inverse is None:
        return None
    residuals = _read_only(codes - inverse(layout))
    return LearnedPlane(codes, _read_only(layout), inverse, typical_spacing(layout), residuals)


def aligned_learned_plane(codes: np.ndarray, reference: LearnedPlane | None, seed: int = SEED) -> LearnedPlane:
    """A learned view of `codes` started from and turned to line up with `reference` (the neighbouring recorded
    frame's); a fresh one when there is none. A time-lapse's frames are laid out this way, one after another."""
    plane = fit_learned_plane(codes, reference, seed=seed)
    assert plane is not None  # nothing cancels it
    return plane


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array
