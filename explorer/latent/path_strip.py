"""The path strip under the latent plot: the frames decoded along the line between pins A and B, what kind of
path it is (along the plane, or between two images' full codes), and an export to PNG."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from core.latent.atlas import strip
from explorer.utils.images import to_sized_pixmap
from explorer.utils.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from core.latent.atlas import DecodedPath

MIN_FRAMES, MAX_FRAMES, DEFAULT_FRAMES = 8, 16, 12
STRIP_HEIGHT = 56  # px: two screen pixels per image pixel for 28-pixel images
HINT = "Shift+click two places (a point or empty space) to decode the path between them; drag a pin to move it."


class PathStripPanel(QWidget):
    stepsChanged = Signal(int)
    exportRequested = Signal()
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pathStrip")
        self.strip = QLabel()
        self.strip.setObjectName("imageTile")
        self.strip.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.strip.setFixedHeight(STRIP_HEIGHT + 4)
        self.strip.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widens the window
        self.strip.hide()
        self.caption = WrappedLabel(HINT)
        self.caption.setObjectName("panelCaption")
        self.frames = QSpinBox()
        self.frames.setRange(MIN_FRAMES, MAX_FRAMES)
        self.frames.setValue(DEFAULT_FRAMES)
        self.frames.setSuffix(" frames")
        self.frames.setToolTip("How many images the path is decoded into, both ends included")
        self.frames.valueChanged.connect(self.stepsChanged)
        self.export_button = QPushButton("Export PNG…")
        self.export_button.setToolTip("Save the strip as a PNG, one image-sized frame after another, no gaps")
        self.export_button.clicked.connect(self.exportRequested)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove both pins (Esc)")
        self.clear_button.clicked.connect(self.clearRequested)
        # the caption on a line of its own, the whole width: beside the buttons it wrapped onto five lines in a
        # 1024-pixel window, and the strip pushed the window past the screen's bottom edge
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.frames, self.export_button, self.clear_button):
            row.addWidget(widget)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.strip)
        layout.addWidget(self.caption)
        layout.addLayout(row)
        self.shown: DecodedPath | None = None
        self.clear()

    def show_path(self, decoded: DecodedPath) -> None:
        self.shown = decoded
        picture = strip(decoded.frames)  # H×W, or H×W×C for colour: to_sized_pixmap reads C×H×W
        channels_first = picture if picture.ndim == 2 else picture.transpose(2, 0, 1)
        frames, height, width = len(decoded.frames), picture.shape[0], picture.shape[1] // len(decoded.frames)
        scale = strip_scale(frames, height, width, self.width() - 8)
        pixmap = to_sized_pixmap(channels_first, round(picture.shape[1] * scale), round(height * scale))
        self.strip.setFixedHeight(max(STRIP_HEIGHT, pixmap.height()) + 4)  # images taller than the strip: not cut
        self.strip.setPixmap(pixmap)
        self.strip.setMaximumWidth(pixmap.width() + 4)  # the frame hugs the frames, and may be narrower
        self.strip.show()
        ends = " → ".join(_describe(end) for end in decoded.ends)
        self.caption.setText(f"{frames} frames, {ends}, {decoded.path.described}, at {decoded.where}")
        for widget in (self.export_button, self.clear_button):
            widget.setEnabled(True)

    def show_hint(self, text: str) -> None:
        """One pin so far: say where it is and what to do next (no strip yet)."""
        self.clear()
        self.caption.setText(text)
        self.clear_button.setEnabled(True)

    def clear(self) -> None:
        self.shown = None
        self.strip.clear()
        self.strip.hide()
        self.caption.setText(HINT)
        self.export_button.setEnabled(False)
        self.clear_button.setEnabled(False)

    def picture(self) -> np.ndarray | None:
        """The strip as exported: frames side by side at their own size (uint8)."""
        return None if self.shown is None else strip(self.shown.frames)


def strip_scale(frames: int, height: int, width: int, room: int) -> float:
    """Screen pixels per image pixel: a whole number where it fills at least 3/4 of STRIP_HEIGHT (28-pixel images:
    2), else the largest fraction that fits the height and the room (32-pixel images: 1.75, nearest neighbour);
    never below 1, so 64-pixel images keep every pixel (the strip then grows)."""
    fits = min(STRIP_HEIGHT / height, room / max(1, frames * width))
    whole = int(fits)
    return float(max(1.0, whole if whole * height >= 0.75 * STRIP_HEIGHT else fits))


def _describe(end) -> str:
    if end.index is not None:
        return f"image #{end.index}"
    return f"({end.xy[0]:+.2f}, {end.xy[1]:+.2f})"
