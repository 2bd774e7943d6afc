"""The preview panel: the image decoded at the cursor, and the image behind a clicked point.

The images scale with the panel (nearest neighbour, whole pixels where they can) and the coordinates always sit
whole below the decoded image. All sizing happens in `_fit`, on a resize or when a text needs more lines; the
hover path (`show_decoded`) only swaps a pixmap and a text on fixed-size labels, which re-lays out nothing.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from explorer.utils.images import fit_scale, to_sized_pixmap

MIN_SIDE = 112  # the decoded image's long side never gets smaller (4× a 28-pixel image)...
MAX_SIDE = 280  # ...nor larger (10×): past that it only takes room from the rest
PICKED_SCALES = (2, 1)  # the clicked point's images: 2×, or 1× where 2× would push the decoded image under MIN_SIDE...
PICKED_LARGEST = 6  # ...and larger, up to 6×, as long as the decoded image loses nothing by it
DEFAULT_SHAPE = (28, 28)  # (height, width) assumed until a first image arrives
HOVER_PLACEHOLDER = "Hover over the\nlatent space"
PICKED_PLACEHOLDER = "Click a point to compare an image with its reconstruction."
NO_COORDINATES = "—"
_WRAP = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


def _image_label() -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("imageTile")
    return label


class PreviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = _image_label()
        self.image.setText(HOVER_PLACEHOLDER)
        self.coordinates = QLabel(NO_COORDINATES)
        self.coordinates.setObjectName("coordinates")
        self.coordinates.setWordWrap(True)
        self.coordinates.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.coordinates.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.snapshot_info = QLabel("No snapshot yet")
        self.snapshot_info.setObjectName("panelCaption")
        self.snapshot_info.setWordWrap(True)

        title = QLabel("Decoded at the cursor")
        title.setObjectName("panelTitle")
        picked_title = QLabel("Clicked point")
        picked_title.setObjectName("panelTitle")
        self.picked_original = _image_label()
        self.picked_reconstruction = _image_label()
        self.picked_label = QLabel(PICKED_PLACEHOLDER)
        self.picked_label.setWordWrap(True)
        self.picked_label.setObjectName("panelCaption")
        picked = QGridLayout()
        picked.setVerticalSpacing(2)
        center = Qt.AlignmentFlag.AlignHCenter
        picked.addWidget(self.picked_original, 0, 0, center)
        picked.addWidget(self.picked_reconstruction, 0, 1, center)
        picked.addWidget(QLabel("original"), 1, 0, center)
        picked.addWidget(QLabel("reconstruction"), 1, 1, center)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("separator")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.image, 0, center)
        layout.addWidget(self.coordinates)
        layout.addWidget(self.snapshot_info)
        layout.addWidget(line)
        layout.addWidget(picked_title)
        layout.addLayout(picked)
        layout.addWidget(self.picked_label)
        layout.addStretch(1)
        self._picked_grid = picked

        self.last_image: np.ndarray | None = None
        self._picked: tuple[np.ndarray, np.ndarray] | None = None
        self._image_size = (0, 0)  # (width, height) of the decoded pixmap, set by _fit
        self._picked_size = (0, 0)
        for widget in (self, self.image, self.coordinates, self.snapshot_info, self.picked_label):
            widget.ensurePolished()  # the style sheet's fonts and borders, before anything is measured
        self._border = self._frame_size(self.image)
        self._metrics = self.coordinates.fontMetrics()  # the style sheet's monospace font
        self._fit()
        self.setMinimumSize(200, self._smallest_height(200))

    # ----- what the window calls ------------------------------------------------------------------------------
    def show_decoded(self, image: np.ndarray, plane_xy: tuple[float, float], latent: np.ndarray, is_pca: bool) -> None:
        """Per hover move: a new pixmap and text on fixed-size labels, relaid out only if the image's shape changes
        or the text needs more lines than the label holds. The label never shrinks on a move (nothing jumps while the
        mouse moves); a resize or clear_decoded fits it to its text again."""
        shape_changed = self.last_image is None or self.last_image.shape[-2:] != image.shape[-2:]
        self.last_image = image
        text = format_coordinates(plane_xy, latent, is_pca)
        self.coordinates.setText(text)
        if shape_changed or self._text_height(text) > self.coordinates.minimumHeight():
            self._fit()  # also draws the image, at its new size
        else:
            self.image.setPixmap(to_sized_pixmap(image, *self._image_size))

    def show_snapshot_info(self, text: str) -> None:
        if text != self.snapshot_info.text():
            self.snapshot_info.setText(text)
            self._fit()

    def show_picked(self, original: np.ndarray, reconstruction: np.ndarray, text: str) -> None:
        self._picked = (original, reconstruction)
        self.picked_label.setText(text)
        self._fit()

    def clear_picked(self) -> None:
        """Forget the clicked point (a new model): no images, the placeholder text."""
        self._picked = None
        self.picked_original.clear()
        self.picked_reconstruction.clear()
        self.picked_label.setText(PICKED_PLACEHOLDER)
        self._fit()

    def clear_decoded(self) -> None:
        """Forget the decoded image (a new model): the hover placeholder and no coordinates."""
        self.last_image = None
        self.image.clear()
        self.image.setText(HOVER_PLACEHOLDER)
        self.coordinates.setText(NO_COORDINATES)
        self._fit()

    # ----- sizing ---------------------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    @staticmethod
    def _frame_size(label: QLabel) -> int:
        """Pixels a label's border and padding add to its contents (the style sheet's 2 px each side today)."""
        margins = label.contentsMargins()
        return max(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _content_width(self) -> int:
        margins = self.layout().contentsMargins()
        return max(1, self.width() - margins.left() - margins.right())

    def _text_height(self, text: str, width: int | None = None) -> int:
        """Height the coordinates label needs for `text` at its width (word-wrapped, as the label draws it)."""
        bounds = QRect(0, 0, self._content_width() if width is None else width, 100_000)
        return max(self._metrics.boundingRect(bounds, _WRAP, text).height(), self._metrics.height()) + 2

    def _picked_shape(self) -> tuple[int, int]:
        return self._picked[0].shape[-2:] if self._picked is not None else DEFAULT_SHAPE

    def _image_shape(self) -> tuple[int, int]:
        return self.last_image.shape[-2:] if self.last_image is not None else DEFAULT_SHAPE

    def _others_height(self, width: int) -> int:
        """The panel's least height at `width`, less the decoded image and the clicked point's images: what the
        titles, texts, spacing and margins take."""
        layout = self.layout()
        layout.invalidate()
        total = layout.minimumHeightForWidth(width)
        if total < 0:
            total = layout.minimumSize().height()
        return total - self.image.minimumHeight() - self.picked_original.minimumHeight()

    def _smallest_height(self, width: int) -> int:
        """A floor for the panel's height at `width`: the decoded image at its least, the clicked point's at 1×, and
        room for the texts to come (a PCA position wraps onto three lines, a clicked point's text onto four)."""
        height, _ = DEFAULT_SHAPE
        texts = 2 * self._metrics.lineSpacing() + 2 * self.picked_label.fontMetrics().lineSpacing()
        return self._others_height(width) + texts + MIN_SIDE + self._border + height + self._border

    def _fit(self) -> None:
        """Size the coordinates to their text, then share the height left between the decoded image (first, up to
        MAX_SIDE) and the clicked point's images; redraw both at their new sizes."""
        width = self._content_width()
        self._metrics = self.coordinates.fontMetrics()
        self.coordinates.setFixedSize(width, self._text_height(self.coordinates.text(), width))
        others = self._others_height(self.width())
        border = self._border
        image_height, image_width = self._image_shape()
        picked_height, picked_width = self._picked_shape()
        spacing = max(0, self._picked_grid.horizontalSpacing())
        widest = max(1, ((width - spacing) // 2 - border) // picked_width)

        def scale(picked: int) -> float:
            room = self.height() - others - border - (picked * picked_height + border)
            return fit_scale(image_width, image_height, width - border, room, MIN_SIDE, MAX_SIDE)

        def fits(picked: int, s: float) -> bool:
            return others + round(image_height * s) + border + picked * picked_height + border <= self.height()

        for picked in (min(p, widest) for p in PICKED_SCALES):
            main = scale(picked)
            if fits(picked, main):
                break
        while picked < min(PICKED_LARGEST, widest) and scale(picked + 1) == main and fits(picked + 1, main):
            picked += 1

        self._image_size = (max(1, round(image_width * main)), max(1, round(image_height * main)))
        self._picked_size = (picked * picked_width, picked * picked_height)
        self.image.setFixedSize(self._image_size[0] + border, self._image_size[1] + border)
        for label in (self.picked_original, self.picked_reconstruction):
            label.setFixedSize(self._picked_size[0] + border, self._picked_size[1] + border)
        if self.last_image is not None:
            self.image.setPixmap(to_sized_pixmap(self.last_image, *self._image_size))
        if self._picked is not None:
            for label, image in zip((self.picked_original, self.picked_reconstruction), self._picked, strict=True):
                label.setPixmap(to_sized_pixmap(image, *self._picked_size))
        self.layout().activate()


def format_coordinates(plane_xy: tuple[float, float], latent: np.ndarray, is_pca: bool) -> str:
    if not is_pca:
        return "z = (" + ", ".join(f"{v:+.3f}" for v in latent[: len(latent)]) + ")"
    shown = ", ".join(f"{v:+.2f}" for v in latent[:6]) + (", …" if len(latent) > 6 else "")
    return f"PC = ({plane_xy[0]:+.3f}, {plane_xy[1]:+.3f})\nz = ({shown})"
