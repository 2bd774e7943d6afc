"""Opening a user's image file safely: the one way core opens a picture it did not write itself.

A file's name says nothing about what it holds, and Pillow, asked to open "any image", tries every format it knows,
among them EPS, whose plugin hands the file to Ghostscript (`gs`): PostScript saved as `evil.png` would run a
program (a 60-byte `{ } loop` never ends). A FIFO or a device named `x.png` blocks `open(2)` forever, with no
signal able to end the read. So a user's picture is opened only:

- when it is a regular file (checked before it is opened, and again on the open descriptor, which is opened with
  O_NONBLOCK so that a FIFO swapped in between the two never blocks);
- with the raster formats the README promises (`RASTER_FORMATS`: PNG, JPEG, BMP, GIF, TIFF, WebP, PPM/PGM), never
  a format that interprets a program;
- when its size, read from its header before anything is decoded, is at most `MAX_PIXELS`: a small file can
  declare a huge picture (a decompression bomb).

Everything refused raises RasterError with a sentence that names the file and says why.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image, UnidentifiedImageError

#: Pillow's names of the formats a user's picture may be in (a phone's JPEG with a preview image opens as MPO
#: through JPEG's own opener).
RASTER_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")
#: In words, for messages.
RASTER_FORMATS_TEXT = "PNG, JPEG, BMP, GIF, TIFF, WebP, PPM/PGM"
#: Pictures larger than this many pixels are refused before they are decoded (8000×8000): well below Pillow's own
#: bomb limit, whose ~179 megapixels of 16-bit grey already take gigabytes to decode.
MAX_PIXELS = 64_000_000
#: How PostScript files begin (plain, and the binary header of DOS EPS): said in so many words when refused.
_POSTSCRIPT_STARTS = (b"%!", b"\xc5\xd0\xd3\xc6")


class RasterError(Exception):
    """A file that is not a picture this reads; the message names it and says why in words a user reads.

    `reason` is the message without the name, for a list that names each file already.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} {reason}")
        self.reason = reason


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(name: str, mode: int) -> RasterError:
    return RasterError(name, f"is {_kind(mode)}, not a picture file: it was not read")


@contextmanager
def regular_file(path: str | os.PathLike) -> Iterator:
    """A regular file open for binary reading; RasterError for anything else (a FIFO, a device, a folder, missing).

    Never blocks: the type is checked with stat before the file is opened, and the descriptor is opened with
    O_NONBLOCK and checked again, so a FIFO put in the file's place between the two is refused too.
    """
    name = os.fsdecode(os.path.basename(os.fspath(path))) or os.fsdecode(os.fspath(path))
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(name, mode)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise RasterError(name, "does not exist") from None
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise RasterError(name, f"could not be opened: {getattr(error, 'strerror', None) or error}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(name, mode)
        handle = os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise
    with handle:
        yield handle


@contextmanager
def open_raster(
    path: str | os.PathLike, draft: tuple[str, tuple[int, int]] | None = None, max_pixels: int | None = MAX_PIXELS
) -> Iterator[Image.Image]:
    """The picture in `path`, opened (header read, pixels not yet decoded) for the `with` block; RasterError if not.

    draft: (mode, (width, height)) asks a JPEG to decode at the smallest scale still at least that size
    (Image.draft); the pixel cap then applies to the reduced size, so a large photo drafted small is still read.
    max_pixels: None for a caller that reads the header only and decodes nothing (Pillow's own bomb limit stays).
    Only opening is guarded here: errors raised while the caller decodes inside the block are the caller's to
    catch, as Pillow raises them.
    """
    name = os.fsdecode(os.path.basename(os.fspath(path)))
    with regular_file(path) as handle:
        try:
            image = Image.open(handle, formats=RASTER_FORMATS)
        except UnidentifiedImageError:
            raise _unidentified(name, handle) from None
        except Image.DecompressionBombError:
            raise RasterError(name, "declares a picture too large to decode safely") from None
        except (OSError, ValueError, SyntaxError, EOFError) as error:  # Pillow's plugins raise these for bad headers
            raise RasterError(name, f"could not be read: {error}") from None
        with image:
            if draft is not None:
                image.draft(*draft)
            if max_pixels is not None and image.width * image.height > max_pixels:
                raise RasterError(
                    name, f"is too large ({image.width:,}×{image.height:,} pixels; at most {max_pixels:,} are read)"
                )
            yield image


def _unidentified(name: str, handle) -> RasterError:
    handle.seek(0)
    start = handle.read(4)
    if start.startswith(_POSTSCRIPT_STARTS):
        return RasterError(name, "holds PostScript, a program, not a picture: it was not run or read")
    return RasterError(name, f"is not a picture this can read ({RASTER_FORMATS_TEXT})")


def reduced(image: Image.Image, factor: int, palette_mode: str = "RGBA") -> Image.Image:
    """The decoded picture made `factor` times smaller on each side by box averages (itself for a factor below 2).

    A small file can declare up to MAX_PIXELS: conversions after this work on the reduced picture instead of on
    gigabytes of floats. Pillow cannot reduce 16-bit grey (done in numpy here) nor palettes and 1-bit pictures
    (converted to `palette_mode` first, the mode they would end up in anyway).
    """
    import numpy as np

    if factor < 2:
        return image
    if image.mode.startswith("I;16"):
        pixels = np.asarray(image)
        rows, columns = max(1, pixels.shape[0] // factor), max(1, pixels.shape[1] // factor)
        blocks = pixels[: rows * factor, : columns * factor].reshape(rows, factor, columns, factor)
        return Image.fromarray((blocks.mean(axis=(1, 3), dtype=np.float32) + 0.5).astype(np.uint16))
    if image.mode in ("1", "P", "PA"):
        image = image.convert(palette_mode)
    return image.reduce(factor)
