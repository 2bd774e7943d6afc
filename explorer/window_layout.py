"""The window's panels and how they sit: controls | latent space | preview above, loss | reconstructions below."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QSplitter, QVBoxLayout, QWidget

from explorer.panels.controls import ControlsPanel
from explorer.panels.grids_panel import GridsPanel
from explorer.panels.latent_panel import LatentPanel
from explorer.panels.loss_panel import LossPanel
from explorer.panels.preview_panel import PreviewPanel


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
    central: QWidget
    notice: QLabel
    controls: ControlsPanel
    latent: LatentPanel
    preview: PreviewPanel
    loss: LossPanel
    grids: GridsPanel
    splitters: dict[str, QSplitter]


def build_layout() -> WindowLayout:
    controls, preview, latent = ControlsPanel(), PreviewPanel(), LatentPanel()
    loss, grids = LossPanel(), GridsPanel()
    side = QWidget()
    side_layout = QVBoxLayout(side)
    side_layout.setContentsMargins(4, 4, 4, 4)
    box = QGroupBox("Training")
    box_layout = QVBoxLayout(box)
    box_layout.setContentsMargins(0, 4, 0, 0)
    box_layout.addWidget(controls)
    side_layout.addWidget(box)
    side_layout.addStretch(1)
    top = QSplitter(Qt.Orientation.Horizontal)
    top.addWidget(side)
    top.addWidget(titled("Latent space", latent))
    top.addWidget(preview)
    top.setStretchFactor(1, 1)
    top.setSizes([250, 700, 260])
    bottom = QSplitter(Qt.Orientation.Horizontal)
    bottom.addWidget(titled("Training loss", loss))
    bottom.addWidget(titled("Reconstructions", grids))
    bottom.setSizes([600, 600])
    main = QSplitter(Qt.Orientation.Vertical)
    main.addWidget(top)
    main.addWidget(bottom)
    main.setStretchFactor(0, 3)
    main.setStretchFactor(1, 2)
    main.setSizes([520, 300])
    for splitter in (top, bottom, main):
        splitter.setChildrenCollapsible(False)
    notice = QLabel()
    notice.setObjectName("noticeBanner")
    notice.setWordWrap(True)
    notice.hide()
    central = QWidget()
    central_layout = QVBoxLayout(central)
    central_layout.setContentsMargins(0, 0, 0, 0)
    central_layout.setSpacing(0)
    central_layout.addWidget(notice)
    central_layout.addWidget(main, 1)
    splitters = {"top_splitter": top, "bottom_splitter": bottom, "main_splitter": main}
    return WindowLayout(central, notice, controls, latent, preview, loss, grids, splitters)
