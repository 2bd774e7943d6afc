"""The user's own picture in the window: the "Your image" dock, the star on the latent panel, and the background job
that reads, converts, encodes and places the picture (core.latent.own_picture, core.latent.pinned_image) for the view
shown.

The picture is placed again whenever the session shows another view (each snapshot while training, a time-lapse
frame, an opened checkpoint), so the star moves with the network. Everything shown comes from that one view: the
star's position, the reconstruction and the nearest labels; the caption says which step. Files are read in the
same background thread; a file that is not a picture leaves a message in the dock and the last picture in place.

The feature gets what it uses (the session, the latent panel, the dock registry, the close hooks), never the window:
its dock goes through the registry, its worker stops with the window's close hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QFileDialog, QFrame, QScrollArea

from explorer.own_image.panel import NO_MODEL, START, OwnImagePanel
from explorer.own_image.star import StarMarker
from explorer.utils.latest_worker import LatestOnlyWorker
from explorer.utils.registries import CloseHooks, DockRegistry

if TYPE_CHECKING:
    from core.latent.pinned_image import PinnedImage
    from core.latent.view import SnapshotView
    from explorer.latent.latent_panel import LatentPanel
    from explorer.training.session import RunSession

PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
NO_ENCODER = (
    "This recorded frame was read from a file, which keeps decoders only: your image is placed on the live model "
    "and on frames recorded in this session."
)


@dataclass(frozen=True)
class Placed:
    """What the background job hands back: the picture read (from a file), and where it lands in the view."""

    path: Path | None  # the file read, if this job read one
    picture: np.ndarray | None  # H×W×3 uint8 of the file read (for the canvas)
    pinned: PinnedImage | None
    view: SnapshotView | None
    error: str | None = None


def place(source: np.ndarray | Path, view: SnapshotView | None, stale: Callable[[], bool]) -> Placed:
    """Read (a path), convert and pin `source` on `view`; a file that is not a picture comes back as an error."""
    from core.latent.own_picture import PictureError, as_array, read_picture
    from core.latent.pinned_image import as_network_input, pin_image

    path = source if isinstance(source, Path) else None
    picture = None
    if path is not None:
        try:
            image = read_picture(path)
        except PictureError as error:
            return Placed(path, None, None, view, str(error))
        picture = (as_array(image) * 255 + 0.5).astype(np.uint8)
        source = image
    if view is None or not view.can_encode or stale():
        return Placed(path, picture, None, view)
    return Placed(path, picture, pin_image(view, as_network_input(view, source)), view)


class OwnImage(QObject):
    """The "Your image" dock (hidden until View › Your image; then beside the preview, or a tab of the training form
    on a narrow screen) and its star."""

    def __init__(
        self,
        session: RunSession,
        latent: LatentPanel,
        docks: DockRegistry,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session, self._latent, self._docks = session, latent, docks
        self.panel = OwnImagePanel()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        # in a scroll area: the panel is some 440 pixels tall (the 224-pixel canvas, the two tiles, the texts), more
        # than a 1024×700 window has beside its bottom docks; as the dock's minimum it grew the window past the screen
        scroller = QScrollArea()
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidgetResizable(True)
        scroller.setWidget(self.panel)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(self.panel.minimumSizeHint().width() + scroller.verticalScrollBar().sizeHint().width())
        self.dock = docks.add("ownImage", "Your image", scroller, right, visible=False)  # object name ownImageDock
        self._shown_before = False
        self.star = StarMarker()
        latent.plot.addItem(self.star, ignoreBounds=True)
        self.worker = LatestOnlyWorker("own-image", self)
        self.worker.done.connect(self._on_placed)
        self.worker.failed.connect(self._on_failed)
        self.source: np.ndarray | None = None  # the picture shown on the canvas (None: nothing drawn)
        self.reading: Path | None = None  # a file being read; the source stays until it proves to be a picture
        self.pinned: PinnedImage | None = None  # where the picture lies in the view shown
        canvas = self.panel.canvas
        canvas.drawn.connect(self._on_drawn)
        # mid-stroke, the picture so far is placed a few times a second: the star and the reconstruction follow the pen
        self._mid_stroke = QTimer(self)
        self._mid_stroke.setSingleShot(True)
        self._mid_stroke.setInterval(150)
        self._mid_stroke.timeout.connect(self._on_drawn)
        canvas.stroking.connect(self._on_stroking)
        canvas.fileDropped.connect(self.open_file)
        self.panel.clear_button.clicked.connect(self.clear)
        self.panel.open_button.clicked.connect(self.ask_open)
        self.dock.toggleViewAction().toggled.connect(self._on_toggled)
        session.viewChanged.connect(self._on_view)
        latent.view_box.sigRangeChanged.connect(self._place_label)
        close_hooks.add("your image", self.worker.shutdown)

    @property
    def view(self) -> SnapshotView | None:
        return self._session.view

    # ----- from the user ----------------------------------------------------------------------------------------
    @Slot()
    def _on_drawn(self) -> None:
        self._mid_stroke.stop()
        self.reading = None  # a stroke after a drop: the canvas (with the dropped picture) is the picture now
        self.source = self.panel.canvas.picture()
        self._submit()

    @Slot()
    def _on_stroking(self) -> None:
        if not self._mid_stroke.isActive():
            self._mid_stroke.start()

    @Slot()
    def ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.panel, "Open a picture", "", PICTURE_FILTER)
        if path:
            self.open_file(Path(path))

    @Slot(object)
    def open_file(self, path: Path) -> None:
        """Read `path` in the background; the canvas and the star change only once it proves to be a picture."""
        self.reading = Path(path)
        self.panel.say(f"Reading {self.reading.name}…")
        self._submit()

    @Slot()
    def clear(self) -> None:
        self._mid_stroke.stop()
        self.worker.cancel()
        self.source = self.reading = self.pinned = None
        self.panel.canvas.clear()
        self.panel.show_result(None, None, "", "")
        self.panel.say(START)
        self._show_star()

    # ----- placing ----------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        if self.source is not None or self.reading is not None:
            self._submit()

    def _submit(self) -> None:
        source = self.reading if self.reading is not None else self.source
        if source is None:
            return
        view = self.view
        self.worker.submit(lambda stale: place(source, view, stale))

    @Slot(object)
    def _on_placed(self, placed: Placed) -> None:
        if placed.path is not None and placed.path != self.reading:
            return  # a file the user has since replaced (another drop, a stroke, Clear)
        if placed.error is not None:
            self.reading = None
            self.panel.say(f"{placed.error}. Your last picture is kept.")
            return
        if placed.picture is not None:
            self.reading = None
            self.source = placed.picture
            self.panel.canvas.show_picture(placed.picture)
        if placed.view is not self.view:  # the session moved on while this ran: place it on the newer view
            self._submit()
            return
        self.pinned = placed.pinned
        if self.pinned is None:
            self.panel.show_result(None, None, "", "")
            self.panel.say(NO_MODEL if placed.view is None else NO_ENCODER)
        else:
            pinned = self.pinned
            self.panel.show_result(
                pinned.image, pinned.reconstruction, pinned.where, "closest: " + " ".join(pinned.nearest_labels)
            )
            x, y = pinned.xy
            self.panel.say(f"The star on the latent space is your image, encoded at {pinned.where}: ({x:.2f}, {y:.2f})")
            self.star.setPos(x, y)
            self._place_label()
        self._show_star()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.reading = None
        self.panel.say(f"Your picture could not be placed: {message}")

    @Slot()
    def _place_label(self, *_: object) -> None:
        if self.star.isVisible() or self.pinned is not None:
            self.star.keep_label_inside(self._latent.view_box.sceneBoundingRect())

    @Slot(bool)
    def _on_toggled(self, shown: bool) -> None:
        first = shown and not self._shown_before
        self._shown_before = self._shown_before or shown
        if first and not self.dock.isFloating():
            # beside the preview, as the README and the guide say: you draw and watch the hover's decode at once.
            # Where that would push the window past its screen (1024 wide), a tab of the training form, whose
            # column scrolls (a tab bar over the preview made its column too tall for 700 pixels). Done when first
            # shown, not when built: a hidden dock tabified at start left Qt's tab bar painted over the dock below
            # it. Only the first time: where the user then moves it, it stays.
            self._docks.place_beside("ownImage", "preview", otherwise="training")
        if shown:
            QTimer.singleShot(0, self.dock.raise_)  # shown from View: its tab to the front, once laid out
        self._show_star()

    @Slot()
    def _show_star(self, *_: object) -> None:
        self.star.setVisible(self.pinned is not None and self.dock.toggleViewAction().isChecked())
