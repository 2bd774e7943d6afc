"""One run on screen: its session's shown view drawn on a latent panel, the preview of the cursor's decode and of a
clicked point, the nearest images, and a VAE point's σ ellipse.

Why one object: the window shows the run, the comparison shows a second one, and a sweep's gallery will show many;
each is the same wiring from a session to its panels. Built once per run, they share one cursor
(explorer.latent.shared_cursor): a hover over any panel decodes that plane position in every run, each with its own
view. This object is the one writer of its panel's points and caption: the shown view's points, the live partial
updates between two snapshots, and the time-lapse's interpolated points all pass here, so the caption always says
what the points are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Slot

from explorer.latent.hover import NEAREST, HoverDecoder
from explorer.latent.sigma_ellipse import SigmaEllipse

if TYPE_CHECKING:
    from core.latent.plane import LatentPlane
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo
    from explorer.latent.hover import Hovered
    from explorer.latent.latent_panel import LatentPanel
    from explorer.latent.neighbours_panel import NeighboursPanel
    from explorer.latent.preview_panel import PreviewPanel
    from explorer.latent.shared_cursor import SharedCursor
    from explorer.training.session import RunSession
    from explorer.training.worker import LiveUpdate

HOW_TO = "Hover to decode, click a point to inspect it, drag to pan, wheel to zoom."


class RunView(QObject):
    """A session's run on its own latent panel and preview (and nearest-images panel, if it has one)."""

    def __init__(
        self,
        session: RunSession,
        latent: LatentPanel,
        preview: PreviewPanel,
        cursor: SharedCursor,
        neighbours: NeighboursPanel | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.latent, self.preview, self.neighbours = session, latent, preview, neighbours
        self.cursor = cursor
        #: What the captions call this run ("variational autoencoder (β 4), latent 2, MNIST"); None for the run in
        #: the middle of the window, whose caption says how to explore instead.
        self.title: str | None = None
        self.hover = HoverDecoder(NEAREST if neighbours is not None else 0, self)
        self.ellipse = SigmaEllipse(latent)
        self._live_xy: np.ndarray | None = None  # the shown live view's points, moved by partial updates
        self._moved = np.zeros(0, bool)  # which of them moved since the last full snapshot
        session.runReady.connect(self._on_run_ready)
        session.viewChanged.connect(self._on_view)
        session.livePoints.connect(self._on_live_points)
        latent.hovered.connect(self._on_hovered_here)
        latent.pointClicked.connect(self.show_point)
        cursor.moved.connect(self._on_cursor)
        self.hover.decoded.connect(self._on_decoded)

    # ----- from the session ---------------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_ready(self, _info: RunInfo) -> None:
        """Another model: nothing of the previous one stays on screen."""
        self.latent.reset_view()
        self.latent.mark(None)
        self.preview.clear_picked()
        self.preview.clear_decoded()
        self.ellipse.hide()
        self.hover.set_view(None)
        self._live_xy = None
        if self.neighbours is not None:
            self.neighbours.clear()

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        snapshot = view.snapshot
        following = self.session.shown.following_live
        self._live_xy = np.array(view.xy, np.float32) if following else None
        self._moved = np.zeros(len(view.xy), bool)
        self._draw(view.xy, snapshot.labels, snapshot.classes, view.plane)
        self._say(self._caption_of(view, recorded=not following))
        self.hover.set_view(view)
        where = f"Decoder and points from {view.where}" if self.title is None else f"Decoder from {view.where}"
        self.preview.show_snapshot_info(where)
        self.ellipse.hide()

    @Slot(object)
    def _on_live_points(self, update: LiveUpdate) -> None:
        """Points encoded since the last full snapshot (by the training batches or a re-encoded slice), on its
        plane: moved where they are now."""
        view = self.session.view
        if self._live_xy is None or view is None or update.plane_step != view.snapshot.step:
            return
        self._live_xy[update.indices] = update.xy
        self._moved[update.indices] = True
        snapshot = view.snapshot
        self._draw(self._live_xy, snapshot.labels, snapshot.classes, view.plane, live=True)
        moved = int(self._moved.sum())
        self._say(
            f"Live: {moved:,} of {len(self._moved):,} points moved up to step {update.step:,} (partial update); "
            f"the other points, hover and reconstructions are from the full snapshot at {view.where}."
        )

    def show_between(self, xy: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], plane: LatentPlane) -> None:
        """Points between two recorded frames (the time-lapse's playback); the caption stays the frame's."""
        self._draw(xy, labels, classes, plane)

    def _caption_of(self, view: SnapshotView, recorded: bool) -> str:
        count = f"{len(view.xy):,} images encoded at {view.where}"
        if recorded:
            return (
                f"Recorded frame: {count}; hover decodes with this frame's decoder. Live returns to the newest state."
            )
        pca = " — first two principal components" if view.plane.is_pca else ""
        if self.title is not None:
            return f"{self.title}: {count}{pca}."
        return f"{count}{pca}. {HOW_TO}"

    def _draw(
        self, xy: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], plane: LatentPlane, live: bool = False
    ) -> None:
        self.latent.show_points(xy, labels, classes, plane, live=live)

    def _say(self, text: str) -> None:
        self.latent.set_caption(text)

    # ----- the cursor ---------------------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_hovered_here(self, x: float, y: float) -> None:
        self.cursor.move(x, y, self)

    @Slot(float, float, object)
    def _on_cursor(self, x: float, y: float, source: object) -> None:
        """The shared cursor moved: decode that position with this run's view; draw the crosshair if the mouse is
        over another run's panel (this panel's own crosshair follows the mouse already)."""
        self.hover.request(x, y)  # with no view yet, it decodes there once the first one arrives
        view = self.session.view
        if view is None:
            return
        if source is not self:
            self.latent.show_crosshair(x, y)
        self.ellipse.show_near(view, x, y)

    @Slot(object)
    def _on_decoded(self, hovered: Hovered) -> None:
        self.preview.show_decoded(hovered.image, hovered.xy, hovered.code, hovered.view.plane.is_pca)
        if self.neighbours is not None and hovered.nearest is not None and hovered.meter is not None:
            view = hovered.view
            self.neighbours.show_neighbours(
                hovered.nearest, hovered.meter, view.snapshot.display_images, hovered.labels, view.where
            )

    # ----- a click ------------------------------------------------------------------------------------------------
    @Slot(int)
    def show_point(self, index: int) -> None:
        """A display image beside its reconstruction by the shown snapshot, with its label and code."""
        view = self.session.view
        if view is None or index >= len(view.xy):
            return
        self.latent.mark(index, view.xy[index])
        code = view.snapshot.codes[index]
        shown = ", ".join(f"{v:+.2f}" for v in code[:6]) + (", …" if len(code) > 6 else "")
        self.preview.show_picked(
            view.snapshot.display_images[index],
            view.reconstruct(index),
            f"Label: {view.label_of(index)}  ·  image #{index}\nz = ({shown})",
        )
