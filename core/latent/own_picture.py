"""The user's own picture made to look like the data set's images, so the network sees it as it saw its training data.

A drawing on the canvas or a dropped photo has any size, any colours and its stroke anywhere; the network knows only
C×S×S images shaped like its data. Rather than a table of rules per data set name, the format is read from the data
set's own images (`ImageFormat.of_images`), so MNIST, the built-in digits, KMNIST, Fashion-MNIST and image folders
each get what fits them:

- **size and channels**: S×S and C, as the data (a colour picture on a grey model goes grey; a grey drawing on a
  colour model is white on black in all three channels);
- **light on a dark background** (MNIST's white ink on black): when the data's image borders are black, a picture
  whose own border is light (dark ink on white paper, mean border brightness > 0.5) is inverted;
- **MNIST's framing** (LeCun et al.: each digit's bounding box scaled to fit 20×20 keeping its aspect ratio, then
  placed so its centre of mass lies at the centre of the 28×28 field): when the data's ink always spans the same
  box smaller than the image (20 of 28 for MNIST and the built-in digits; Fashion-MNIST's items fill the frame, so
  they are not framed), the picture's ink is cropped to its bounding box, scaled so its longer side spans that box,
  and shifted so its centre of mass lands where the data's lies. This decides where a drawing lands in latent
  space: a "1" drawn small in a corner and the same "1" drawn large in the middle become the same 28×28 image.
- anything else (photos on a colour model): the central square is cropped and resized to S×S.

No Qt here; Pillow does the resampling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.data.raster import MAX_PIXELS, RasterError, open_raster, reduced

#: A data set whose image borders are darker than this (0–1) is drawn light on dark, like MNIST (≈ 0.0002).
DARK_BACKGROUND = 0.1
#: A picture whose border is brighter than this (0–1) is dark ink on light paper: inverted for a dark data set.
LIGHT_PAPER = 0.5
#: Pixels at least this fraction of the brightest one count as ink when finding a stroke's bounding box.
INK = 0.2
#: How many of the data's images are looked at to read its format (enough for stable medians, and quick).
SAMPLE = 512
#: The longer side of the picture kept of a file: the network's images are at most 64 pixels, and the conversion
#: works in floats (an 8000×8000 picture at the pixel cap took 3.8 GB in `render drawing`).
WORKING_SIDE = 1024


class PictureError(Exception):
    """A file that is not a picture this can read; the message says so in words a user reads."""


@dataclass(frozen=True)
class ImageFormat:
    """What the data set's images look like: the picture is converted to match."""

    channels: int
    size: int
    dark_background: bool  # the data is light on black (MNIST): dark-on-light pictures are inverted
    box: int | None = None  # the longer side of the ink's bounding box in the data (20 for MNIST); None: not framed
    centre: tuple[float, float] = (0.0, 0.0)  # where the data's ink has its centre of mass (row, column)

    @classmethod
    def of_images(cls, images: np.ndarray) -> ImageFormat:
        """Read the format from the data's images (N×C×S×S uint8), e.g. a snapshot's display images."""
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[2] != images.shape[3] or not len(images):
            raise ValueError(f"images must be N×C×S×S with N ≥ 1, got shape {images.shape}")
        channels, size = int(images.shape[1]), int(images.shape[2])
        sample = images[np.linspace(0, len(images) - 1, min(SAMPLE, len(images))).astype(np.int64)]
        grey = sample.astype(np.float32).mean(axis=1) / 255.0  # N×S×S
        if border_mean(grey) >= DARK_BACKGROUND:
            return cls(channels, size, dark_background=False)
        extents, centres = [], []
        for image in grey:
            found = _ink_box(image)
            if found is None:
                continue
            top, bottom, left, right = found
            extents.append(max(bottom - top, right - left))
            centres.append(centre_of_mass(image))
        if not extents:
            return cls(channels, size, dark_background=True)
        box = round(float(np.median(extents)))
        # Framed data (MNIST: always 20 of 28) leaves a margin of at least two pixels round nearly every image.
        framed = box <= size - 4 and float(np.percentile(extents, 95)) <= box + 1
        row, column = np.median(np.asarray(centres), axis=0)
        return cls(channels, size, True, box if framed else None, (float(row), float(column)))


def border_mean(grey: np.ndarray) -> float:
    """Mean brightness (0–1) of the outermost ring of pixels of one image (H×W) or many (N×H×W)."""
    grey = np.asarray(grey, np.float32)
    ring = np.concatenate([grey[..., 0, :], grey[..., -1, :], grey[..., 1:-1, 0], grey[..., 1:-1, -1]], axis=-1)
    return float(ring.mean())


