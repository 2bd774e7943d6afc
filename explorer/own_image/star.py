"""The star that pins the user's own picture on the latent panel: a gold five-pointed star with a dark outline and
the words "your image", the same size at any zoom, drawn above the points and the clicked-point ring."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsSimpleTextItem

FILL = QColor(255, 200, 0)  # gold: none of the class colours (explorer.utils.palette) is this bright a yellow
OUTLINE = QColor(20, 20, 20)
RADIUS = 11.0  # px, the points' tips
LABEL = "your image"


def star_path(radius: float = RADIUS, inner: float = 0.45) -> QPainterPath:
    """A five-pointed star centred on (0, 0), one point up (y grows downward on screen)."""
    path = QPainterPath()
    for k in range(10):
        r = radius if k % 2 == 0 else radius * inner
        angle = math.pi / 2 + k * math.pi / 5
        point = QPointF(r * math.cos(angle), -r * math.sin(angle))
        path.moveTo(point) if k == 0 else path.lineTo(point)
    path.closeSubpath()
    return path


class StarMarker(QGraphicsPathItem):
    def __init__(self) -> None:
        super().__init__(star_path())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        pen = QPen(OUTLINE, 1.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(FILL))
        self.setZValue(12)  # above the points (0), the ring (9) and the crosshair (10)
        self.setToolTip(LABEL)
        self.label = QGraphicsSimpleTextItem(LABEL, self)
        self.label.setBrush(QBrush(OUTLINE))
        self.label.setPos(RADIUS + 2, -RADIUS)
        self.setVisible(False)

    def keep_label_inside(self, area: QRectF) -> None:
        """Put the words on the star's left when on its right they would run past `area` (the plot, in scene
        coordinates): a star near the plot's right edge keeps its label readable."""
        width = self.label.boundingRect().width()
        right_side = self.scenePos().x() + RADIUS + 2 + width <= area.right()
        self.label.setPos(RADIUS + 2 if right_side else -RADIUS - 2 - width, -RADIUS)
