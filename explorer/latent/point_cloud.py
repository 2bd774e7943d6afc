"""A scatter item that draws any number of points as one image rasterised at screen resolution.

pyqtgraph's symbol scatter costs ~180 ms per refresh at 60,000 points here; stamping points into a
pixel buffer with numpy costs a few ms at that size and stays under half a second at a million.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

DIMMED_ARGB = 0xFFE1E1E1  # opaque pale grey: the classes outside the focus
OUTLINE_ARGB = 0xFF141414  # the dark ring round each selected point
#: While some points are selected, the others keep this share of their colour (the rest is white): still readable,
#: clearly behind the selection.
UNSELECTED_KEEP = 0.35
#: A live update keeps the bounds the view follows while its points still fill this share of them on each axis.
LIVE_BOUNDS_FILL = 0.8
#: How far (screen pixels) a point's disk reaches past its centre: its radius, rounded up, and the pixel lost when a
#: centre is truncated to whole pixels.
STAMP_REACH_PX = 4.0


def _still_fits(kept: QRectF, points: QRectF) -> bool:
    """The points lie inside the kept bounds and fill most of them: the view need not move for them."""
    return (
        not kept.isEmpty()
        and kept.contains(points)
        and points.width() >= LIVE_BOUNDS_FILL * kept.width()
        and points.height() >= LIVE_BOUNDS_FILL * kept.height()
    )


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    offsets = [(dx, dy) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dx * dx + dy * dy <= radius * radius]
    return np.array(offsets, dtype=np.int64)


def faded(argb: np.ndarray, keep: float = UNSELECTED_KEEP) -> np.ndarray:
    """Opaque ARGB colours moved towards white, keeping `keep` of each channel's distance from it."""
    argb = np.asarray(argb, np.uint32)
    out = np.full(argb.shape, 0xFF000000, np.uint32)
    for shift in (16, 8, 0):
        channel = (argb >> np.uint32(shift)) & np.uint32(0xFF)
        lighter = (255 - (255 - channel.astype(np.float32)) * keep).astype(np.uint32)
        out |= lighter << np.uint32(shift)
    return out


