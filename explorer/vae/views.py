"""What the window adds for a variational autoencoder: the loss's two terms, the KL bars, the collapse warning, the
model kind in the form, and the σ ellipse of the point under the cursor.

It listens to the session and the panels' existing signals only (the window and LatentPanel stay as they are); an
autoencoder's run simply shows none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QDockWidget, QGraphicsEllipseItem

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo
    from explorer.latent.latent_panel import LatentPanel
    from explorer.training.controls_panel import ControlsPanel
    from explorer.training.loss_panel import LossPanel
    from explorer.training.session import RunSession
    from explorer.vae.kl_panel import KlPanel


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


class VaeViews(QObject):
    """Wires one session to the VAE-only parts of the window."""

    def __init__(
        self,
        session: RunSession,
        latent: LatentPanel,
        loss: LossPanel,
        kl: KlPanel,
        controls: ControlsPanel,
        parent: QObject | None = None,
        kl_dock: QDockWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.latent, self.loss, self.kl, self.controls = session, latent, loss, kl, controls
        self.kl_dock = kl_dock  # shown for a VAE, hidden for an autoencoder (it would be an empty chart)
        self.ellipse = SigmaEllipse(latent)
        self.parts = np.zeros((0, 2), np.float64)  # (reconstruction, KL) per step since this run began here
        self._variational = False
        self._collapse_told = False
        session.runReady.connect(self._on_run_ready)
        session.lossPartsAdded.connect(self._on_parts)
        session.viewChanged.connect(self._on_view)
        latent.hovered.connect(self._on_hovered)

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        self._variational = info.model_config.variational
        self.parts = np.zeros((0, 2), np.float64)
        self._collapse_told = False
        self.loss.show_parts(self.parts if self._variational else None)
        self.kl.clear()
        self.ellipse.hide()
        if self.kl_dock is not None:
            self.kl_dock.setVisible(self._variational)
        if not self.session.training:  # an opened model: the form shows its kind and β, as it shows its latent size
            self.controls.show_model_settings(info.model_config)

    @Slot(object)
    def _on_parts(self, rows: np.ndarray) -> None:
        self.parts = np.concatenate([self.parts, rows])
        self.loss.show_parts(self.parts)

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        self.kl.show_view(view)
        self.ellipse.hide()
        message = view.posterior_collapse
        if message is not None and not self._collapse_told:
            self._collapse_told = True
            self.session.notice.emit(message)

    @Slot(float, float)
    def _on_hovered(self, x: float, y: float) -> None:
        self.ellipse.show_near(self.session.view, x, y)
