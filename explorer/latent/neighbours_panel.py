"""Beside the preview: the display images whose codes lie nearest the cursor's code, and the off-the-data meter.

The meter shows how far the cursor's code is from any real image's code, in units of the typical spacing between
neighbouring codes (core.latent.neighbours), as words and a colour: decoding far from the data gives smudges, and this
says when the cursor is there. The hover path only swaps pixmaps and texts on fixed-size labels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from core.latent.neighbours import BETWEEN_MAX, ON_DATA_MAX, Meter, Neighbours
from explorer.utils.images import to_sized_pixmap

COUNT = 5
THUMB = 40  # px: a thumbnail's side (28-pixel images at about 1.4×: five fit the preview's width)
PLACEHOLDER = "Hover over the latent space to see the nearest real images."
WAITING = "Hover over the latent space"  # the meter line before a hover: one short line, never "—" alone
METER_HELP = (
    f"Distance from the cursor's code to the nearest image's code, in units of the typical spacing between "
    f"neighbouring codes (the median distance from a code to its nearest other code).\n"
    f"Up to {ON_DATA_MAX:g}: on the data · up to {BETWEEN_MAX:g}: between images · beyond: far from any image, "
    "where the decoder draws what it never learned."
)


class NeighboursPanel(QWidget):
    """Compact on purpose: it shares the right-hand column with the preview, so the window's least size stays."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.meter = QLabel(WAITING)
        self.meter.setTextFormat(Qt.TextFormat.RichText)
        self.meter.setObjectName("offDataMeter")
        self.meter.setToolTip(METER_HELP)
        # fixed sizes: the hover path then changes texts without asking the window to lay anything out again
        self.meter.ensurePolished()
        self.meter.setFixedHeight(self.meter.fontMetrics().lineSpacing() + 4)
        self.setToolTip(PLACEHOLDER)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(0)
        self.images: list[QLabel] = []
        self.texts: list[QLabel] = []
        for column in range(COUNT):
            image = QLabel()
            image.setObjectName("imageTile")
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setFixedSize(THUMB + 4, THUMB + 4)
            text = QLabel("")
            text.setObjectName("neighbourText")
            text.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            text.ensurePolished()
            text.setFixedSize(THUMB + 6, 2 * text.fontMetrics().lineSpacing() + 2)
            grid.addWidget(image, 0, column, Qt.AlignmentFlag.AlignHCenter)
            grid.addWidget(text, 1, column, Qt.AlignmentFlag.AlignHCenter)
            self.images.append(image)
            self.texts.append(text)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addWidget(self.meter)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.shown_indices: list[int] = []
        self.last_meter: Meter | None = None
        self._source: int | None = None  # id of the display images the thumbnails were drawn from
        self._pixmaps: dict[int, object] = {}
        self._where = ""

    def show_neighbours(
        self, found: Neighbours, meter: Meter, images: np.ndarray, labels: list[str], where: str
    ) -> None:
        """Per hover move: the meter's words and colour, and the thumbnails only when the neighbours changed."""
        self.last_meter = meter
        # the colour in the text: a style sheet set per move re-polishes the label (~0.2 ms each time)
        _set_text(
            self.meter,
            f"<span style='color:{meter.colour}'>●&nbsp;<b>{meter.words}</b></span> — {meter.ratio:.1f}× spacing",
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
                        pixmap = self._pixmaps.setdefault(index, to_sized_pixmap(images[index], THUMB, THUMB))
                    self.images[column].setPixmap(pixmap)
                text = self.texts[column]
                name = text.fontMetrics().elidedText(labels[column], Qt.TextElideMode.ElideRight, THUMB + 4)
                _set_text(text, f"{name}\n{found.distances[column]:.2f}")
                text.setToolTip(f"{labels[column]}, image #{index}, distance {found.distances[column]:.3f}")
            elif column < len(self.shown_indices):
                self.images[column].clear()
                self.texts[column].setText("")
        self.shown_indices = indices
        if where != self._where:
            self._where = where
            self.setToolTip(f"The display images nearest the cursor's code (label, distance), at {where}")

    def clear(self) -> None:
        self.shown_indices = []
        self.last_meter = None
        self._source, self._pixmaps = None, {}
        for image, text in zip(self.images, self.texts, strict=True):
            image.clear()
            text.setText("")
        self.meter.setText(WAITING)
        self._where = ""
        self.setToolTip(PLACEHOLDER)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
