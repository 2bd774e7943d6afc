"""The crosshair's lines: a thin dark line on a light halo, readable over the white plot and the decoded map.

A grey dashed line vanished over the decoded map: grey on its grey decodes, and its gaps showed whatever lay below.
Two pens in one item: the halo first (light, three pixels wide), then a one-pixel dark line on it, so every stretch
of the line has a pixel that stands out from its surroundings, dark, light or grey. One item per line, so a crosshair
move repaints as before.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPen

HALO = QColor(255, 255, 255, 220)
CORE = QColor(20, 20, 20)


def crosshair_pens() -> tuple[QPen, QPen]:
    halo = QPen(HALO, 3)
    halo.setCosmetic(True)
    core = QPen(CORE, 1)
    core.setCosmetic(True)
    return halo, core


class CrosshairLine(pg.InfiniteLine):
    """A fixed crosshair line (angle 0 or 90) drawn dark on a light halo."""

    def __init__(self, angle: float) -> None:
        self.halo, core = crosshair_pens()
        super().__init__(angle=angle, movable=False, pen=core)

    def paint(self, painter, *args) -> None:
        left, right = self._endPoints
        painter.setPen(self.halo)
        painter.drawLine(QPointF(left, 0), QPointF(right, 0))
        super().paint(painter, *args)
