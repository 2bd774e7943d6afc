"""One run of a sweep in the gallery: a small latent panel, the image its decoder draws at the shared cursor, and a
title with its swept values, state and results.

Why not a RunView: a RunView is the wiring from a RunSession (a worker thread that trains or opens, autosaves,
records a time-lapse) to its panels. A gallery of 16 runs needs none of that: each run is one finished view, read in
the background by core (core.sweep.gallery.load_view, the view `render sweep` draws). So a tile is the lighter
sibling: the same LatentPanel, the same HoverDecoder (core's SnapshotView.decode_at) and the same SharedCursor as
the run and the comparison, with no session. Hovering any tile decodes that plane position in every tile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.latent.hover import HoverDecoder
from explorer.latent.latent_panel import LatentPanel
from explorer.utils.images import to_sized_pixmap

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.sweep.manifest import SweepRun
    from explorer.latent.hover import Hovered
    from explorer.latent.shared_cursor import SharedCursor

DECODED_PX = 84  # the decoded image's side in a tile: 3× a 28-pixel digit, whole pixels
HOVER_HINT = "hover any\npanel"


class RunTile(QFrame):
    """The widgets of one run: title, progress, latent panel (or the error), decoded image and Open button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweepTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # the grid shares out the space it has, down to each tile's smallest size (then it scrolls): a plot's own
        # size hint (some 400×480) would make every tile that big and scroll a 2×3 grid on a laptop's screen
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.title = QLabel()
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)
        self.results = QLabel()
        self.results.setObjectName("panelCaption")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setMaximumHeight(14)
        self.latent = LatentPanel()
        compact(self.latent)
        self.message = QLabel()  # a failed run's error, or why it is not shown yet
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.decoded = QLabel(HOVER_HINT)
        self.decoded.setObjectName("imageTile")
        self.decoded.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.decoded.setFixedSize(DECODED_PX + 4, DECODED_PX + 4)
        self.decoded.setToolTip("What this run's decoder draws at the cursor's position")
        self.open_button = QToolButton()
        self.open_button.setText("Open")
        self.open_button.setToolTip("Open this run in the window: as the main run, or for comparison")
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.open_menu = QMenu(self.open_button)
        self.open_main = self.open_menu.addAction("Open as the main run")
        self.open_comparison = self.open_menu.addAction("Open for comparison")
        self.open_button.setMenu(self.open_menu)
        side = QVBoxLayout()
        side.setSpacing(4)
        side.addWidget(self.decoded)
        side.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(3)
        grid.addWidget(self.title, 0, 0, 1, 2)
        grid.addWidget(self.results, 1, 0, 1, 2)
        grid.addWidget(self.progress, 2, 0, 1, 2)
        grid.addWidget(self.latent, 3, 0)
        grid.addWidget(self.message, 3, 0)
        grid.addLayout(side, 3, 1)
        grid.setRowStretch(3, 1)
        grid.setColumnStretch(0, 1)

    def hasHeightForWidth(self) -> bool:
        """No: a tile is as tall as the grid makes it. Its word-wrapped labels would otherwise have the scroll area
        ask each tile's height for its width, answered from the plot's size hint (some 480 pixels)."""
        return False


def compact(panel: LatentPanel) -> None:
    """A latent panel as a small multiple: no axes, legend, caption or Fit button (the gallery has one legend and
    one scale for all), and small enough for 4×4 of them on a laptop's screen."""
    item = panel.plot.getPlotItem()
    item.hideAxis("bottom")
    item.hideAxis("left")
    panel.legend.hide()
    panel.caption.hide()
    panel.fit_button.hide()
    panel.plot.setMinimumSize(120, 100)
    panel.setMinimumSize(120, 100)