class PointCloudItem(pg.GraphicsObject):
    """Points coloured per class; drawn in a fixed shuffled order so no class hides the others."""

    def __init__(self) -> None:
        super().__init__()
        self._x = self._y = np.zeros(0, np.float32)  # in drawing order, each contiguous (fast to scan)
        self._argb = np.zeros(0, np.uint32)
        self._order = np.zeros(0, np.int64)
        self._bounds = QRectF()
        self._cache: tuple[tuple, QImage] | None = None
        self._version = 0
        self.focus: int | None = None  # the one class shown in colour (drawn last); the others dimmed
        self._drawn = self._order  # drawing position -> index given to set_points (the order, focus last)
        self._source: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None = None
        self.selected = np.zeros(0, np.int64)  # indices given to set_points drawn on top, ringed
        self._ringed = 0  # how many points at the end of the drawing order are selected

    def set_selected(self, indices: np.ndarray) -> None:
        """Draw these points (indices as given to set_points) on top with a dark ring, and fade the others; an empty
        array: every point as usual."""
        self.selected = np.asarray(indices, np.int64)
        if self._source is not None:
            xy, labels, palette, colours = self._source
            self.set_points(xy, labels, palette, colours=colours)

    @property
    def positions(self) -> np.ndarray:
        """The points as last given (N×2, view coordinates): where a lasso finds them."""
        return self._source[0] if self._source is not None else np.zeros((0, 2), np.float32)

    def set_focus(self, label: int | None) -> None:
        """Show class `label` alone in colour, on top, the other classes dimmed to a pale grey (None: all classes)."""
        self.focus = label
        if self._source is not None:
            xy, labels, palette, colours = self._source
            self.set_points(xy, labels, palette, colours=colours)

    def set_points(
        self,
        xy: np.ndarray,
        labels: np.ndarray,
        palette: np.ndarray,
        live: bool = False,
        colours: np.ndarray | None = None,
    ) -> None:
        """Replace all points: xy (N×2) in view coordinates, labels (N,) indexing into palette (ARGB uint32).

        colours: one ARGB colour per point (colour by error) instead of the class's; the labels still decide the
        focus.

        live: a partial update between two snapshots. The bounds (which a following view fits) then stay as they
        are while the points fit them well: otherwise the view, and both axes' ticks and labels, were redrawn with
        every live update, a fifth of what the window's thread spent while training took every core.
        """
        xy = np.asarray(xy, np.float32)
        self._source = (xy, labels, palette, colours)
        if len(self._order) != len(xy):  # a fixed shuffled drawing order: stable look between refreshes
            self._order = np.random.default_rng(0).permutation(len(xy))
        order = self._order
        if self.focus is not None:  # the focused class drawn after (over) the others
            in_focus = np.asarray(labels, np.int64).take(order) == self.focus
            order = np.concatenate([order[~in_focus], order[in_focus]])
        selected = self.selected[self.selected < len(xy)]
        if len(selected):  # the selection drawn after (over) everything else
            mask = np.zeros(len(xy), bool)
            mask[selected] = True
            chosen = mask.take(order)
            order = np.concatenate([order[~chosen], order[chosen]])
        self._ringed = len(selected)
        self._drawn = order
        # np.take and per-column arrays: fancy indexing and axis-0 reductions of an N×2 array cost ~5× more.
        self._x, self._y = xy[:, 0].take(order), xy[:, 1].take(order)
        codes = np.asarray(labels, np.int64).take(order)
        if colours is not None:
            self._argb = np.asarray(colours, np.uint32).take(order)
        else:
            self._argb = palette.take(codes, mode="wrap")
        if self.focus is not None:
            self._argb = np.where(codes == self.focus, self._argb, np.uint32(DIMMED_ARGB))
        if self._ringed:
            rest = len(order) - self._ringed
            self._argb = np.concatenate([faded(self._argb[:rest]), self._argb[rest:]])
        bounds = QRectF()
        if len(xy):
            left, right = float(self._x.min()), float(self._x.max())
            top, bottom = float(self._y.min()), float(self._y.max())
            bounds = QRectF(left, top, (right - left) or 1e-6, (bottom - top) or 1e-6)
        self._version += 1
        self._cache = None
        if not (live and _still_fits(self._bounds, bounds)):
            self.prepareGeometryChange()
            self._bounds = bounds
            self.informViewBoundsChanged()  # lets the ViewBox auto-range follow the points
        self.update()

    @property
    def count(self) -> int:
        return len(self._x)

    def boundingRect(self) -> QRectF:
        """The points' bounds grown by the pixels a stamp reaches past its centre. Qt repaints only what an item's
        bounding rect covers: without the margin, the disks of the outermost points stuck out of it, and as the
        points moved (the time-lapse's playback) the parts outside were never erased: stray point fragments."""
        rect = QRectF(self._bounds)
        if rect.isEmpty():
            return rect
        px, py = self.pixelVectors()
        dx = 0.0 if px is None else px.length() * STAMP_REACH_PX
        dy = 0.0 if py is None else py.length() * STAMP_REACH_PX
        return rect.adjusted(-dx, -dy, dx, dy)

    def viewTransformChanged(self) -> None:
        """A zoom changes how far a pixel reaches in plane units: the bounding rect changes with it."""
        self.prepareGeometryChange()
        super().viewTransformChanged()

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):
        if not len(self._x):
            return None
        b = self._bounds
        return (b.left(), b.right()) if axis == 0 else (b.top(), b.bottom())

    def pixelPadding(self) -> float:
        return 3.0

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._x):
            return
        view = self.getViewBox()
        target = view.viewRect() if view is not None else self._bounds
        device = painter.deviceTransform().mapRect(target)
        width, height = max(1, round(device.width())), max(1, round(device.height()))
        if width * height > 16_000_000:  # absurd zoom-out or export size: cap the buffer
            return
        key = (self._version, target.x(), target.y(), target.width(), target.height(), width, height)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.rasterise(target, width, height))
        painter.drawImage(target, self._cache[1])

    def rasterise(self, rect: QRectF, width: int, height: int) -> QImage:
        """The points inside `rect` as a width×height ARGB image (row 0 at rect.top(), i.e. the smallest y)."""
        radius = 2.6 if len(self._x) <= 100_000 else 1.0
        stamp = _disk(radius)
        ringed = self._ringed
        outline = _disk(radius + 1.6) if ringed else stamp
        pad = int(np.ceil(radius + (1.6 if ringed else 0.0)))
        px = (self._x - rect.left()) * (width / rect.width())
        py = (self._y - rect.top()) * (height / rect.height())
        argb = self._argb
        selected = np.zeros(len(argb), bool)
        selected[len(argb) - ringed :] = ringed > 0
        inside = (px >= -pad) & (px < width + pad) & (py >= -pad) & (py < height + pad)  # NaN is never inside
        if not inside.all():  # zoomed in: only the points near the view
            px, py, argb, selected = px[inside], py[inside], argb[inside], selected[inside]
        ringed = int(selected.sum())  # the selected points stay last in the drawing order
        ix, iy = px.astype(np.int32), py.astype(np.int32)
        margin = 2 * pad  # room for a stamp centred up to `pad` pixels outside the image
        stride = width + 2 * margin
        buffer = np.zeros((height + 2 * margin) * stride, np.uint32)
        base = (iy + margin) * stride + (ix + margin)  # int32: the buffer is capped far below 2³¹ pixels
        rest = len(argb) - ringed
        for dx, dy in stamp.tolist():  # offsets in the outer loop: N-long vector writes, later points win
            buffer[base[:rest] + (dy * stride + dx)] = argb[:rest]  # a Python int offset keeps the sum int32
        if ringed:  # the selection over the rest: a dark disk a little larger, then the point's own colour on it
            chosen, colour = base[rest:], argb[rest:]
            for dx, dy in outline.tolist():
                buffer[chosen + (dy * stride + dx)] = OUTLINE_ARGB
            for dx, dy in stamp.tolist():
                buffer[chosen + (dy * stride + dx)] = colour
        image = buffer.reshape(height + 2 * margin, stride)[margin : margin + height, margin : margin + width]
        image = np.ascontiguousarray(image)
        # Premultiplied (the same bytes for opaque colours and empty pixels): Qt blits it without converting.
        qimage = QImage(image.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied)
        return qimage.copy()

    def nearest(self, x: float, y: float, x_per_px: float, y_per_px: float, max_px: float = 6.0) -> int | None:
        """Index (in the order given to set_points) of the point nearest to (x, y) within max_px screen pixels."""
        if not len(self._x):
            return None
        d2 = ((self._x - x) / x_per_px) ** 2 + ((self._y - y) / y_per_px) ** 2
        best = int(np.argmin(d2))
        if d2[best] > max_px * max_px:
            return None
        return int(self._drawn[best])
