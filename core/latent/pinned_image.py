"""The user's own picture placed in one snapshot's latent space: its code, where it lies on the view plane, what the
decoder makes of it, and the display images nearest to it, all from that one network state (core.latent.view).

The window re-pins the picture at every snapshot (in a worker thread), so the star it draws moves as the network
trains; `convae-explorer render drawing` pins it once on a checkpoint's snapshot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.latent.own_picture import ImageFormat, to_dataset_format
from core.latent.view import SnapshotView

#: How many nearest display images the dock names ("closest: 1 1 7 1 1").
NEAREST = 5

_FORMATS: dict[bytes, ImageFormat] = {}


@dataclass(frozen=True)
class PinnedImage:
    step: int
    where: str  # "step 1,234 (epoch 2.50)", as captions say it
    image: np.ndarray  # (C, S, S) uint8: the picture as the network sees it
    code: np.ndarray  # (D,) float32
    xy: tuple[float, float]  # on the view's plane
    reconstruction: np.ndarray  # (C, S, S) float32 0–1: the code through this snapshot's decoder
    nearest: np.ndarray  # (k,) int64 display indices, nearest first (in the full latent space)
    nearest_labels: tuple[str, ...]


def format_of(view: SnapshotView) -> ImageFormat:
    """The data set's image format read from the view's display images (cached: every snapshot shares them)."""
    images = np.ascontiguousarray(view.snapshot.display_images)
    key = hashlib.blake2b(images.data, digest_size=16).digest() + repr(images.shape).encode()
    found = _FORMATS.get(key)
    if found is None:
        if len(_FORMATS) > 8:
            _FORMATS.clear()
        found = _FORMATS[key] = ImageFormat.of_images(images)
    return found


#: The last picture file converted, with its format and result: the window pins the same picture at every snapshot,
#: and a snapshot's format is the same until the data changes, so it is converted once, not at every snapshot.
_LAST: list[tuple[Image.Image, ImageFormat, np.ndarray]] = []


def as_network_input(view: SnapshotView, picture: Image.Image | np.ndarray) -> np.ndarray:
    """The picture converted to the view's data format (C×S×S uint8); the same picture (the same Image object, as
    read_picture gave it) in the same format is converted once. Arrays (a canvas drawing) are converted each time:
    they change in place."""
    form = format_of(view)
    if isinstance(picture, Image.Image):
        if _LAST and _LAST[0][0] is picture and _LAST[0][1] == form:
            return _LAST[0][2].copy()
        converted = to_dataset_format(picture, form)
        _LAST[:] = [(picture, form, converted)]
        return converted.copy()
    return to_dataset_format(picture, form)


def pin_image(view: SnapshotView, image: np.ndarray, nearest: int = NEAREST) -> PinnedImage:
    """Encode `image` (C×S×S uint8, already in the data's format) with the view's encoder and place it."""
    code = view.encode(image[None])[0]
    x, y = (float(v) for v in view.plane.to_plane(code[None])[0])
    found = view.neighbours.nearest(code, nearest)
    return PinnedImage(
        step=view.snapshot.step,
        where=view.where,
        image=image,
        code=code,
        xy=(x, y),
        reconstruction=view.decode(code[None])[0],
        nearest=found.indices,
        nearest_labels=tuple(view.label_of(int(i)) for i in found.indices),
    )
