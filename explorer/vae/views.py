"""What the window adds for a variational autoencoder: the loss's two terms, the KL bars (a dock of their own), the
collapse warning and the model kind in the form. (The σ ellipse of the point under the cursor is every RunView's:
explorer.latent.sigma_ellipse.)

It listens to the session's signals only; an autoencoder's run simply shows none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot

from explorer.vae.kl_panel import KlPanel

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo
    from explorer.training.controls_panel import ControlsPanel
    from explorer.training.loss_panel import LossPanel
    from explorer.training.session import RunSession
    from explorer.utils.registries import DockRegistry


class VaeViews(QObject):
    """Wires one session to the VAE-only parts of the window: the KL dock (a third column beside the loss and the
    reconstructions), the loss's two terms, the form's model kind."""

    #: The posterior-collapse warning each time the verdict changes: its text while the posterior has collapsed,
    #: None once it has not (or cannot yet be judged), so a banner showing it can clear.
    collapseChanged = Signal(object)

    def __init__(
        self,
        session: RunSession,
        loss: LossPanel,
        controls: ControlsPanel,
        docks: DockRegistry,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.loss, self.controls = session, loss, controls
        self.kl = KlPanel()
        # shown for a VAE, hidden for an autoencoder (it would be an empty chart)
        area = Qt.DockWidgetArea.BottomDockWidgetArea
        self.kl_dock = docks.add("kl", "KL per latent dimension", self.kl, area, beside="grids", visible=False)
        self.parts = np.zeros((0, 2), np.float64)  # (reconstruction, KL) per step since this run began here
        self._variational = False
        self._collapse_shown: str | None = None
        session.runReady.connect(self._on_run_ready)
        session.lossPartsAdded.connect(self._on_parts)
        session.viewChanged.connect(self._on_view)

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        self._variational = info.model_config.variational
        # a reopened or continued VAE draws its terms so far (NaN where its file did not keep them)
        saved = info.loss_parts if self._variational else None
        self.parts = np.array(saved, np.float64).reshape(-1, 2) if saved is not None else np.zeros((0, 2), np.float64)
        self._collapse_shown = None
        self.loss.show_parts(self.parts if self._variational else None)
        self.kl.clear()
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
        message = view.posterior_collapse  # judged afresh for every view, the recorded frames' too
        if message != self._collapse_shown:
            self._collapse_shown = message
            self.collapseChanged.emit(message)
