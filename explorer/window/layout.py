"""The window's own panels and how they sit: the latent space in the middle, every other panel a dock around it
(added through the window's dock registry, explorer.window.docks, as features add theirs).

Docks let a laptop screen work: each panel can be moved, tabbed onto another, floated or hidden (View menu),
and the arrangement is remembered. Every panel has a minimum size that keeps it usable.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from explorer.latent.latent_panel import LatentPanel
from explorer.latent.preview_panel import PreviewPanel
from explorer.training.controls_panel import ControlsPanel
from explorer.training.grids_panel import GridsPanel
from explorer.training.loss_panel import LossPanel
from explorer.window.docks import WindowDocks

Area = Qt.DockWidgetArea


def titled(title: str, widget: QWidget) -> QWidget:
    frame = QWidget()
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.setSpacing(2)
    label = QLabel(title)
    label.setObjectName("panelTitle")
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return frame


@dataclass
class WindowLayout:
    notice: QLabel
    controls: ControlsPanel
    latent: LatentPanel
    preview: PreviewPanel
    loss: LossPanel
    grids: GridsPanel
    central: QVBoxLayout  # the latent space's column: the time-lapse scrubber joins it


def build_layout(window: QMainWindow, docks: WindowDocks) -> WindowLayout:
    """The central latent space (under a notice banner) and the training, preview, loss and reconstruction docks."""
    controls, preview, latent = ControlsPanel(), PreviewPanel(), LatentPanel()
    loss, grids = LossPanel(), GridsPanel()
    notice = QLabel()
    notice.setObjectName("noticeBanner")
    notice.setWordWrap(True)
    notice.hide()
    central = QWidget()
    central_layout = QVBoxLayout(central)
    central_layout.setContentsMargins(0, 0, 0, 0)
    central_layout.setSpacing(0)
    central_layout.addWidget(notice)
    central_layout.addWidget(titled("Latent space", latent), 1)
    window.setCentralWidget(central)

    settings = QScrollArea()  # the form scrolls rather than squeezes on a short screen
    settings.setWidget(controls)
    settings.setWidgetResizable(True)
    settings.setMinimumWidth(controls.sizeHint().width() + 12)
    docks.add("training", "Training", settings, Area.LeftDockWidgetArea)
    docks.add("preview", "Preview", preview, Area.RightDockWidgetArea)
    docks.add("loss", "Training loss", loss, Area.BottomDockWidgetArea)
    docks.add("grids", "Reconstructions", grids, Area.BottomDockWidgetArea, beside="loss")
    window.resizeDocks([docks["loss"], docks["grids"]], [1, 1], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["loss"]], [260], Qt.Orientation.Vertical)
    # the latent space is the point of the window: the side docks start as narrow as their contents allow
    window.resizeDocks([docks["training"], docks["preview"]], [230, 250], Qt.Orientation.Horizontal)
    return WindowLayout(notice, controls, latent, preview, loss, grids, central_layout)
