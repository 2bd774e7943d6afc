"""Originals over their reconstructions, refreshed with every snapshot."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.images import best_columns, tile_pairs, to_qimage


class GridsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("Each original above its reconstruction")
        self.caption.setObjectName("panelCaption")
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumHeight(60)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self._tiled: QPixmap | None = None
        self._columns = 0
        self.rows: tuple[np.ndarray, np.ndarray] | None = None

    def show_rows(self, originals: np.ndarray, reconstructions: np.ndarray, caption: str) -> None:
        self.rows = (originals, reconstructions)
        self._columns = 0
        self.caption.setText(caption)
        self._rescale()

    def _rescale(self) -> None:
        if self.rows is None:
            return
        originals, reconstructions = self.rows
        size = self.view.size()
        columns = best_columns(len(originals), originals.shape[-1], size.width(), size.height())
        if columns != self._columns or self._tiled is None:
            self._columns = columns
            self._tiled = QPixmap.fromImage(to_qimage(tile_pairs(originals, reconstructions, columns)))
        scale = max(0.5, min(size.width() / self._tiled.width(), size.height() / self._tiled.height()))
        self.view.setPixmap(
            self._tiled.scaled(
                self._tiled.size() * scale, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()
