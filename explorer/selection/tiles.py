"""The selection's tiles: each selected image above its reconstruction, as rows of a list model whose pictures are
drawn only when the view asks for them.

Why a model and not widgets: a selection may hold thousands of images. A QListView over a QAbstractListModel asks
only for the rows it paints, so scrolling through 60,000 tiles costs what the visible ones cost. A row's picture
is drawn with its neighbours (one decode for a block of rows, core's SnapshotView.decode) and kept in a bounded
cache until the snapshot or the order changes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QPixmap

from explorer.utils.images import to_pixmap, to_uint8

if TYPE_CHECKING:
    from core.latent.view import SnapshotView

#: Rows whose pictures are drawn together: one decode call for a screenful, not one per tile.
BLOCK = 32
#: Tile pictures kept at most (~45 KB each for a 28-pixel image): about 180 MB, a few hundred screens of tiles.
CACHE_TILES = 4096
#: The picture's width aimed at: small images are enlarged by whole pixels up to about this.
TILE_WIDTH = 56
INDEX_ROLE = Qt.ItemDataRole.UserRole + 1  # the display image's index in the selection's display set
ModelIndex = QModelIndex | QPersistentModelIndex


def tile_scale(width: int) -> int:
    return max(1, TILE_WIDTH // max(1, width))


class TileModel(QAbstractListModel):
    """One row per selected image, in the order given; the decoration is the image over its reconstruction."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view: SnapshotView | None = None
        self.order = np.zeros(0, np.int64)  # display indices (of `view`), in the order shown
        self.errors: np.ndarray | None = None
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.drawn = 0  # tile pictures drawn so far (the bench and the tests read it)

    def show(self, view: SnapshotView | None, order: np.ndarray, errors: np.ndarray | None) -> None:
        """Tiles for display images `order` of `view`, in that order (a new snapshot redraws them: its decoder)."""
        self.beginResetModel()
        self.view, self.order, self.errors = view, np.asarray(order, np.int64), errors
        self._cache.clear()
        self.endResetModel()

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.order)

    def tile_size(self) -> QSize:
        if self.view is None:
            return QSize(TILE_WIDTH, 2 * TILE_WIDTH)
        _, height, width = self.view.snapshot.display_images.shape[1:]
        scale = tile_scale(width)
        return QSize(width * scale, 2 * height * scale)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.view is None or index.row() >= len(self.order):
            return None
        row = index.row()
        image = int(self.order[row])
        if role == Qt.ItemDataRole.DecorationRole:
            return self.picture(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self.errors[image]:.4f}" if self.errors is not None else f"#{image}"
        if role == Qt.ItemDataRole.ToolTipRole:
            error = f" · error {self.errors[image]:.5f}" if self.errors is not None else ""
            return f"Image #{image} · {self.view.label_of(image)}{error}\nAbove: the image; below: its reconstruction"
        if role == INDEX_ROLE:
            return image
        return None

    def picture(self, row: int) -> QPixmap:
        """Row `row`'s tile, drawn with its block of neighbours on first use."""
        cached = self._cache.get(row)
        if cached is not None:
            self._cache.move_to_end(row)
            return cached
        start = row - row % BLOCK
        self._draw_block(start, min(start + BLOCK, len(self.order)))
        return self._cache[row]

    def _draw_block(self, start: int, stop: int) -> None:
        view = self.view
        indices = self.order[start:stop]
        originals = view.snapshot.display_images[indices]
        reconstructions = view.decode(view.snapshot.codes[indices])
        scale = tile_scale(originals.shape[-1])
        for offset, (original, rebuilt) in enumerate(zip(originals, reconstructions, strict=True)):
            pair = np.concatenate([to_uint8(original), to_uint8(rebuilt)], axis=0)  # H×W or H×W×3: stacked rows
            self._cache[start + offset] = to_pixmap(pair if pair.ndim == 2 else np.moveaxis(pair, -1, 0), scale)
            self.drawn += 1
        while len(self._cache) > CACHE_TILES:
            self._cache.popitem(last=False)
