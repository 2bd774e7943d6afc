"""The 1σ ellipse of a VAE point on a latent panel: how uncertain the encoder is about the code under the cursor.

It lives with the latent panels (not with the VAE's other views) because every RunView draws one on its own panel,
the first run's and the comparison's alike; an autoencoder's view simply never shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from explorer.latent.latent_panel import LatentPanel


class SigmaEllipse:
    """The 1σ ellipse of one VAE code on a latent panel, in plane coordinates (drawn under the crosshair)."""

    def __init__(self, latent: LatentPanel) -> None:
        self.latent = latent
        self.item = QGraphicsEllipseItem()
        pen = QPen(QColor(20, 20, 20, 200), 1.5)
        pen.setCosmetic(True)  # the same width at every zoom
        pen.setStyle(Qt.PenStyle.DashLine)
        self.item.setPen(pen)
        self.item.setZValue(8)
        self.item.setVisible(False)
        latent.plot.addItem(self.item, ignoreBounds=True)
        self.index: int | None = None

    def show_near(self, view: SnapshotView | None, x: float, y: float) -> None:
        """Ring the σ ellipse of the display point within a few pixels of (x, y), if the view is a VAE's."""
        index = None
        if view is not None and view.variational:
            x_per_px, y_per_px = (abs(v) or 1e-9 for v in self.latent.view_box.viewPixelSize())
            index = self.latent.points.nearest(x, y, x_per_px, y_per_px)
        self.index = index
        if index is None or index >= len(view.xy):
            self.item.setVisible(False)
            return
        major, minor, angle = view.sigma_ellipse(index)
        self.item.setRect(-major, -minor, 2 * major, 2 * minor)
        self.item.setRotation(angle)
        self.item.setPos(float(view.xy[index, 0]), float(view.xy[index, 1]))
        self.item.setVisible(True)

    def hide(self) -> None:
        self.index = None
        self.item.setVisible(False)
