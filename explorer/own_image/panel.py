"""The "Your image" dock: the drawing canvas, its buttons, and what the network makes of the picture.

Beside the canvas: the picture as the network sees it (converted to the data's format by core.latent.own_picture), its
reconstruction by the snapshot shown, and the labels of the nearest display images. Messages (a file that is not a
picture, no model yet) appear in the dock itself, in words; nothing here raises a dialog or a traceback.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.own_image.canvas import DrawingCanvas
from explorer.utils.images import to_sized_pixmap

TILE = 84  # px: a 28-pixel image at 3×
NO_MODEL = "Train a model or open a checkpoint to see where your image lands in its latent space."
START = "Draw a digit, or drop a picture on the square (or Open image…)."


class OwnImagePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = DrawingCanvas()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Wipe the canvas and take the star off the latent space")
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Read a PNG, JPEG or other picture file (you can also drop one on the canvas)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)

        self.seen_title = QLabel("As the network\nsees it")
        self.seen = self._tile("Your picture converted like the data set's images")
        self.reconstruction_title = QLabel("Its reconstruction")
        self.reconstruction = self._tile("Your picture through the encoder and decoder of the snapshot shown")
        self.closest = QLabel("")
        self.closest.setObjectName("panelCaption")
        self.closest.setToolTip("The classes of the display images whose codes lie nearest your picture's code")
        # one column, under the canvas: the dock shares the right-hand column with the preview as a tab, so it
        # adds no height to the window, and it is as narrow as the canvas
        tiles = QGridLayout()
        tiles.setVerticalSpacing(2)
        top = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        tiles.addWidget(self.seen_title, 0, 0, top)
        tiles.addWidget(self.reconstruction_title, 0, 1, top)
        tiles.addWidget(self.seen, 1, 0, Qt.AlignmentFlag.AlignLeft)
        tiles.addWidget(self.reconstruction, 1, 1, Qt.AlignmentFlag.AlignLeft)
        tiles.addWidget(self.closest, 2, 0, 1, 2)
        tiles.setColumnStretch(2, 1)
        self.message = QLabel(START)
        self.message.setObjectName("panelCaption")
        self.message.setWordWrap(True)
        self.message.setMinimumWidth(self.canvas.width())
        self.message.setMaximumWidth(self.canvas.width() + 60)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        layout.addLayout(buttons)
        layout.addLayout(tiles)
        layout.addWidget(self.message)
        layout.addStretch(1)

    @staticmethod
    def _tile(tip: str) -> QLabel:
        tile = QLabel()
        tile.setObjectName("imageTile")
        tile.setFixedSize(TILE + 4, TILE + 4)
        tile.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tile.setToolTip(tip)
        return tile

    def show_result(self, seen: np.ndarray | None, reconstruction: np.ndarray | None, where: str, closest: str) -> None:
        """The converted picture, its reconstruction at `where` ("step 1,234 (epoch 2.50)"), the nearest labels."""
        for tile, image in ((self.seen, seen), (self.reconstruction, reconstruction)):
            if image is None:
                tile.clear()
            else:
                tile.setPixmap(to_sized_pixmap(image, TILE, TILE))
        self.reconstruction_title.setText(f"Its reconstruction\nat {where}" if where else "Its reconstruction")
        self.closest.setText(closest)

    def say(self, text: str) -> None:
        self.message.setText(text)
