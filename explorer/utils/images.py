"""numpy images (floats 0–1 or uint8) to Qt pixmaps, scaled with nearest-neighbour so pixels stay crisp."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_uint8(image: np.ndarray) -> np.ndarray:
    """C×H×W or H×W, floats in 0–1 (fixed range, no auto-levels) or uint8, to H×W[×3] uint8.

    One channel is grey, three are red, green, blue; a second or fourth channel (alpha) is not drawn."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(np.nan_to_num(array, nan=0.0), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)  # NaN: black
    if array.ndim == 3:
        array = array[0] if array.shape[0] < 3 else np.moveaxis(array[:3], 0, -1)
    return np.ascontiguousarray(array)


def to_qimage(image: np.ndarray) -> QImage:
    """C×H×W or H×W (floats 0–1 or uint8) to a QImage that owns its pixels."""
    return _qimage_of(to_uint8(image))


def _qimage_of(array: np.ndarray) -> QImage:
    """H×W or H×W×3 uint8 (what to_uint8 returns: not again through to_uint8, which would read H×W×3 as C×H×W)."""
    array = np.ascontiguousarray(array)
    height, width = array.shape[:2]
    if array.ndim == 2:
        qimage = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    return qimage.copy()  # own the pixels: the numpy buffer may go away


def to_pixmap(image: np.ndarray, scale: int) -> QPixmap:
    """Enlarged by whole pixels in numpy (each a scale×scale block): crisp, and ~20× cheaper than QImage.scaled."""
    array = to_uint8(image)
    if scale > 1:
        array = np.repeat(np.repeat(array, scale, axis=0), scale, axis=1)
    return QPixmap.fromImage(_qimage_of(array))


@lru_cache(maxsize=64)
def nearest_indices(length: int, size: int) -> np.ndarray:
    """The source pixel of each of `size` output pixels (nearest neighbour); whole blocks when size is a multiple."""
    indices = np.arange(size) * length // size
    indices.setflags(write=False)
    return indices


def to_sized_pixmap(image: np.ndarray, width: int, height: int) -> QPixmap:
    """Resized to width×height pixels by nearest neighbour in numpy: crisp; whole blocks (as to_pixmap) when the size
    is a whole multiple, else a gather through cached index arrays (pixels then differ by at most one in size)."""
    array = to_uint8(image)
    height, width = max(1, height), max(1, width)
    if height % array.shape[0] == 0 and width % array.shape[1] == 0:
        array = np.repeat(np.repeat(array, height // array.shape[0], axis=0), width // array.shape[1], axis=1)
    else:
        array = array.take(nearest_indices(array.shape[0], height), axis=0)
        array = array.take(nearest_indices(array.shape[1], width), axis=1)
    return QPixmap.fromImage(_qimage_of(array))


def fit_scale(width: int, height: int, box_width: int, box_height: int, smallest: int, largest: int) -> float:
    """The factor that shows an image of width×height pixels in a box: whole pixels where one fits and reaches
    `smallest` on the long side, else a fraction (nearest neighbour, still crisp); never past `largest` on the long
    side, never under `smallest` (the box may be too small then: the caller decides what gives way)."""
    long_side = max(height, width)
    room = min(box_width / width, box_height / height, max(largest, 1) / long_side)
    whole = int(room)
    if whole >= 1 and whole * long_side >= smallest:
        return float(whole)
    return max(room, smallest / long_side)


def _unit_float(images: np.ndarray) -> np.ndarray:
    array = np.asarray(images)
    return array / np.float32(255.0) if array.dtype == np.uint8 else array


def tile_rows(rows: list[np.ndarray], gap: int = 2, fill: float = 1.0) -> np.ndarray:
    """Lay rows of C×H×W images (floats 0–1 or uint8) into one C×H'×W' float image, `gap` pixels between tiles."""
    rows = [_unit_float(row) for row in rows]
    count = max(len(r) for r in rows)
    channels, height, width = rows[0].shape[1:]
    out = np.full((channels, len(rows) * (height + gap) - gap, count * (width + gap) - gap), fill, np.float32)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            y, x = r * (height + gap), c * (width + gap)
            out[:, y : y + height, x : x + width] = tile
    return out


def balanced_rows(count: int, columns: int) -> list[int]:
    """How many of `count` images each row holds when rows are at most `columns` long: as few rows as that allows,
    as even as possible (15 in rows of ≤ 11 → 8 + 7, not 11 + 4); the longer rows come first."""
    if count <= 0:
        return []
    rows = -(-count // max(1, columns))
    base, extra = divmod(count, rows)
    return [base + 1] * extra + [base] * (rows - extra)


def tile_pairs(originals: np.ndarray, reconstructions: np.ndarray, columns: int, gap: int = 2) -> np.ndarray:
    """Originals over their reconstructions, at most `columns` per row with rows as even as possible (see
    balanced_rows), pairs of rows separated by a wider gap; the picture is `columns` tiles wide."""
    originals, reconstructions = _unit_float(originals), _unit_float(reconstructions)
    blank = np.ones_like(originals[:1])
    pairs: list[np.ndarray] = []
    start = 0
    for length in balanced_rows(len(originals), columns):
        pair = []
        for source in (originals, reconstructions):
            chunk = source[start : start + length]
            if len(chunk) < columns:
                chunk = np.concatenate([chunk, np.repeat(blank, columns - len(chunk), axis=0)])
            pair.append(chunk)
        pairs.append(tile_rows(pair, gap=gap))
        start += length
    spacer = np.ones((pairs[0].shape[0], gap * 4, pairs[0].shape[2]), np.float32)
    stacked: list[np.ndarray] = []
    for pair in pairs:
        stacked.extend([pair, spacer])
    return np.concatenate(stacked[:-1], axis=1)


def pairs_size(rows: int, columns: int, tile_height: int, tile_width: int, gap: int = 2) -> tuple[int, int]:
    """(width, height) in image pixels of tile_pairs' picture with `rows` pairs of rows, `columns` wide."""
    width = columns * (tile_width + gap) - gap
    height = rows * (2 * tile_height + gap) + (rows - 1) * gap * 4
    return width, height


def best_layout(
    count: int, tile_height: int, tile_width: int, width: int, height: int, gap: int = 2
) -> tuple[int, int]:
    """(rows, columns) of pairs that show `count` pairs largest in a width×height area.

    Every row count is tried with the fewest columns it needs, so rows stay even (see balanced_rows); ties go to the
    layout with the fewest empty places, then to fewer rows.
    """
    if count <= 0:
        return 0, 0
    candidates = []
    for rows in range(1, count + 1):
        columns = -(-count // rows)
        if -(-count // columns) != rows:
            continue  # these columns need fewer rows: that layout is tried on its own
        w, h = pairs_size(rows, columns, tile_height, tile_width, gap)
        scale = min(max(width, 1) / w, max(height, 1) / h)
        candidates.append((round(scale, 9), -(rows * columns - count), -rows, rows, columns))
    best = max(candidates)
    return best[3], best[4]


def layout_scale(
    rows: int, columns: int, tile_height: int, tile_width: int, width: int, height: int, gap: int = 2
) -> float:
    """How much a layout from best_layout is enlarged to fill a width×height area."""
    w, h = pairs_size(rows, columns, tile_height, tile_width, gap)
    return min(width / w, height / h)


def best_columns(count: int, tile: int, width: int, height: int, gap: int = 2) -> int:
    """How many square tiles per row show `count` pairs largest in a width×height area (see best_layout)."""
    return best_layout(count, tile, tile, width, height, gap)[1]
