"""The latent space decoded as a whole: a map (a grid of decoded tiles over a range of the view plane) and a path
(decoded frames along a straight line between two positions). Headless and window alike use these, on one
SnapshotView, so the map, the points and the hover all come from the same network state.

A map's row 0 is the largest y, as on screen; its cells are equal, and each tile is the decoder's image at its
cell's centre. For latent sizes above 2 the plane's points are mapped back to codes (`LatentPlane.from_plane`);
a path between two display images runs between their full codes there (the straight line in latent space, which
leaves the plane), elsewhere along the plane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the command line reads this module's limits without loading torch
    from core.latent.view import SnapshotView

#: The largest plane coordinate a range or a path end may have: codes are float32 numbers, and a position past
#: their range becomes infinity when it is turned into a code (a map of 1e308 printed inf centres and drew black).
MAX_COORDINATE = float(np.finfo(np.float32).max)
MIN_GRID, MAX_GRID = 1, 64
MIN_STEPS, MAX_STEPS = 2, 64
DEFAULT_GRID, DEFAULT_STEPS = 20, 12
#: A learned view's inverse is a guess away from the data (core.latent.learned_view), so a map in it dims its tiles
#: by their cell centre's distance to the nearest point, in the layout's typical spacings between neighbours: whole
#: up to DIM_NEAR, fading to DIM_FLOOR of their contrast at DIM_FAR and beyond, towards mid grey (neither ink nor
#: paper, so a dimmed tile reads as muted on any background and in any data set's colours).
DIM_NEAR, DIM_FAR, DIM_FLOOR, DIM_GREY = 2.0, 6.0, 0.25, 0.5


@dataclass(frozen=True)
class PlaneRange:
    """A rectangle of the view plane: x from x0 to x1, y from y0 to y1 (x0 < x1, y0 < y1)."""

    x0: float
    x1: float
    y0: float
    y1: float

    def __post_init__(self) -> None:
        values = (self.x0, self.x1, self.y0, self.y1)
        if not all(np.isfinite(values)):
            raise ValueError(f"the range must be four finite numbers, got {values}")
        if max(abs(v) for v in values) > MAX_COORDINATE:
            raise ValueError(
                f"the range must lie within ±{MAX_COORDINATE:.4g} (codes are float32 numbers), got "
                f"x {self.x0:g} to {self.x1:g}, y {self.y0:g} to {self.y1:g}"
            )
        if not (self.x0 < self.x1 and self.y0 < self.y1):
            raise ValueError(
                f"the range needs x0 < x1 and y0 < y1, got x {self.x0:g} to {self.x1:g}, y {self.y0:g} to {self.y1:g}"
            )

    def text(self) -> str:
        return f"x {self.x0:.4g} to {self.x1:.4g}, y {self.y0:.4g} to {self.y1:.4g}"


def data_range(view: SnapshotView, margin: float = 0.05) -> PlaneRange:
    """The points' bounding box on the plane, widened by `margin` of its size each side (a unit box if empty)."""
    xy = view.xy
    if not len(xy):
        return PlaneRange(-1.0, 1.0, -1.0, 1.0)
    low, high = xy.min(axis=0).astype(np.float64), xy.max(axis=0).astype(np.float64)
    size = np.maximum(high - low, 1e-6)
    low, high = low - margin * size, high + margin * size
    if view.plane.latent_dim == 1:  # one axis: a band around y = 0
        low[1], high[1] = -1.0, 1.0
    return PlaneRange(float(low[0]), float(high[0]), float(low[1]), float(high[1]))


def cell_centres(area: PlaneRange, columns: int, rows: int | None = None) -> np.ndarray:
    """(rows, columns, 2) plane positions of the cells' centres; row 0 is the top row (the largest y)."""
    rows = columns if rows is None else rows
    xs = area.x0 + (np.arange(columns) + 0.5) * (area.x1 - area.x0) / columns
    ys = area.y1 - (np.arange(rows) + 0.5) * (area.y1 - area.y0) / rows
    grid = np.empty((rows, columns, 2), np.float64)
    grid[..., 0] = xs[None, :]
    grid[..., 1] = ys[:, None]
    return grid


@dataclass(frozen=True)
class DecodedMap:
    area: PlaneRange
    centres: np.ndarray  # (rows, columns, 2) plane positions, row 0 at the top
    tiles: np.ndarray  # (rows, columns, C, H, W) float32 0–1
    step: int  # the snapshot's step: the map belongs to this network state
    #: (rows, columns) each cell centre's distance to the nearest point in layout spacings, for a view whose plane
    #: says it (the learned view); None for a PCA plane or 2-D codes, whose every position is a real decode
    distance: np.ndarray | None = None

    @property
    def dims(self) -> bool:
        """Whether some tiles are drawn dimmed (far from the data in a learned view)."""
        return self.distance is not None and bool((self.distance > DIM_NEAR).any())


