"""A scatter item that draws any number of points as one image rasterised at screen resolution.

pyqtgraph's symbol scatter costs ~180 ms per refresh at 60,000 points here; stamping points into a
pixel buffer with numpy costs a few ms at that size and stays under half a second at a million.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter


def _disk(radius: float) -> np.ndarray:
    r = int(np.ceil(radius))
    offsets = [(dx, dy) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dx * dx + dy * dy <= radius * radius]
    return np.array(offsets, dtype=np.int64)


class PointCloudItem(pg.GraphicsObject):
    """Points coloured per class; drawn in a fixed shuffled order so no class hides the others."""

    def __init__(self) -> None:
        super().__init__()
        self._xy = np.zeros((0, 2), np.float32)
        self._argb = np.zeros(0, np.uint32)
        self._order = np.zeros(0, np.int64)
        self._bounds = QRectF()
        self._cache: tuple[tuple, QImage] | None = None
        self._version = 0

    def set_points(self, xy: np.ndarray, labels: np.ndarray, palette: np.ndarray) -> None:
        """Replace all points: xy (N×2) in view coordinates, labels (N,) indexing into palette (ARGB uint32)."""
        xy = np.asarray(xy, np.float32)
        if len(self._order) != len(xy):  # a fixed shuffled drawing order: stable look between refreshes
            self._order = np.random.default_rng(0).permutation(len(xy))
        order = self._order
        self._xy = xy[order]
        self._argb = palette[np.asarray(labels, np.int64)[order] % len(palette)]
        self.prepareGeometryChange()
        if len(xy):
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            self._bounds = QRectF(
                float(lo[0]), float(lo[1]), float(hi[0] - lo[0]) or 1e-6, float(hi[1] - lo[1]) or 1e-6
            )
        else:
            self._bounds = QRectF()
        self._version += 1
        self._cache = None
        self.informViewBoundsChanged()  # lets the ViewBox auto-range follow the points
        self.update()

    @property
    def count(self) -> int:
        return len(self._xy)

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):
        if not len(self._xy):
            return None
        return (float(self._xy[:, axis].min()), float(self._xy[:, axis].max()))

    def pixelPadding(self) -> float:
        return 3.0

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not len(self._xy):
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
        radius = 2.6 if len(self._xy) <= 100_000 else 1.0
        stamp = _disk(radius)
        pad = int(np.ceil(radius))
        px = (self._xy[:, 0] - rect.left()) * (width / rect.width())
        py = (self._xy[:, 1] - rect.top()) * (height / rect.height())
        inside = (px >= -pad) & (px < width + pad) & (py >= -pad) & (py < height + pad)
        ix, iy, argb = px[inside].astype(np.int64), py[inside].astype(np.int64), self._argb[inside]
        margin = 2 * pad  # room for a stamp centred up to `pad` pixels outside the image
        stride = width + 2 * margin
        buffer = np.zeros((height + 2 * margin) * stride, np.uint32)
        base = (iy + margin) * stride + (ix + margin)
        for dx, dy in stamp:  # offsets in the outer loop: N-long vector writes, later points win
            buffer[base + dy * stride + dx] = argb
        image = buffer.reshape(height + 2 * margin, stride)[margin : margin + height, margin : margin + width]
        image = np.ascontiguousarray(image)
        qimage = QImage(image.data, width, height, width * 4, QImage.Format.Format_ARGB32)
        return qimage.copy()

    def nearest(self, x: float, y: float, x_per_px: float, y_per_px: float, max_px: float = 6.0) -> int | None:
        """Index (in the order given to set_points) of the point nearest to (x, y) within max_px screen pixels."""
        if not len(self._xy):
            return None
        d2 = ((self._xy[:, 0] - x) / x_per_px) ** 2 + ((self._xy[:, 1] - y) / y_per_px) ** 2
        best = int(np.argmin(d2))
        if d2[best] > max_px * max_px:
            return None
        return int(self._order[best])