def centre_of_mass(grey: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's brightness-weighted centre; the middle of the image when it is all black."""
    grey = np.asarray(grey, np.float64)
    total = grey.sum()
    if total <= 0:
        return (grey.shape[0] - 1) / 2, (grey.shape[1] - 1) / 2
    rows, columns = np.indices(grey.shape)
    return float((grey * rows).sum() / total), float((grey * columns).sum() / total)


def _ink_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """top, bottom, left, right (bottom, right exclusive) of the pixels at least INK of the brightest; None: blank."""
    peak = float(grey.max())
    if peak <= 0.02:  # nothing drawn (or only noise)
        return None
    rows = np.nonzero((grey >= INK * peak).any(axis=1))[0]
    columns = np.nonzero((grey >= INK * peak).any(axis=0))[0]
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def read_picture(path: str | os.PathLike) -> Image.Image:
    """The picture in a PNG, JPEG or other raster file (core.data.raster); PictureError with a plain reason otherwise.

    Opened through core.data.raster only: a FIFO is never read, PostScript never reaches Ghostscript, and a picture
    of more than MAX_PIXELS is refused before it is decoded.
    The picture kept is at most WORKING_SIDE pixels on its longer side (a JPEG is decoded small, anything else
    reduced by a whole factor, then resized), so converting it, at every snapshot in the window, costs little.
    """
    name = os.path.basename(os.fspath(path))
    try:
        with open_raster(path, draft=("RGB", (WORKING_SIDE, WORKING_SIDE)), max_pixels=MAX_PIXELS) as image:
            image.load()
            return working_copy(image)
    except RasterError as error:
        raise PictureError(str(error)) from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise PictureError(f"{name} could not be read: {error}") from None


def working_copy(image: Image.Image) -> Image.Image:
    """A picture of its own (not tied to the file) whose longer side is at most WORKING_SIDE, aspect kept."""
    keep_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    picture = reduced(image, max(image.size) // WORKING_SIDE, palette_mode="RGBA" if keep_alpha else "RGB")
    if max(picture.size) > WORKING_SIDE:
        if picture.mode not in ("L", "RGB", "RGBA", "LA", "F", "I"):
            picture = picture.convert("RGBA" if keep_alpha else "RGB")
        scale = WORKING_SIDE / max(picture.size)
        target = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(target, Image.Resampling.LANCZOS)
    return picture.copy() if picture is image else picture


def as_array(picture: Image.Image | np.ndarray) -> np.ndarray:
    """A picture as H×W×3 floats 0–1 over a background that keeps its ink visible (transparent areas filled)."""
    if isinstance(picture, np.ndarray):
        array = np.asarray(picture)
        if array.dtype != np.uint8:  # floats 0–1
            array = np.clip(np.nan_to_num(array.astype(np.float32)), 0.0, 1.0)
            array = (array * 255 + 0.5).astype(np.uint8)
        if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[2] not in (1, 3, 4):
            array = np.moveaxis(array, 0, -1)  # C×H×W
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[..., 0]
        if array.ndim not in (2, 3) or min(array.shape[:2]) < 1:
            raise PictureError(f"a picture must be H×W or H×W×C, got shape {array.shape}")
        picture = Image.fromarray(array)
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = np.asarray(picture.convert("RGBA"), np.float32) / 255.0
        colour, alpha = rgba[..., :3], rgba[..., 3:]
        opaque = alpha[..., 0] > 0.5
        ink_is_light = bool(opaque.any()) and float(colour[opaque].mean()) > 0.5
        paper = 0.0 if ink_is_light else 1.0  # white ink on a transparent sheet goes on black, dark ink on white
        return colour * alpha + paper * (1 - alpha)
    return np.asarray(picture.convert("RGB"), np.float32) / 255.0


def to_dataset_format(picture: Image.Image | np.ndarray, form: ImageFormat) -> np.ndarray:
    """The picture as one of the data set's images: C×S×S uint8 (see the module docstring for each step)."""
    rgb = as_array(picture)
    grey = rgb.mean(axis=2)
    if form.dark_background and border_mean(grey) > LIGHT_PAPER:
        rgb, grey = 1.0 - rgb, 1.0 - grey
    if form.dark_background and form.box is not None:
        framed = _frame_like_digits(grey if form.channels == 1 else rgb, form)
    else:
        framed = _square(grey if form.channels == 1 else rgb, form.size)
    if framed.ndim == 2:
        framed = framed[None] if form.channels == 1 else np.repeat(framed[None], form.channels, axis=0)
    else:
        framed = np.moveaxis(framed, -1, 0)[: form.channels]
    return (np.clip(framed, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)


def _resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample H×W or H×W×3 floats with Pillow's antialiased Lanczos filter (one float channel at a time)."""
    if array.ndim == 2:
        image = Image.fromarray(np.ascontiguousarray(array, np.float32), mode="F")
        return np.asarray(image.resize((width, height), Image.Resampling.LANCZOS), np.float32)
    return np.stack([_resize(array[..., c], height, width) for c in range(array.shape[2])], axis=-1)


def _square(array: np.ndarray, size: int) -> np.ndarray:
    """The central square of the picture, resized to size×size (torchvision's Resize + CenterCrop)."""
    height, width = array.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return _resize(array[top : top + side, left : left + side], size, size)


def _frame_like_digits(array: np.ndarray, form: ImageFormat) -> np.ndarray:
    """MNIST's framing: ink's bounding box scaled into form.box keeping aspect, centre of mass at form.centre."""
    grey = array if array.ndim == 2 else array.mean(axis=2)
    found = _ink_box(grey)
    shape = (form.size, form.size, *array.shape[2:])
    if found is None:
        return np.zeros(shape, np.float32)
    top, bottom, left, right = found
    ink = array[top:bottom, left:right]
    scale = form.box / max(bottom - top, right - left)
    height = max(1, min(form.box, round((bottom - top) * scale)))
    width = max(1, min(form.box, round((right - left) * scale)))
    small = np.clip(_resize(ink, height, width), 0.0, 1.0)
    row, column = centre_of_mass(small if small.ndim == 2 else small.mean(axis=2))
    # whole-pixel shifts, as MNIST's were: the ink stays as sharp as the data's
    shift_row, shift_column = round(form.centre[0] - row), round(form.centre[1] - column)
    shift_row = int(np.clip(shift_row, 0, form.size - height))
    shift_column = int(np.clip(shift_column, 0, form.size - width))
    out = np.zeros(shape, np.float32)
    out[shift_row : shift_row + height, shift_column : shift_column + width] = small
    return out
