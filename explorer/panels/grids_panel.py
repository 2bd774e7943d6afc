"""Originals over their reconstructions, refreshed with every snapshot."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.images import tile_rows, to_qimage


class GridsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("Originals (top) and their reconstructions (bottom)")
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
        self.rows: tuple[np.ndarray, np.ndarray] | None = None

    def show_rows(self, originals: np.ndarray, reconstructions: np.ndarray, caption: str) -> None:
        self.rows = (originals, reconstructions)
        self._tiled = QPixmap.fromImage(to_qimage(tile_rows([originals, reconstructions], gap=2, fill=1.0)))
        self.caption.setText(caption)
        self._rescale()

    def _rescale(self) -> None:
        if self._tiled is None:
            return
        size = self.view.size()
        scale = max(0.5, min(size.width() / self._tiled.width(), size.height() / self._tiled.height()))
        self.view.setPixmap(
            self._tiled.scaled(
                self._tiled.size() * scale, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()