class GalleryRun(QObject):
    """One run on a tile: its manifest record, its view once loaded, its hover decoder on the shared cursor.

    `pointClicked` carries the clicked display image's pixels, so that every run rings the same image in its own
    space (display sets may differ between runs: another seed picks other images)."""

    pointClicked = Signal(object)  # the display image (C×H×W uint8) clicked in this run's panel
    openRequested = Signal(object, bool)  # this run's checkpoint path, True to open it for comparison

    def __init__(self, run: SweepRun, cursor: SharedCursor, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.path: Path | None = None
        self.cursor = cursor
        self.tile = RunTile()
        self.view: SnapshotView | None = None
        self.last_decoded: Hovered | None = None  # the record the tile's image shows
        self._images: dict[bytes, int] = {}  # a display image's bytes -> its index in this run's display set
        self.hover = HoverDecoder(0, self)
        self.hover.decoded.connect(self._on_decoded)
        self.tile.latent.hovered.connect(self._on_hovered_here)
        self.tile.latent.pointClicked.connect(self._on_point_clicked)
        cursor.moved.connect(self._on_cursor)
        self.tile.open_main.triggered.connect(lambda: self._ask_open(False))
        self.tile.open_comparison.triggered.connect(lambda: self._ask_open(True))
        self.title = run.run_id
        self.show_record(run, run.run_id, run.state)

    def detach(self) -> None:
        """Off the cursor and off the screen (another sweep is opened)."""
        self.cursor.moved.disconnect(self._on_cursor)
        self.tile.deleteLater()
        self.deleteLater()

    # ----- the manifest's record --------------------------------------------------------------------------------
    def show_record(self, run: SweepRun, title: str, result: str, path: Path | None = None) -> None:
        """The run's title (its swept values), result, state and progress as the manifest has them now."""
        self.run, self.title, self.path = run, title, path
        tile = self.tile
        tile.title.setText(title)
        tile.results.setText(result)
        running = run.state in ("queued", "running")
        tile.progress.setVisible(running)
        tile.progress.setValue(round(run.progress * 1000))
        tile.progress.setFormat(f"{run.progress:.0%}")
        tile.open_button.setEnabled(self.view is not None and path is not None)
        if run.state == "failed":
            self._say(f"Failed: {run.error or 'no error was recorded'}")
        elif self.view is None:
            self._say({"queued": "Queued", "running": "Training: no checkpoint yet"}.get(run.state, "Loading…"))

    def show_failure(self, message: str) -> None:
        """The run's checkpoint could not be shown (a damaged file, a data set missing here)."""
        self.view = None
        self.hover.set_view(None)
        self._say(f"Cannot show this run: {message}")

    def _say(self, text: str) -> None:
        self.tile.latent.hide()
        self.tile.decoded.hide()  # nothing to decode with
        self.tile.message.setText(text)
        self.tile.message.show()

    # ----- its view ---------------------------------------------------------------------------------------------
    def show_view(self, view: SnapshotView) -> None:
        """The run's latent space, coloured by class; the cursor's last position decoded with it at once."""
        self.view = view
        snapshot = view.snapshot
        self._images = {np.ascontiguousarray(image).tobytes(): i for i, image in enumerate(snapshot.display_images)}
        self.tile.message.hide()
        self.tile.latent.show()
        self.tile.decoded.show()
        self.tile.latent.show_points(view.xy, snapshot.labels, snapshot.classes, view.plane)
        self.tile.latent.setToolTip(f"{self.title}: decoder and points from {view.where}")
        self.tile.open_button.setEnabled(self.path is not None)
        self.hover.set_view(view)  # decodes the cursor's last position with it, if the cursor has moved

    def index_of(self, image: np.ndarray) -> int | None:
        """Where `image` is in this run's display set (None: this run does not show it)."""
        return self._images.get(np.ascontiguousarray(image).tobytes())

    def ring(self, image: np.ndarray | None) -> bool:
        """Ring `image` where this run places it (None: no ring); whether this run shows it."""
        index = None if image is None or self.view is None else self.index_of(image)
        if index is None:
            self.tile.latent.mark(None)
            return False
        self.tile.latent.mark(index, self.view.xy[index])
        return True

    # ----- the cursor -------------------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_hovered_here(self, x: float, y: float) -> None:
        self.cursor.move(x, y, self)

    @Slot(float, float, object)
    def _on_cursor(self, x: float, y: float, source: object) -> None:
        self.hover.request(x, y)
        if source is not self and self.view is not None:
            self.tile.latent.show_crosshair(x, y)

    @Slot(object)
    def _on_decoded(self, hovered: Hovered) -> None:
        self.last_decoded = hovered
        self.tile.decoded.setPixmap(to_sized_pixmap(hovered.image, DECODED_PX, DECODED_PX))

    @Slot(int)
    def _on_point_clicked(self, index: int) -> None:
        if self.view is not None and index < len(self.view.xy):
            self.pointClicked.emit(self.view.snapshot.display_images[index])

    def _ask_open(self, for_comparison: bool) -> None:
        if self.path is not None:
            self.openRequested.emit(self.path, for_comparison)
