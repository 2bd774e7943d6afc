"""A square the user draws on with the mouse, MNIST's way (a thick round white pen on black), or drops a picture on.

The canvas is 224×224, eight times the 28×28 of the digit sets: a pen 18 pixels wide becomes a stroke about two
pixels wide once the drawing's bounding box is scaled into MNIST's 20×20 box (core.latent.own_picture), as thick as the
digits' strokes. It only draws and reports: converting and encoding happen in core, off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

SIDE = 224  # px: the canvas is square
PEN_WIDTH = 18  # px at SIDE: about MNIST's stroke once scaled into its 20×20 box
HINT = "Draw a digit here\nor drop a picture"


def dropped_files(event: QDropEvent) -> list[Path]:
    """The local files a drag carries (web addresses and other data are not offered)."""
    data = event.mimeData()
    if not data.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in data.urls() if url.isLocalFile()]


class DrawingCanvas(QWidget):
    drawn = Signal()  # a stroke ended: the picture changed
    stroking = Signal()  # the pen moved mid-stroke (the owner may place the picture so far, at its own pace)
    fileDropped = Signal(object)  # Path: a file dropped on the canvas (read by the owner, off the GUI thread)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawingCanvas")
        self.setFixedSize(SIDE, SIDE)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw with the left mouse button (white on black, like MNIST), or drop a PNG or JPEG file")
        self._image = QImage(SIDE, SIDE, QImage.Format.Format_RGB888)
        self._image.fill(Qt.GlobalColor.black)
        self._last: QPointF | None = None
        self.blank = True

    # ----- what it holds --------------------------------------------------------------------------------------
    def picture(self) -> np.ndarray:
        """The canvas as H×W×3 uint8 (a copy)."""
        image = self._image
        bits = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
        rows = bits.reshape(image.height(), image.bytesPerLine())
        return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()

    def clear(self) -> None:
        self._image.fill(Qt.GlobalColor.black)
        self.blank = True
        self.update()

    def show_picture(self, rgb: np.ndarray) -> None:
        """Show a dropped picture (H×W×3 uint8), fitted into the square over its own border colour."""
        rgb = np.ascontiguousarray(rgb, np.uint8)
        height, width = rgb.shape[:2]
        source = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()
        ring = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).mean(axis=0)
        self._image.fill(QColor(*(int(v) for v in ring)))
        scaled = source.scaled(
            SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        painter = QPainter(self._image)
        painter.drawImage(QPointF((SIDE - scaled.width()) / 2, (SIDE - scaled.height()) / 2), scaled)
        painter.end()
        self.blank = False
        self.update()

    # ----- drawing --------------------------------------------------------------------------------------------
    def _stroke_to(self, point: QPointF) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(Qt.GlobalColor.white, PEN_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.drawLine(self._last if self._last is not None else point, point)
        painter.end()
        self._last = point
        self.blank = False
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._last = None
        self._stroke_to(event.position())  # a click alone leaves a dot
        event.accept()
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return super().mouseMoveEvent(event)
        self._stroke_to(event.position())
        event.accept()
        self.stroking.emit()
        return None

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._last is None:
            return super().mouseReleaseEvent(event)
        self._stroke_to(event.position())
        self._last = None
        event.accept()
        self.drawn.emit()
        return None

    # ----- dropping -------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.fileDropped.emit(files[0])

    # ----- painting -------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawImage(0, 0, self._image)
        if self.blank:
            painter.setPen(QColor(140, 140, 140))
            painter.drawText(QRectF(0, 0, SIDE, SIDE), Qt.AlignmentFlag.AlignCenter, HINT)
        painter.end()
