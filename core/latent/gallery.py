"""A gallery of display images above their reconstructions: the picture of what the model gets wrong.

Tiles at the data's image size with no gaps, in pairs of rows: a row of originals, then the same images as this
network state reconstructs them, so each reconstruction sits right under its original. Images run row-major in
the order given (for the worst ones: largest error first), and cells after the last image are black.

`render gallery` draws it headless; the window's selection dock shows the same order (core.latent.errors), so the
two agree on which images come first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from core.data.plain_text import one_line
from core.latent.atlas import mosaic, to_uint8
from core.latent.errors import worst, worst_first

if TYPE_CHECKING:  # the parser reads this module's limits: no torch until a gallery is drawn
    from core.latent.view import SnapshotView

#: The most images one gallery draws (a 28-pixel digit gallery of that many is about 3,000 × 3,000 pixels).
MAX_GALLERY_IMAGES = 5000
DEFAULT_COLUMNS = 10
MAX_COLUMNS = 200


class GalleryError(ValueError):
    """The images asked for cannot make a gallery; the message says which and why."""


def gallery_tiles(originals: np.ndarray, reconstructions: np.ndarray, columns: int) -> np.ndarray:
    """(2·rows, columns, C, H, W) uint8 tiles: row 2r holds originals r·columns… (row-major), row 2r+1 their
    reconstructions; cells after the last image are black. `originals` N×C×H×W uint8, `reconstructions` the same
    shape as floats 0–1 (rounded as the window rounds them) or uint8."""
    originals = np.asarray(originals)
    recon = to_uint8(reconstructions) if reconstructions.dtype != np.uint8 else np.asarray(reconstructions)
    if originals.shape != recon.shape or originals.ndim != 4:
        raise ValueError(f"originals {originals.shape} and reconstructions {recon.shape} must both be N×C×H×W")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    count, shape = len(originals), originals.shape[1:]
    rows = max(1, math.ceil(count / columns))
    tiles = np.zeros((rows, 2, columns, *shape), np.uint8)
    flat = tiles.reshape(rows, 2, columns, -1)
    cells = np.arange(count)
    flat[cells // columns, 0, cells % columns] = originals.reshape(count, -1)
    flat[cells // columns, 1, cells % columns] = recon.reshape(count, -1)
    return tiles.reshape(2 * rows, columns, *shape)


def gallery_picture(
    view: SnapshotView,
    indices: Sequence[int] | np.ndarray,
    columns: int,
    reconstructions: np.ndarray | None = None,
) -> np.ndarray:
    """The gallery of display images `indices` (in that order) at `view`'s network state, as one uint8 picture
    (H×W grey or H×W×3): originals from the data, reconstructions decoded as the window decodes them (or
    `reconstructions`, those same decodes made already, e.g. to check them before drawing)."""
    indices = np.asarray(indices, np.int64).reshape(-1)
    snapshot = view.snapshot
    originals = np.asarray(snapshot.display_images)[indices]
    if reconstructions is None:
        reconstructions = view.decode(np.asarray(snapshot.codes)[indices])
    return mosaic(gallery_tiles(originals, reconstructions, columns))


def gallery_choice(
    view: SnapshotView,
    *,
    worst_count: int | None = None,
    indices: Sequence[int] | None = None,
    class_name: str | None = None,
) -> tuple[np.ndarray, str]:
    """The display images a gallery shows, in order, and a phrase saying which they are. Exactly one of:
    `worst_count` (the largest errors, largest first), `indices` (as given), `class_name` (that class's images,
    largest error first). GalleryError for an index outside the display set, an unknown class, or too many."""
    snapshot = view.snapshot
    count = len(snapshot.codes)
    if sum(choice is not None for choice in (worst_count, indices, class_name)) != 1:
        raise GalleryError("choose the images one way: the worst N, a list of indices, or a class")
    errors = snapshot.errors
    if (worst_count is not None or class_name is not None) and errors is None:
        raise GalleryError(f"the network state at {view.where} carries no reconstruction errors to rank")
    if worst_count is not None:
        chosen, what = worst(errors, min(worst_count, count)), f"the {min(worst_count, count):,} worst reconstructions"
    elif indices is not None:
        chosen = np.asarray(indices, np.int64).reshape(-1)
        outside = chosen[(chosen < 0) | (chosen >= count)]
        if len(outside):
            first = int(outside[0])
            raise GalleryError(f"image {first} is not in the display set, which holds images 0 to {count - 1}")
        what = f"{len(chosen):,} chosen images"
    else:
        label = class_label(snapshot.classes, class_name)
        members = np.flatnonzero(np.asarray(snapshot.labels) == label)
        if not len(members):
            raise GalleryError(f"no display image is of class {one_line(snapshot.classes[label])!r}")
        chosen = members[worst_first(errors[members])]
        what = f"the {len(chosen):,} images of class {one_line(snapshot.classes[label])!r}, worst first"
    if not len(chosen):
        raise GalleryError("no images to draw")
    if len(chosen) > MAX_GALLERY_IMAGES:
        raise GalleryError(f"{len(chosen):,} images are more than one gallery draws ({MAX_GALLERY_IMAGES:,})")
    return chosen, what


def class_label(classes: Sequence[str], name: str) -> int:
    """The label of class `name`: its exact name, else the one name equal to it ignoring case; GalleryError else."""
    if name in classes:
        return list(classes).index(name)
    folded = [i for i, known in enumerate(classes) if known.casefold() == name.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    listed = ", ".join(one_line(known) for known in classes[:20]) + (", …" if len(classes) > 20 else "")
    raise GalleryError(f"there is no class {one_line(name)!r}; the classes are {listed}")
