"""Loading a folder of the user's own images: the first time (list, read headers, decode, resize) and from the cache.

The folder is written once into a temporary directory: 10,000 small PNGs in ten class sub-folders, 8,000 grey
28×28 digits (digits-5k's 5,000, and 3,000 of them again mirrored) and 2,000 RGB 32×32 ones (digits tinted in a
colour per class, on a 32×32 canvas). Read with the defaults, as `--dataset folder:PATH` reads it, that makes a
colour set at the median size, 28: the grey files are decoded and repeated into three channels, the RGB ones
decoded and resized. The files sit in the OS's page cache, as after copying them; a cold disk adds its read time.
Each first load starts from an empty cache folder; the second loads read the cache the first one wrote.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from core.bench.common import Progress, median, spread
from core.bench.figures import Figure
from core.data.datasets import ImageDataset, load_image_folder
from core.data.image_folder import _workers, read_image_folder

FIRST_GOAL = 2_000.0  # images/s, the first time
CACHED_GOAL_S = 1.0  # the second time
GREY_COUNT, COLOUR_COUNT = 8_000, 2_000
#: A tint per class for the RGB digits (matplotlib's tab10).
_TINTS = np.array(
    [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
     (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)], np.float32
) / 255.0  # fmt: skip


def write_bench_folder(root: Path, digits: ImageDataset) -> int:
    """The 10,000 PNGs described in the module docstring, under root/<digit>/; returns how many were written."""
    from PIL import Image

    images = digits.train.images[:, 0].numpy()
    labels = digits.train.labels.numpy()
    for name in digits.classes:
        (root / name).mkdir(parents=True, exist_ok=True)
    for i in range(GREY_COUNT):
        j = i % len(images)
        picture = images[j] if i < len(images) else images[j, :, ::-1]
        Image.fromarray(np.ascontiguousarray(picture)).save(root / digits.classes[labels[j]] / f"g{i:05d}.png")
    for i in range(COLOUR_COUNT):
        j = (i * 7) % len(images)
        canvas = np.zeros((32, 32, 3), np.float32)
        canvas[2:30, 2:30] = images[j][..., None] * _TINTS[labels[j]]
        Image.fromarray(canvas.round().astype(np.uint8)).save(root / digits.classes[labels[j]] / f"c{i:05d}.png")
    return GREY_COUNT + COLOUR_COUNT


def measure_folder_load(digits: ImageDataset, quick: bool, say: Progress) -> list[Figure]:
    say(f"image folder: writing {GREY_COUNT + COLOUR_COUNT:,} PNGs, then loading them (first time, from the cache)")
    first_repeats, cached_repeats = (1, 3) if quick else (3, 5)
    threads = _workers()
    with tempfile.TemporaryDirectory(prefix="convae-bench-folder-") as temporary:
        root = Path(temporary) / "images"
        count = write_bench_folder(root, digits)
        rates, one_thread, cached = [], [], []
        dataset = None
        for repeat in range(first_repeats):
            cache = Path(temporary) / f"cache-{repeat}"
            start = time.perf_counter()
            dataset = load_image_folder(root, cache_dir=cache)
            rates.append(count / (time.perf_counter() - start))
            if not quick:  # the same work on one thread: what the pool adds
                start = time.perf_counter()
                read_image_folder(root, cache_dir=Path(temporary) / f"single-{repeat}", threads=1)
                one_thread.append(count / (time.perf_counter() - start))
        for _ in range(cached_repeats):
            start = time.perf_counter()
            again = load_image_folder(root, cache_dir=cache)
            cached.append(time.perf_counter() - start)
    assert dataset is not None and len(again.train) == len(dataset.train) == count
    shape = "×".join(str(n) for n in dataset.train.images.shape)
    rate, seconds = median(rates), median(cached)
    pool_note = f"; on 1 thread {median(one_thread):,.0f} img/s" if one_thread else ""
    return [
        Figure(
            f"image folder, first load ({count:,} small PNGs: decode + resize)",
            rate,
            "img/s",
            goal=f"≥ {FIRST_GOAL:,.0f}",
            met=rate >= FIRST_GOAL,
            n=len(rates),
            detail=f"core.data.datasets.load_image_folder, {threads} decoding threads{pool_note}; {GREY_COUNT:,} grey "
            f"28×28 + {COLOUR_COUNT:,} RGB 32×32 → uint8 {shape}; range {spread(rates)} img/s",
        ),
        Figure(
            "image folder, second load (from the cache)",
            seconds,
            "s",
            goal=f"≤ {CACHED_GOAL_S:g}",
            met=seconds <= CACHED_GOAL_S,
            n=len(cached),
            detail=f"lists the folder, checks its digest, reads one file of {dataset.train.images.nbytes / 2**20:.0f} "
            "MiB",
        ),
    ]
