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

from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Slot

from core.latent.selection_set import Combine, matching_rows
from explorer.latent.hover import NEAREST, HoverDecoder
from explorer.latent.sigma_ellipse import SigmaEllipse
from explorer.utils.palette import error_argb

if TYPE_CHECKING:
    from core.latent.plane import LatentPlane
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo
    from explorer.latent.hover import Hovered
    from explorer.latent.latent_panel import LatentPanel
    from explorer.latent.neighbours_panel import NeighboursPanel
    from explorer.latent.preview_panel import PreviewPanel
    from explorer.latent.shared_cursor import SharedCursor
    from explorer.latent.shared_selection import SharedSelection
    from explorer.training.session import RunSession
    from explorer.training.worker import LiveUpdate

HOW_TO = "Hover to decode, click a point to inspect it, drag to pan, wheel to zoom."


class ColourBy(StrEnum):
    """What the points' colours say: their class, or how badly the shown snapshot reconstructs each image."""

    CLASS = "class"
    ERROR = "error"


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
        selection: SharedSelection | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.latent, self.preview, self.neighbours = session, latent, preview, neighbours
        self.cursor, self.selection = cursor, selection
        self.colour_by = ColourBy.CLASS
        #: For each of this run's display images, its index in the selection's display set (-1: not there).
        self._to_selection: np.ndarray | None = None
        self._drawn: tuple[np.ndarray, np.ndarray, tuple[str, ...], LatentPlane] | None = None
        self._error_colours: tuple[np.ndarray, np.ndarray] | None = None  # a snapshot's errors and their colours
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
        session.shown.layingOut.connect(self._on_laying_out)
        latent.hovered.connect(self._on_hovered_here)
        latent.pointClicked.connect(self.show_point)
        cursor.moved.connect(self._on_cursor)
        self.hover.decoded.connect(self._on_decoded)
        if selection is not None:
            selection.changed.connect(self._on_selection)
            selection.referenceChanged.connect(self._on_reference)
            selection.hovered.connect(self._on_tile_hovered)
            selection.clicked.connect(self._on_tile_clicked)
            latent.regionSelected.connect(self._on_region)

    # ----- from the session ---------------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_ready(self, _info: RunInfo) -> None:
        """Another model: nothing of the previous one stays on screen."""
        self.latent.reset_view()
        self.latent.mark(None)
        self.preview.clear_picked()
        self.preview.clear_decoded()
        self.ellipse.hide()
        self.latent.show_ring(None)
        self.hover.set_view(None)
        self._live_xy = None
        self._to_selection = None
        if self.neighbours is not None:
            self.neighbours.clear()

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        snapshot = view.snapshot
        following = self.session.shown.following_live
        self._live_xy = np.array(view.xy, np.float32) if following else None
        self._moved = np.zeros(len(view.xy), bool)
        if self.selection is not None:  # the same images as before; another run's matched afresh
            self.latent.points.selected = self.mine(self.selection.indices)
        before = self._drawn[3] if self._drawn is not None else None
        self._draw(view.xy, snapshot.labels, snapshot.classes, view.plane)
        if before is not None and _learned(before) != _learned(view.plane):
            self.latent.reset_view()  # another projection: its coordinates have nothing to do with the last one's
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
        if _learned(view.plane):  # the update's positions are on the PCA plane, not this layout
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

    @Slot(bool)
    def _on_laying_out(self, busy: bool) -> None:
        """Say that the learned view is coming (the view on screen stays whole, hover and all, until it is)."""
        view = self.session.view
        if busy:
            self._say("Laying out the learned view (UMAP) of this snapshot… the view below stays until it is ready.")
        elif view is not None:
            self._say(self._caption_of(view, recorded=not self.session.shown.following_live))

    def show_between(self, xy: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], plane: LatentPlane) -> None:
        """Points between two recorded frames (the time-lapse's playback); the caption stays the frame's."""
        self._draw(xy, labels, classes, plane)

    def _caption_of(self, view: SnapshotView, recorded: bool) -> str:
        count = f"{len(view.xy):,} images encoded at {view.where}"
        learned = _learned(view.plane)
        through = (
            "hover decodes through the learned view's inverse"
            if learned
            else "hover decodes through the PCA plane"
            if view.plane.latent_dim > 2
            else ""
        )
        if recorded:
            way = f" ({through})" if through else ""
            return (
                f"Recorded frame: {count}; hover decodes with this frame's decoder{way}. "
                "Live returns to the newest state."
            )
        pca = (
            f" — learned view (UMAP); {through}"
            if learned
            else f" — first two principal components; {through}"
            if through
            else " — first two principal components"
            if view.plane.is_pca
            else ""
        )
        if self.title is not None:
            return f"{self.title}: {count}{pca}."
        return f"{count}{pca}. {HOW_TO}"

    def _draw(
        self, xy: np.ndarray, labels: np.ndarray, classes: tuple[str, ...], plane: LatentPlane, live: bool = False
    ) -> None:
        self._drawn = (xy, labels, classes, plane)
        self.latent.show_points(xy, labels, classes, plane, live=live, colours=self._colours(len(xy)))
        ringed = self.latent.ringed
        if ringed is not None and ringed < len(xy):
            self.latent.show_ring(ringed, xy[ringed])

    def _colours(self, count: int) -> np.ndarray | None:
        """Each point's colour by its reconstruction error at the shown snapshot; None: by class (also where the
        snapshot carries no errors, as a time-lapse frame recorded before errors were kept)."""
        view = self.session.view
        errors = getattr(view.snapshot, "errors", None) if view is not None else None
        if self.colour_by is not ColourBy.ERROR or errors is None or len(errors) != count:
            return None
        if self._error_colours is None or self._error_colours[0] is not errors:  # once per snapshot, not per redraw
            self._error_colours = (errors, error_argb(errors))
        return self._error_colours[1]

    def set_colour_by(self, colour_by: ColourBy) -> None:
        """Colour the points by class or by error from now on; the points shown now are redrawn at once."""
        self.colour_by = ColourBy(colour_by)
        if self._drawn is not None:
            self._draw(*self._drawn)

    @property
    def shown_errors(self) -> np.ndarray | None:
        """The shown snapshot's per-image reconstruction errors, or None where it carries none."""
        view = self.session.view
        return getattr(view.snapshot, "errors", None) if view is not None else None

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
        self.latent.mark(index, self._shown_xy(index, view.xy))
        code = view.snapshot.codes[index]
        shown = ", ".join(f"{v:+.2f}" for v in code[:6]) + (", …" if len(code) > 6 else "")
        self.preview.show_picked(
            view.snapshot.display_images[index],
            view.reconstruct(index),
            f"Label: {view.label_of(index)}  ·  image #{index}\nz = ({shown})",
        )

    # ----- the shared selection -------------------------------------------------------------------------------------
    def _shown_xy(self, index: int, fallback: np.ndarray) -> np.ndarray:
        """Where point `index` is drawn now (a live update or a time-lapse in-between moves it off the view's xy)."""
        xy = self._drawn[0] if self._drawn is not None else fallback
        return xy[index] if index < len(xy) else fallback[index]

    def _mapping(self) -> np.ndarray | None:
        """This run's display images as indices of the selection's display set (identity for the run it was made
        on), found once per run; None before this run has a view or the selection a display set."""
        view = self.session.view
        if view is None or self.selection is None or self.selection.images is None:
            return None
        if self._to_selection is None or len(self._to_selection) != len(view.snapshot.display_images):
            self._to_selection = matching_rows(self.selection.images, view.snapshot.display_images)
        return self._to_selection

    def mine(self, indices: np.ndarray) -> np.ndarray:
        """Indices of the selection's display set as indices of this run's display images (those it has)."""
        mapping = self._mapping()
        if mapping is None or not len(indices):
            return np.zeros(0, np.int64)
        if len(mapping) and mapping[-1] == len(mapping) - 1 and np.array_equal(mapping, np.arange(len(mapping))):
            return np.asarray(indices, np.int64)[np.asarray(indices) < len(mapping)]
        return np.flatnonzero(np.isin(mapping, indices)).astype(np.int64)

    def theirs(self, indices: np.ndarray) -> np.ndarray:
        """Indices of this run's display images as indices of the selection's display set (those that are there)."""
        mapping = self._mapping()
        if mapping is None:
            return np.zeros(0, np.int64)
        found = mapping[np.asarray(indices, np.int64)]
        return found[found >= 0]

    @Slot(object)
    def _on_selection(self, indices: np.ndarray) -> None:
        self.latent.points.set_selected(self.mine(indices))

    @Slot()
    def _on_reference(self) -> None:
        self._to_selection = None

    @Slot(object, object)
    def _on_region(self, polygon: np.ndarray, how: Combine) -> None:
        """A lasso or rectangle on this panel: the points drawn inside it now, combined with the selection."""
        from core.latent.lasso import points_in_polygon

        if self.selection is None or self.session.view is None:
            return
        inside = np.flatnonzero(points_in_polygon(self.latent.points.positions, polygon))
        self.selection.select(self.theirs(inside), how)

    @Slot(object)
    def _on_tile_hovered(self, index: int | None) -> None:
        found = self.mine(np.array([index])) if index is not None else np.zeros(0, np.int64)
        if len(found) and self._drawn is not None:
            self.latent.show_ring(int(found[0]), self._drawn[0][int(found[0])])
        else:
            self.latent.show_ring(None)

    @Slot(int)
    def _on_tile_clicked(self, index: int) -> None:
        found = self.mine(np.array([index]))
        if len(found):
            self.show_point(int(found[0]))


def _learned(plane: LatentPlane) -> bool:
    """A learned view's plane (core.latent.learned_view), whose positions are a layout, not a PCA plane's."""
    return bool(getattr(plane, "is_learned", False))
