"""Originals over their reconstructions, refreshed with every snapshot.

The pairs are laid out in as many rows as make them largest in the panel's shape, the rows as even as possible
(15 pairs: one row of 15 in a wide strip, 8 + 7 or 5 + 5 + 5 as the panel gets taller), and enlarged by
nearest neighbour so pixels stay crisp."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.utils.images import best_layout, tile_pairs, to_qimage

#: The empty panel says what it will show (a blank panel reads as broken).
EMPTY_TEXT = "Once a model trains or opens: a few images, each above its reconstruction"


class GridsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("Each original above its reconstruction")
        self.caption.setObjectName("panelCaption")
        self.caption.setWordWrap(True)  # a narrow panel wraps it rather than growing wider
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setWordWrap(True)
        self.view.setText(EMPTY_TEXT)  # until the first snapshot: what will appear here
        self.view.setMinimumHeight(60)
        self.view.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)
        self._tiled: QPixmap | None = None
        self.layout_shape = (0, 0)  # (rows, columns) of pairs in the picture shown
        self.rows: tuple[np.ndarray, np.ndarray] | None = None

    def show_rows(self, originals: np.ndarray, reconstructions: np.ndarray, caption: str) -> None:
        self.rows = (originals, reconstructions)
        self._tiled = None
        self.caption.setText(caption)
        self._rescale()

    def _rescale(self) -> None:
        if self.rows is None:
            return
        originals, reconstructions = self.rows
        if len(originals) == 0:
            self.view.clear()
            return
        size = self.view.contentsRect().size()
        width, height = max(1, size.width()), max(1, size.height())
        shape = best_layout(len(originals), originals.shape[-2], originals.shape[-1], width, height)
        if shape != self.layout_shape or self._tiled is None:
            self.layout_shape = shape
            self._tiled = QPixmap.fromImage(to_qimage(tile_pairs(originals, reconstructions, shape[1])))
        scale = max(0.5, min(width / self._tiled.width(), height / self._tiled.height()))
        self.view.setPixmap(
            self._tiled.scaled(
                self._tiled.size() * scale, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()
