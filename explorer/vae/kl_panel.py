"""A VAE's KL per latent dimension as bars (its "active units"), with the posterior-collapse warning beneath.

A dimension whose KL to N(0, 1) is near 0 tells the decoder nothing about the image: the bars show at a glance how
many dimensions the model really uses, and the warning says what to try when most are unused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from core.model.diagnostics import INACTIVE_KL
from explorer.utils.wrapped_label import WrappedLabel

if TYPE_CHECKING:
    from core.latent.view import SnapshotView

ACTIVE_COLOUR = (31, 119, 180)
INACTIVE_COLOUR = (170, 170, 170)
NOT_A_VAE = "An autoencoder's codes are points, not Gaussians: train a variational one to see its KL per dimension."


class KlPanel(QWidget):
    """Bars of one snapshot's mean KL per code dimension (nats); inactive ones (KL < INACTIVE_KL) in grey."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumSize(140, 70)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setLabel("bottom", "latent dimension")
        item.setLabel("left", "KL (nats)")
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.plot.addItem(self.bars)
        self.caption = WrappedLabel(NOT_A_VAE)  # wrapped labels that say their height: the comparison's panel
        self.caption.setObjectName("panelCaption")  # gave the plot above less than its least height otherwise
        self.warning = WrappedLabel("")
        self.warning.setObjectName("noticeBanner")
        self.warning.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.caption)
        layout.addWidget(self.warning)
        self.kl: np.ndarray | None = None

    def show_view(self, view: SnapshotView) -> None:
        """This snapshot's bars and verdict (or, for an autoencoder, a line saying there is nothing to show)."""
        self.kl = view.snapshot.kl_per_dim
        if self.kl is None:
            self.clear()
            return
        dims = np.arange(1, len(self.kl) + 1)
        colours = [INACTIVE_COLOUR if value < INACTIVE_KL else ACTIVE_COLOUR for value in self.kl]
        self.bars.setOpts(x=dims, height=self.kl, width=0.7, brushes=[pg.mkBrush(*c) for c in colours], pen=None)
        item = self.plot.getPlotItem()
        item.setXRange(0.4, len(self.kl) + 0.6, padding=0)
        item.setYRange(0, max(float(self.kl.max()) * 1.1, 0.05), padding=0)
        item.getAxis("bottom").setTicks([[(int(d), str(d)) for d in dims]] if len(dims) <= 16 else None)
        active = int((self.kl >= INACTIVE_KL).sum())
        self.caption.setText(
            f"{active} of {len(self.kl)} dimensions active (KL ≥ {INACTIVE_KL} nats) at {view.where}; "
            f"total KL {float(self.kl.sum()):.2f} nats per image"
        )
        message = view.posterior_collapse
        self.warning.setText(message or "")
        self.warning.setVisible(message is not None)

    def clear(self) -> None:
        self.kl = None
        self.bars.setOpts(x=[], height=[])
        self.caption.setText(NOT_A_VAE)
        self.warning.hide()
