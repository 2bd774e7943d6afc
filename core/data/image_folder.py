"""A folder of the user's own images as a data set: decoded once, in parallel, and cached per user.

Layout, as torchvision's `ImageFolder` reads it: one sub-folder per class (sorted names; label i is the i-th
sub-folder), images anywhere below it. A folder with images and no sub-folders holding any is ONE class named
after the folder. Image files directly beside class sub-folders belong to no class and are left out (the notice
says so), as ImageFolder leaves them. Unlike ImageFolder, hidden files and folders (".DS_Store", macOS's "._x.png"
shadows, ".thumbnails") are ignored and a class sub-folder without images is left out instead of failing the load.

Shape. Every image becomes a square of side `size`: its shorter side is resized to `size` (Pillow's bicubic, which
filters when it shrinks) and the longer one centre-cropped; nothing is stretched. By default `size` is the median of
the images' shorter sides (the side of the square each keeps) rounded to the nearest multiple of 4, between 8 and
64. Colour: grey by default unless an image really is colour; an RGB file whose three channels are equal everywhere
counts as grey. Transparency is dropped (Pillow's RGBA→RGB keeps the colour under it). Photos are turned upright
as their EXIF orientation says (as viewers show them; ImageFolder does not), and 16-bit grey files are scaled to
8 bits (Pillow's own conversion clips them).

Speed. A header pass (Pillow reads a few hundred bytes per file) finds sizes and modes, then a pool of threads
decodes chunks of files straight into one preallocated uint8 N×C×S×S tensor (Pillow releases the GIL while it
decodes and resizes; JPEGs are decoded at a reduced scale with `draft`). The result is cached in the per-user
cache folder under a name made from the folder's path and the options, holding a digest of the folder's contents
(every image's relative path, byte size and modification time): a second load only lists the folder, checks the
digest and reads one file. Every file is opened through core.data.raster: regular files only (a FIFO named
`x.png` would block its reader forever), raster formats only (PostScript named `x.png` would go to Ghostscript),
at most its pixel cap; each refused file is skipped and named in the notice. Decoding and reading the cache never
import torchvision (1.5 s to import); its extension list is copied below and a test keeps the two equal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
from platformdirs import user_cache_dir

from core.atomic_write import FileWriteError, write_atomically
from core.data.decode_budget import DecodeBudget, decoded_bytes
from core.data.plain_text import one_line
from core.data.raster import RasterError, open_raster, reduced
from core.settings import FOLDER_MAX_SIZE, FOLDER_MIN_SIZE, folder_dataset_name

log = logging.getLogger(__name__)

__all__ = [
    "CACHE_DIR_ENV",
    "IMG_EXTENSIONS",
    "FolderError",
    "FolderImages",
    "FolderListing",
    "FolderLoadStopped",
    "default_cache_dir",
    "default_size",
    "list_image_folder",
    "progress_printer",
    "read_image_folder",
]

#: Overrides the per-user cache folder (platformdirs' user_cache_dir("convae-explorer")); folders cache in its
#: "folders" sub-folder.
CACHE_DIR_ENV = "CONVAE_CACHE_DIR"
#: torchvision.datasets.folder.IMG_EXTENSIONS (tests/core/data/test_image_folder.py checks they stay equal).
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
#: Bumped whenever decoding changes, so an older cache is rebuilt rather than trusted.
CACHE_FORMAT = "convae-folder-cache"
CACHE_VERSION = 1
#: Pillow modes that hold one grey channel (with or without alpha); anything else may be colour.
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F", "P;grey"})
#: The most memory the decoded images may take: past it the message suggests a smaller size or grey.
MAX_DECODED_BYTES = 4 * 2**30
#: A decode holds its decoded picture and up to two copies of it at once (16-bit: a numpy copy and a float one):
#: what it reserves of the load's DecodeBudget, in decoded pictures.
_RESERVED_COPIES = 3
#: Files each thread decodes per task: enough to amortise the pool's overhead, few enough for steady progress.
_CHUNK = 128

Progress = Callable[[int, int], None]


class FolderError(Exception):
    """A folder cannot be read as a data set; the message says why (core.data.datasets raises it as DatasetError)."""


class FolderLoadStopped(FolderError):
    """The load was asked to stop (Ctrl+C, the window's Stop) before it finished: nothing was loaded."""


#: Asked while a folder is listed and decoded (between folders, between files): True stops the load.
Stopped = Callable[[], bool]


def _never() -> bool:
    return False


def _check_stop(stopped: Stopped, root: Path) -> None:
    if stopped():
        raise FolderLoadStopped(f"stopped while reading {root}: nothing was loaded")


@dataclass(frozen=True)
class FolderImages:
    """A folder's images as read: core.data.datasets.load_image_folder makes the data set of them."""

    name: str  # folder:<absolute path>
    images: torch.Tensor  # uint8 N×C×S×S
    labels: torch.Tensor  # int64 N
    classes: tuple[str, ...]
    notice: str | None  # what was left out and why, in one message


@dataclass(frozen=True)
class FolderListing:
    """What a folder holds, before any image is opened: files by class, and what was left out."""

    root: Path
    classes: tuple[str, ...]
    files: tuple[str, ...]  # paths relative to root, in ImageFolder's order
    labels: tuple[int, ...]
    digest: str  # of every file's relative path, byte size and modification time
    loose_files: int  # images directly beside class sub-folders: in no class
    empty_classes: tuple[str, ...]  # sub-folders without images
    outside_links: tuple[str, ...] = ()  # links to folders outside the folder: not followed


def default_cache_dir() -> Path:
    """Where decoded folders are cached: $CONVAE_CACHE_DIR/folders, else the per-user cache folder's."""
    override = os.environ.get(CACHE_DIR_ENV)
    root = Path(override).expanduser() if override else Path(user_cache_dir("convae-explorer", appauthor=False))
    return root / "folders"


def default_size(shorter_sides: Sequence[int]) -> int:
    """The median shorter side rounded to the nearest multiple of 4 (halves round up), kept within 8–64."""
    median = statistics.median(shorter_sides)
    return int(min(FOLDER_MAX_SIZE, max(FOLDER_MIN_SIZE, 4 * math.floor(median / 4 + 0.5))))


def _is_image(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(IMG_EXTENSIONS)


def _inside(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


def _walk_images(
    folder: Path, root: Path, stopped: Stopped = _never, outside: list[str] | None = None
) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of every image below `folder`, in ImageFolder's order (sorted os.walk).

    Links to folders are followed, as ImageFolder follows them, but only while they stay inside `root`: a link to
    `/` or to a home folder would walk (and decode) every picture on the machine. A link leading out is listed in
    `outside` instead. A folder already seen (a link back up) is not entered twice; hidden folders not at all.
    `stopped` is asked at every folder, so a walk of a large tree ends when the user stops it.
    """
    root_real = os.path.realpath(root)
    seen = {os.path.realpath(folder)}
    visited = []
    for where, dirs, names in os.walk(folder, followlinks=True):
        _check_stop(stopped, root)
        kept = []
        for name in dirs:
            path = os.path.join(where, name)
            real = os.path.realpath(path)
            if name.startswith(".") or real in seen:
                continue
            if not _inside(real, root_real):
                if outside is not None:
                    outside.append(os.path.relpath(path, root))
                continue
            seen.add(real)
            kept.append(name)
        dirs[:] = kept
        visited.append((where, names))
    found = []
    for where, names in sorted(visited):
        for name in sorted(names):
            if _is_image(name):
                found.append(_entry(os.path.join(where, name), root))
    return found


def _entry(path: str, root: Path) -> tuple[str, int, int]:
    try:
        stat = os.stat(path)
    except OSError:  # listed but gone or unreadable: decoding counts it among the unreadable files
        return (os.path.relpath(path, root), -1, -1)
    return (os.path.relpath(path, root), stat.st_size, stat.st_mtime_ns)


def list_image_folder(path: str | os.PathLike, stopped: Stopped = _never) -> FolderListing:
    """The images of an ImageFolder-style folder (or a flat one) and their classes; FolderError if there are none,
    FolderLoadStopped as soon as `stopped()` is true."""
    root = Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
    if not root.exists():
        raise FolderError(f"the image folder {root} does not exist")
    if not root.is_dir():
        raise FolderError(f"{root} is a file, not a folder of images: point at the folder that holds the images")
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
        subfolders = [e.name for e in entries if not e.name.startswith(".") and e.is_dir()]
        loose = [e.name for e in entries if e.is_file() and _is_image(e.name)]
        outside: list[str] = []
        by_class = {name: _walk_images(root / name, root, stopped, outside) for name in subfolders}
    except OSError as error:
        raise FolderError(f"cannot read the image folder {root}: {error.strerror or error}") from error
    classes = [name for name in subfolders if by_class[name]]
    if classes:
        empty = tuple(name for name in subfolders if not by_class[name])
        entries_by_class = [(label, item) for label, name in enumerate(classes) for item in by_class[name]]
        loose_count = len(loose)
    else:  # a flat folder: one class, named after it
        classes, empty, loose_count = [root.name or str(root)], (), 0
        flat = [e.name for e in entries if _is_image(e.name) and not e.is_dir()]  # a FIFO too: decoding names it
        entries_by_class = [(0, _entry(str(root / name), root)) for name in flat]
    if not entries_by_class:
        raise FolderError(
            f"no images in {root}: put image files ({', '.join(IMG_EXTENSIONS)}) in it, or in one sub-folder per class"
        )
    digest = hashlib.sha256()
    for label, (relative, size, mtime) in entries_by_class:
        digest.update(f"{label}\0{relative}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return FolderListing(
        root,
        tuple(classes),
        tuple(item[0] for _, item in entries_by_class),
        tuple(label for label, _ in entries_by_class),
        digest.hexdigest(),
        loose_count,
        empty,
        tuple(outside),
    )


def read_image_folder(
    path: str | os.PathLike,
    size: int | None = None,
    colour: bool | None = None,
    progress: Progress | None = None,
    cache_dir: str | os.PathLike | None = None,
    threads: int | None = None,
    stopped: Stopped | None = None,
) -> FolderImages:
    """The images of a folder, named `folder:<absolute path>` (see the module docstring).

    size: side of the square images (a multiple of 4, 8–64); None: from the images' median size.
    colour: True for RGB, False for grey, None: colour if any image is.
    progress: called as progress(done, total) from this thread while images are decoded (not on a cache hit).
    cache_dir: where the decoded images are cached; None: default_cache_dir().
    threads: how many threads decode; None: one per CPU core this process may use, at most 8.
    stopped: asked between folders and between files (Ctrl+C and the window's Stop set the flag it reads): when it
    says True, FolderLoadStopped is raised within a file's decode and nothing is cached.
    Files that cannot be read are skipped and summed up in `notice`; FolderError if none can.
    """
    if size is not None and (not isinstance(size, int) or size % 4 or not FOLDER_MIN_SIZE <= size <= FOLDER_MAX_SIZE):
        raise FolderError(
            f"image size must be a multiple of 4 from {FOLDER_MIN_SIZE} to {FOLDER_MAX_SIZE}, got {size!r}"
        )
    stopped = stopped or _never
    listing = list_image_folder(path, stopped)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_file = cache / _cache_name(listing.root, size, colour)
    cached = _read_cache(cache_file, listing)
    if cached is not None:
        return cached
    found = _decode_listing(listing, size, colour, progress, threads or _workers(), stopped)
    _write_cache(cache_file, listing, found)
    return found


# --- decoding ------------------------------------------------------------------------------------------------------


def _workers() -> int:
    count = os.process_cpu_count() if hasattr(os, "process_cpu_count") else os.cpu_count()
    return max(1, min(8, count or 1))


def _chunks(count: int) -> list[range]:
    return [range(start, min(count, start + _CHUNK)) for start in range(0, count, _CHUNK)]


def _describe(error: BaseException) -> str:
    if isinstance(error, RasterError):  # a sentence already; the notice names the file
        return error.reason
    text = str(error).split("\n")[0].strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _read_headers(
    paths: list[str], pool: ThreadPoolExecutor, stopped: Stopped = _never
) -> list[tuple[int, int, str] | str]:
    """(width, height, mode) of each file from its header, or why it cannot be opened.

    Only headers are read here, so the pixel cap is left to decoding, which applies it after a JPEG's draft.
    """

    def header(indices: range) -> list[tuple[int, int, str] | str]:
        found: list[tuple[int, int, str] | str] = []
        for i in indices:
            if stopped():
                found.append("not read: the load was stopped")
                continue
            try:
                with open_raster(paths[i], max_pixels=None) as image:
                    grey_palette = image.mode == "P" and _palette_is_grey(image)
                    found.append((image.width, image.height, "P;grey" if grey_palette else image.mode))
            except Exception as error:  # Pillow raises many kinds for a bad file; each is a skip
                found.append(_describe(error))
        return found

    return [item for part in pool.map(header, _chunks(len(paths))) for item in part]


def _palette_is_grey(image) -> bool:
    palette = image.getpalette() or []
    return all(palette[i] == palette[i + 1] == palette[i + 2] for i in range(0, len(palette) - 2, 3))


#: Formats whose files may carry an EXIF orientation (a phone's photo taken upright is stored sideways).
_EXIF_FORMATS = frozenset({"JPEG", "MPO", "TIFF", "WEBP"})


#: EXIF orientation → the transposition that makes a picture upright (as ImageOps.exif_transpose applies them).
_ORIENTATIONS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
                 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


def _orientation(image) -> int:
    """The EXIF orientation a photo is stored with (1: upright), read from its header before it is decoded."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a damaged EXIF block only loses the rotation
        return 1
    return value if value in _ORIENTATIONS else 1


def _upright(picture, orientation: int):
    """The picture as viewers show it: rotated or mirrored as its EXIF orientation says."""
    from PIL import Image

    name = _ORIENTATIONS.get(orientation)
    return picture if name is None else picture.transpose(getattr(Image.Transpose, name))


def _shrunk(image, size: int, mode: str):
    """The decoded picture reduced by a whole factor to a shorter side still ≥ 2 × size (core.data.raster.reduced),
    so that the conversions after it work on a small picture, not on the megapixels a small file can declare."""
    return reduced(image, min(image.size) // (2 * size), palette_mode=mode)


def _eight_bit(image):
    """16-bit and 32-bit grey pictures scaled to 8 bits: Pillow's own conversion to L clips them at 255 instead.

    In float32 and in place: a float64 copy of a 64-megapixel 16-bit picture alone took 512 MB.
    """
    from PIL import Image

    if image.mode.startswith("I;16") or image.mode == "I":
        pixels = np.asarray(image, dtype=np.float32)
        if image.mode == "I" and pixels.max(initial=0) <= 255:
            return Image.fromarray(np.clip(pixels, 0, 255, out=pixels).astype(np.uint8))
        pixels /= 257.0
        pixels += 0.5
        return Image.fromarray(np.clip(pixels, 0, 255, out=pixels).astype(np.uint8))
    if image.mode == "F":
        pixels = np.array(image, dtype=np.float32)
        pixels *= 255.0 if pixels.max(initial=0) <= 1.0 else 1.0
        pixels += 0.5
        return Image.fromarray(np.clip(pixels, 0, 255, out=pixels).astype(np.uint8))
    return image


def _square(image, size: int, mode: str):
    """One opened picture as a size×size array in `mode`: reduced, turned upright, made 8-bit, cropped."""
    from PIL import Image, ImageOps

    orientation = _orientation(image) if image.format in _EXIF_FORMATS else 1
    picture = _eight_bit(_upright(_shrunk(image, size, mode), orientation)).convert(mode)
    if picture.size != (size, size):
        picture = ImageOps.fit(picture, (size, size), Image.Resampling.BICUBIC)
    return np.asarray(picture)


def _decode_listing(
    listing: FolderListing,
    size: int | None,
    colour: bool | None,
    progress: Progress | None,
    threads: int,
    stopped: Stopped = _never,
) -> FolderImages:

    paths = [str(listing.root / relative) for relative in listing.files]
    total = len(paths)
    failures: dict[int, str] = {}
    guessed_colour = colour is None
    # Ctrl+C where no handler turns it into the stop flag (render, export) raises KeyboardInterrupt in this waiting
    # thread: `halted` then stops the workers at their next file and the queued chunks are cancelled, so leaving the
    # pool waits for one file per thread, not for the rest of the folder.
    halted = threading.Event()
    asked = stopped

    def stopped() -> bool:
        return halted.is_set() or asked()

    with ThreadPoolExecutor(threads, thread_name_prefix="image-folder") as pool:
        try:
            if size is None or colour is None:
                headers = _read_headers(paths, pool, stopped)
                _check_stop(stopped, listing.root)
                failures.update({i: h for i, h in enumerate(headers) if isinstance(h, str)})
                good = [h for h in headers if not isinstance(h, str)]
                if not good:
                    raise _nothing_readable(listing, failures)
                if size is None:
                    size = default_size([min(w, h) for w, h, _ in good])
                if colour is None:
                    colour = any(mode not in _GREY_MODES for _, _, mode in good)
            channels = 3 if colour else 1
            if total * channels * size * size > MAX_DECODED_BYTES:
                raise FolderError(
                    f"the {total:,} images of {listing.root} would take "
                    f"{total * channels * size * size / 2**30:.1f} GiB at {channels}×{size}×{size}: "
                    f"choose a smaller image size{' or grey' if colour else ''}"
                )
            images = np.zeros((total, size, size, channels) if colour else (total, size, size), dtype=np.uint8)
            mode = "RGB" if colour else "L"

            unreadable = frozenset(failures)  # the workers read this; the loop below adds to `failures`
            budget = DecodeBudget()

            def decode(indices: range) -> dict[int, str]:
                failed: dict[int, str] = {}
                for i in indices:
                    if i in unreadable or stopped():
                        continue
                    try:
                        # JPEG: decoded at the smallest scale still ≥ size
                        with open_raster(paths[i], draft=(mode, (size, size))) as image:
                            # the decoded picture, a numpy copy of it and the reduced one: within the shared budget
                            need = _RESERVED_COPIES * decoded_bytes(image.width, image.height, image.mode)
                            with budget.reserve(need):
                                images[i] = _square(image, size, mode)
                    except Exception as error:  # truncated data, bombs, odd modes: each is a skip
                        failed[i] = _describe(error)
                return failed

            if progress is not None:
                progress(0, total)
            done = 0
            futures = {pool.submit(decode, part): len(part) for part in _chunks(total)}
            for future in as_completed(futures):
                failures.update(future.result())
                done += futures[future]
                if stopped():
                    for pending in futures:
                        pending.cancel()
                    continue
                if progress is not None:
                    progress(done, total)
        except BaseException:
            halted.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    _check_stop(stopped, listing.root)
    kept = [i for i in range(total) if i not in failures]
    if not kept:
        raise _nothing_readable(listing, failures)
    tensor = torch.from_numpy(images[kept] if len(kept) < total else images)
    tensor = tensor.permute(0, 3, 1, 2) if colour else tensor.unsqueeze(1)
    if guessed_colour and colour and (tensor[:, 0] == tensor[:, 1]).all() and (tensor[:, 1] == tensor[:, 2]).all():
        tensor = tensor[:, :1]  # RGB files of grey pictures: grey, as the user sees them
    labels = torch.tensor([listing.labels[i] for i in kept], dtype=torch.int64)
    return FolderImages(
        folder_dataset_name(listing.root), tensor.contiguous(), labels, listing.classes, _notice(listing, failures)
    )


def _nothing_readable(listing: FolderListing, failures: dict[int, str]) -> FolderError:
    first = next(iter(failures.items()), None)
    example = f" ({listing.files[first[0]]}: {first[1]})" if first else ""
    return FolderError(
        f"none of the {len(listing.files):,} image files in {listing.root} could be read{example}: "
        "are they really images?"
    )


def _notice(listing: FolderListing, failures: dict[int, str]) -> str | None:
    """One message for everything that was left out, or None when every image made it in."""
    parts = []
    if failures:
        examples = "; ".join(f"{listing.files[i]}: {why}" for i, why in sorted(failures.items())[:3])
        more = "; …" if len(failures) > 3 else ""
        parts.append(
            f"{len(failures):,} of {len(listing.files):,} image files could not be read and were skipped "
            f"({examples}{more})"
        )
    if listing.loose_files:
        parts.append(
            f"{listing.loose_files:,} image files directly in the folder belong to no class sub-folder and were "
            "left out"
        )
    if listing.outside_links:
        names = ", ".join(listing.outside_links[:5]) + (", …" if len(listing.outside_links) > 5 else "")
        parts.append(f"links to folders outside it were not followed: {names}")
    if listing.empty_classes:
        names = ", ".join(listing.empty_classes[:5]) + (", …" if len(listing.empty_classes) > 5 else "")
        parts.append(f"sub-folders without images were left out: {names}")
    return f"{listing.root}: " + ". ".join(parts) + "." if parts else None


# --- the cache ----------------------------------------------------------------------------------------------------


def _cache_name(root: Path, size: int | None, colour: bool | None) -> str:
    """One cache file per folder and options: a changed folder replaces its file instead of adding one."""
    key = json.dumps([os.fsencode(root).hex(), size, colour])
    return hashlib.sha256(key.encode()).hexdigest()[:32] + ".safetensors"


def _read_cache(path: Path, listing: FolderListing) -> FolderImages | None:
    """The cached images if `path` holds them for exactly these contents; None (never an error) otherwise."""
    from safetensors import safe_open

    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            if meta.get("format") != CACHE_FORMAT or meta.get("version") != str(CACHE_VERSION):
                return None
            if meta.get("contents") != listing.digest:
                return None
            images, labels = handle.get_tensor("images"), handle.get_tensor("labels")
        classes = tuple(json.loads(meta["classes"]))
        notice = json.loads(meta["notice"])
        found = FolderImages(folder_dataset_name(listing.root), images, labels, classes, notice)
        return found if _plausible(found) else None
    except Exception as error:  # a truncated, corrupt or foreign file is rebuilt, never fatal
        log.warning("ignoring the unreadable image cache %s: %s", path, _describe(error))
        return None


def _plausible(found: FolderImages) -> bool:
    """Whether cached tensors are what decoding makes: a file that parses but holds other things is rebuilt."""
    images, labels = found.images, found.labels
    shape_ok = images.dtype == torch.uint8 and images.ndim == 4 and images.shape[1] in (1, 3)
    shape_ok = shape_ok and images.shape[2] == images.shape[3] and FOLDER_MIN_SIZE <= images.shape[2] <= FOLDER_MAX_SIZE
    labels_ok = labels.dtype == torch.int64 and labels.shape == (len(images),) and len(images) > 0
    names_ok = bool(found.classes) and all(isinstance(c, str) for c in found.classes)
    notice_ok = found.notice is None or isinstance(found.notice, str)
    return (
        shape_ok
        and labels_ok
        and names_ok
        and notice_ok
        and bool(((labels >= 0) & (labels < len(found.classes))).all())
    )


def _write_cache(path: Path, listing: FolderListing, found: FolderImages) -> None:
    """Write the cache atomically; a cache that cannot be written only costs the next load its speed."""
    from safetensors.torch import save

    metadata = {
        "format": CACHE_FORMAT,
        "version": str(CACHE_VERSION),
        "contents": listing.digest,
        "folder": one_line(str(listing.root)),  # for people reading the file: safetensors takes UTF-8 text only
        "classes": json.dumps(list(found.classes)),
        "notice": json.dumps(found.notice),
    }
    payload = save({"images": found.images, "labels": found.labels}, metadata)
    try:
        write_atomically(path, payload)
    except FileWriteError as error:
        log.warning("could not cache the decoded images of %s: %s", listing.root, error)


def progress_printer(
    what: str, stream: TextIO | None = None, interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> Progress:
    """A progress callback that writes 'what: done of total images' to `stream` (stderr) about once a second.

    Nothing for a load that ends within the first second; once it has printed, it also prints the last count.
    """
    return progress_reporter(what, lambda line: print(line, file=stream or sys.stderr, flush=True), interval_s, clock)


def progress_reporter(
    what: str, say: Callable[[str], None], interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> Progress:
    """A progress callback that hands 'what: done of total images' to `say` (a line printer, the window's banner)
    about every `interval_s`: nothing for a load that ends within the first interval (a cached folder), and the
    last count once it has said anything."""
    last: float | None = None  # when it last said something; the first call starts the clock
    said = False

    def report(done: int, total: int) -> None:
        nonlocal last, said
        now = clock()
        if last is None:
            last = now
        if (now - last >= interval_s and done < total) or (done == total and said):
            last, said = now, True
            say(f"{what}: {done:,} of {total:,} images")

    return report
