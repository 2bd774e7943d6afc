"""Beside the preview: the display images whose codes lie nearest the cursor's code, and the off-the-data meter.

The meter shows how far the cursor's code is from any real image's code, in units of the typical spacing between
neighbouring codes (core.neighbours), as words and a colour: decoding far from the data gives smudges, and this
says when the cursor is there. The hover path only swaps pixmaps and texts on fixed-size labels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from core.neighbours import BETWEEN_MAX, ON_DATA_MAX, Meter, Neighbours
from explorer.images import to_pixmap

COUNT = 5
SCALE = 2  # thumbnails at twice the image size
PLACEHOLDER = "Hover over the latent space to see the nearest real images."
METER_HELP = (
    f"Distance from the cursor's code to the nearest image's code, in units of the typical spacing between "
    f"neighbouring codes (the median distance from a code to its nearest other code).\n"
    f"Up to {ON_DATA_MAX:g}: on the data · up to {BETWEEN_MAX:g}: between images · beyond: far from any image, "
    "where the decoder draws what it never learned."
)


class NeighboursPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Nearest real images")
        title.setObjectName("panelTitle")
        self.meter = QLabel("—")
        self.meter.setTextFormat(Qt.TextFormat.RichText)
        self.meter.setObjectName("offDataMeter")
        self.meter.setToolTip(METER_HELP)
        self.meter.setWordWrap(True)
        # fixed sizes: the hover path then changes texts without asking the window to lay anything out again
        self.meter.ensurePolished()
        self.meter.setFixedHeight(2 * self.meter.fontMetrics().lineSpacing() + 4)
        self.caption = QLabel(PLACEHOLDER)
        self.caption.setObjectName("panelCaption")
        self.caption.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(0)
        self.images: list[QLabel] = []
        self.texts: list[QLabel] = []
        for column in range(COUNT):
            image = QLabel()
            image.setObjectName("imageTile")
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setFixedSize(28 * SCALE + 4, 28 * SCALE + 4)
            text = QLabel("")
            text.setObjectName("neighbourText")
            text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            text.setWordWrap(True)
            text.ensurePolished()
            text.setFixedSize(28 * SCALE + 10, 2 * text.fontMetrics().lineSpacing() + 2)
            grid.addWidget(image, 0, column, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(text, 1, column)
            self.images.append(image)
            self.texts.append(text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.meter)
        layout.addLayout(grid)
        layout.addWidget(self.caption)
        layout.addStretch(1)
        self.shown_indices: list[int] = []
        self.last_meter: Meter | None = None
        self._source: int | None = None  # id of the display images the thumbnails were drawn from
        self._pixmaps: dict[int, object] = {}

    def show_neighbours(
        self, found: Neighbours, meter: Meter, images: np.ndarray, labels: list[str], where: str
    ) -> None:
        """Per hover move: the meter's words and colour, and the thumbnails only when the neighbours changed."""
        self.last_meter = meter
        # the colour in the text: a style sheet set per move re-polishes the label (~0.2 ms each time)
        _set_text(
            self.meter,
            f"<span style='color:{meter.colour}'>●&nbsp;<b>{meter.words}</b></span> — "
            f"{meter.ratio:.1f}× the typical spacing",
        )
        if id(images) != self._source or len(self._pixmaps) > 1_000:  # another display set, or bounded memory
            self._source, self._pixmaps = id(images), {}
        indices = found.indices.tolist()
        for column in range(COUNT):
            if column < len(indices):
                index = indices[column]
                if column >= len(self.shown_indices) or self.shown_indices[column] != index:
                    pixmap = self._pixmaps.get(index)
                    if pixmap is None:
                        pixmap = self._pixmaps.setdefault(index, to_pixmap(images[index], SCALE))
                    self.images[column].setPixmap(pixmap)
                _set_text(self.texts[column], f"{labels[column]}\n#{index} · {found.distances[column]:.2f}")
            elif column < len(self.shown_indices):
                self.images[column].clear()
                self.texts[column].setText("")
        self.shown_indices = indices
        caption = f"Display images nearest the cursor's code (label, image number, distance), at {where}"
        if caption != self.caption.text():
            self.caption.setText(caption)

    def clear(self) -> None:
        self.shown_indices = []
        self.last_meter = None
        self._source, self._pixmaps = None, {}
        for image, text in zip(self.images, self.texts, strict=True):
            image.clear()
            text.setText("")
        self.meter.setText("—")
        self.caption.setText(PLACEHOLDER)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