def decode_map(
    view: SnapshotView,
    area: PlaneRange,
    columns: int,
    rows: int | None = None,
    cancelled: Callable[[], bool] | None = None,
    batch: int | None = None,
) -> DecodedMap | None:
    """Decode every cell centre of `area` in batches, tiles in the same row/column layout as the centres.

    `cancelled` is asked between batches (the window's newer request makes this one stale): None is returned then.
    `batch` None: the fastest size for the calling thread's torch thread count (core.model.fast_decode.map_batch).
    """
    if batch is None:
        from core.model.fast_decode import map_batch  # torch is loaded by now: the view decodes with it

        batch = map_batch()
    centres = cell_centres(area, columns, rows)
    shape = centres.shape[:2]
    codes = view.plane.from_plane(centres.reshape(-1, 2))
    parts = []
    for start in range(0, len(codes), batch):
        if cancelled is not None and cancelled():
            return None
        parts.append(view.decode(codes[start : start + batch]))
    images = np.concatenate(parts)
    far = getattr(view.plane, "distance_to_data", None)
    distance = None if far is None else np.asarray(far(centres.reshape(-1, 2)), np.float64).reshape(shape)
    return DecodedMap(area, centres, images.reshape(*shape, *images.shape[1:]), view.snapshot.step, distance)


def contrast_of(distance: np.ndarray) -> np.ndarray:
    """Each tile's contrast (1: whole, DIM_FLOOR: far from the data) for its distance in layout spacings."""
    fade = np.clip((DIM_FAR - np.asarray(distance, np.float64)) / (DIM_FAR - DIM_NEAR), 0.0, 1.0)
    return DIM_FLOOR + (1.0 - DIM_FLOOR) * fade


def shown_tiles(decoded: DecodedMap) -> np.ndarray:
    """The map's tiles as the window and `render map` draw them: as decoded, except that in a learned view the
    tiles far from any point are dimmed towards mid grey (their code is the inverse's guess, not the data's)."""
    if decoded.distance is None:
        return decoded.tiles
    weight = contrast_of(decoded.distance).astype(np.float32)[:, :, None, None, None]
    return decoded.tiles * weight + np.float32(DIM_GREY) * (1.0 - weight)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Floats 0–1 to uint8, rounded (NaN as black): the same rule as the window's previews."""
    return (np.clip(np.nan_to_num(images, nan=0.0), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def mosaic(tiles: np.ndarray) -> np.ndarray:
    """(rows, columns, C, H, W) tiles to one uint8 picture, no gaps: (rows·H, columns·W) grey for one channel,
    (rows·H, columns·W, 3) red, green, blue for three. Row 0 of the tiles is the top of the picture. A second or
    fourth channel (alpha) is not drawn, as in the window (explorer.utils.images.to_uint8)."""
    tiles = to_uint8(tiles) if tiles.dtype != np.uint8 else tiles
    rows, columns, channels, height, width = tiles.shape
    picture = tiles.transpose(0, 3, 1, 4, 2).reshape(rows * height, columns * width, channels)
    return np.ascontiguousarray(picture[..., 0] if channels < 3 else picture[..., :3])


# ----- paths ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathEnd:
    """One end of a path: a display image (`index`) or a plane position (`index` None)."""

    xy: tuple[float, float]
    index: int | None = None


def end_at_image(view: SnapshotView, index: int) -> PathEnd:
    """The path end on display image `index` (its position on the plane); IndexError names the valid range."""
    count = len(view.xy)
    if not 0 <= index < count:
        raise IndexError(f"image index {index} is outside the display set (0 to {count - 1})")
    return PathEnd((float(view.xy[index, 0]), float(view.xy[index, 1])), index)


@dataclass(frozen=True)
class LatentPath:
    codes: np.ndarray  # (K, D) float32, the codes decoded, from the first end to the second
    xy: np.ndarray  # (K, 2) their positions on the view plane
    full_codes: bool  # True: between the two images' full codes; False: along the view plane

    @property
    def described(self) -> str:
        return "between the two images' full codes" if self.full_codes else "along the view plane"


def path_between(view: SnapshotView, start: PathEnd, end: PathEnd, steps: int) -> LatentPath:
    """`steps` evenly spaced codes from `start` to `end`, both included.

    For latent sizes above 2, when both ends are display images, the line joins their full codes; otherwise it
    joins the ends' plane positions, mapped back with from_plane (for 2-D codes the two are the same thing).
    """
    if steps < MIN_STEPS:
        raise ValueError(f"a path needs at least {MIN_STEPS} steps, got {steps}")
    t = np.linspace(0.0, 1.0, steps)[:, None]
    full = view.plane.is_pca and start.index is not None and end.index is not None
    if full:
        a = view.snapshot.codes[start.index].astype(np.float64)
        b = view.snapshot.codes[end.index].astype(np.float64)
        codes = ((1.0 - t) * a + t * b).astype(np.float32)
        return LatentPath(codes, view.plane.to_plane(codes), True)
    xy = (1.0 - t) * np.asarray(start.xy, np.float64) + t * np.asarray(end.xy, np.float64)
    return LatentPath(view.plane.from_plane(xy), xy.astype(np.float32), False)


@dataclass(frozen=True)
class DecodedPath:
    """A path's frames with what they were decoded from: the window's strip and its export show this."""

    path: LatentPath
    frames: np.ndarray  # (K, C, H, W) floats 0–1
    step: int
    where: str  # the snapshot, as captions say it
    ends: tuple[PathEnd, PathEnd]


def decode_path(view: SnapshotView, path: LatentPath) -> np.ndarray:
    """(K, C, H, W) float32 0–1: the path's frames, decoded in one batch."""
    return view.decode(path.codes)


def strip(frames: np.ndarray) -> np.ndarray:
    """Frames (K, C, H, W) side by side as one uint8 picture (H, K·W[, C]), no gaps."""
    return mosaic(frames[None])
