"""The selection's tiles: each selected image above its reconstruction, as rows of a list model whose pictures are
drawn only when the view asks for them.

Why a model and not widgets: a selection may hold thousands of images. A QListView over a QAbstractListModel asks
only for the rows it paints, so scrolling through 60,000 tiles costs what the visible ones cost. A row's
reconstruction is decoded with its block of neighbours (one decode call, core's SnapshotView.decode) on a
background thread (explorer.utils.latest_worker): the list paints at once with blank tiles, the pictures arrive a
moment later, and the window's thread never waits for the decoder, even while a run trains on every core. Pictures
are kept in a bounded cache until the snapshot or the order changes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPixmap

from explorer.utils.images import to_pixmap, to_uint8
from explorer.utils.latest_worker import LatestOnlyWorker

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


def tile_pairs(view: SnapshotView, indices: np.ndarray) -> list[np.ndarray]:
    """Each display image `indices` of `view` stacked above its reconstruction (2H×W or 3×2H×W uint8)."""
    originals = view.snapshot.display_images[indices]
    reconstructions = view.decode(view.snapshot.codes[indices])
    pairs = []
    for original, rebuilt in zip(originals, reconstructions, strict=True):
        pair = np.concatenate([to_uint8(original), to_uint8(rebuilt)], axis=0)  # H×W or H×W×3: stacked rows
        pairs.append(pair if pair.ndim == 2 else np.moveaxis(pair, -1, 0))
    return pairs


class TileModel(QAbstractListModel):
    """One row per selected image, in the order given; the decoration is the image over its reconstruction.

    `settled` is emitted when every picture asked for so far has arrived."""

    settled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view: SnapshotView | None = None
        self.order = np.zeros(0, np.int64)  # display indices (of `view`), in the order shown
        self.errors: np.ndarray | None = None
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._wanted: set[int] = set()  # first rows of the blocks asked for and not drawn yet
        self._generation = 0  # one per show(): a block decoded for an earlier one is dropped
        self._blank: QPixmap | None = None
        self.drawn = 0  # tile pictures drawn so far
        self.worker = LatestOnlyWorker("selection-tiles", self)
        self.worker.done.connect(self._on_decoded)
        self._ask = QTimer(self)  # the rows one paint asks for, sent as one job
        self._ask.setSingleShot(True)
        self._ask.setInterval(0)
        self._ask.timeout.connect(self._submit)

    def show(self, view: SnapshotView | None, order: np.ndarray, errors: np.ndarray | None) -> None:
        """Tiles for display images `order` of `view`, in that order (a new snapshot redraws them: its decoder)."""
        self.beginResetModel()
        self.view, self.order, self.errors = view, np.asarray(order, np.int64), errors
        self._cache.clear()
        self._wanted.clear()
        self._generation += 1
        self._blank = None
        self.worker.cancel()
        self.endResetModel()

    @property
    def pending(self) -> bool:
        """Pictures asked for are still being decoded."""
        return bool(self._wanted)

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
        """Row `row`'s tile; a blank one of the same size until its block has been decoded (asked for now)."""
        cached = self._cache.get(row)
        if cached is not None:
            self._cache.move_to_end(row)
            return cached
        start = row - row % BLOCK
        if start not in self._wanted:
            self._wanted.add(start)
            self._ask.start()
        if self._blank is None:
            self._blank = QPixmap(self.tile_size())
            self._blank.fill(QColor(235, 235, 235))
        return self._blank

    def _submit(self) -> None:
        """Decode every block asked for and not drawn yet, as one job (a newer one replaces it, asking for all)."""
        view, order, generation = self.view, self.order, self._generation
        starts = sorted(self._wanted)
        if view is None or not starts:
            return

        def job(stale) -> tuple[int, dict[int, list[np.ndarray]]] | None:
            blocks = {}
            for start in starts:
                if stale():
                    return None
                blocks[start] = tile_pairs(view, order[start : start + BLOCK])
            return generation, blocks

        self.worker.submit(job)

    def _on_decoded(self, result: tuple[int, dict[int, list[np.ndarray]]]) -> None:
        generation, blocks = result
        if generation != self._generation:
            return
        scale = tile_scale(self.view.snapshot.display_images.shape[-1])
        for start, pairs in blocks.items():
            for offset, pair in enumerate(pairs):
                self._cache[start + offset] = to_pixmap(pair, scale)
                self.drawn += 1
            self._wanted.discard(start)
            stop = start + len(pairs) - 1
            self.dataChanged.emit(self.index(start), self.index(stop), [Qt.ItemDataRole.DecorationRole])
        while len(self._cache) > CACHE_TILES:
            self._cache.popitem(last=False)
        if self._wanted:
            self._submit()  # blocks asked for after this job was built
        else:
            self.settled.emit()
