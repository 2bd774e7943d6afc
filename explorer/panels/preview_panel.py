"""The preview panel: the image decoded at the cursor, and the image behind a clicked point."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from explorer.images import to_pixmap

PREVIEW_SCALE = 8  # 28×28 → 224×224, nearest neighbour


def _image_label(side: int) -> QLabel:
    label = QLabel()
    label.setFixedSize(side, side)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("imageTile")
    return label


class PreviewPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = _image_label(28 * PREVIEW_SCALE + 4)
        self.image.setText("Hover over the\nlatent space")
        self.coordinates = QLabel("—")
        self.coordinates.setObjectName("coordinates")
        self.coordinates.setWordWrap(True)
        # A fixed size: new text on every hover move then re-lays out nothing but this label (~0.5 ms a move).
        lines = self.coordinates.fontMetrics().lineSpacing()
        self.coordinates.setFixedSize(28 * PREVIEW_SCALE + 4, 3 * lines + 4)
        self.coordinates.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.coordinates.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.snapshot_info = QLabel("No snapshot yet")
        self.snapshot_info.setObjectName("panelCaption")
        self.snapshot_info.setWordWrap(True)

        title = QLabel("Decoded at the cursor")
        title.setObjectName("panelTitle")
        picked_title = QLabel("Clicked point")
        picked_title.setObjectName("panelTitle")
        self.picked_original = _image_label(28 * 3 + 4)
        self.picked_reconstruction = _image_label(28 * 3 + 4)
        self.picked_label = QLabel("Click a point to compare an image with its reconstruction.")
        self.picked_label.setWordWrap(True)
        self.picked_label.setObjectName("panelCaption")
        picked = QGridLayout()
        picked.addWidget(self.picked_original, 0, 0)
        picked.addWidget(self.picked_reconstruction, 0, 1)
        picked.addWidget(QLabel("original"), 1, 0, Qt.AlignmentFlag.AlignHCenter)
        picked.addWidget(QLabel("reconstruction"), 1, 1, Qt.AlignmentFlag.AlignHCenter)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("separator")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(title)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.coordinates, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.snapshot_info)
        layout.addWidget(line)
        layout.addWidget(picked_title)
        layout.addLayout(picked)
        layout.addWidget(self.picked_label)
        layout.addStretch(1)
        self.last_image: np.ndarray | None = None

    def show_decoded(self, image: np.ndarray, plane_xy: tuple[float, float], latent: np.ndarray, is_pca: bool) -> None:
        self.last_image = image
        self.image.setPixmap(to_pixmap(image, PREVIEW_SCALE))
        self.coordinates.setText(format_coordinates(plane_xy, latent, is_pca))

    def show_snapshot_info(self, text: str) -> None:
        self.snapshot_info.setText(text)

    def show_picked(self, original: np.ndarray, reconstruction: np.ndarray, text: str) -> None:
        self.picked_original.setPixmap(to_pixmap(original, 3))
        self.picked_reconstruction.setPixmap(to_pixmap(reconstruction, 3))
        self.picked_label.setText(text)


def format_coordinates(plane_xy: tuple[float, float], latent: np.ndarray, is_pca: bool) -> str:
    if not is_pca:
        return "z = (" + ", ".join(f"{v:+.3f}" for v in latent[: len(latent)]) + ")"
    shown = ", ".join(f"{v:+.2f}" for v in latent[:6]) + (", …" if len(latent) > 6 else "")
    return f"PC = ({plane_xy[0]:+.3f}, {plane_xy[1]:+.3f})\nz = ({shown})"
