"""The first run's pinned path, shown in the comparison run too: the pins' line on the comparison's latent plot and
a second path strip under it, decoded with the comparison run's own SnapshotView.

The path follows the pins on the first run's plot (set, moved, cleared, more or fewer frames) and is decoded again
at each comparison snapshot. It runs along the same plane positions, except where both ends are display images, the
comparison's latent space has more than two dimensions and its display set holds the same images as the first run's
(same data set and seed): the path then joins those images' full codes in the comparison run, as it does in the
first. The strip's caption says which. Decoding runs off the GUI thread (a LatestOnlyWorker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF, Slot

from core.latent.atlas import DecodedPath, PathEnd, decode_path, path_between
from explorer.latent.path_pins import PIN_COLOURS, add_path_line, add_pin
from explorer.latent.path_strip import PathStripPanel
from explorer.utils.latest_worker import LatestOnlyWorker

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from explorer.compare.comparison import ComparisonPanel
    from explorer.latent.path_pins import PathPins
    from explorer.latent.run_view import RunView
    from explorer.training.session import RunSession
    from explorer.utils.registries import CloseHooks

WAITING = "Shift+click two places in the first run's latent space: the same path is decoded here with this run."
PLANE_NOTE = " (the same plane positions: the two runs' display images differ)"


def comparison_ends(main: SnapshotView | None, other: SnapshotView, ends: tuple[PathEnd, PathEnd]) -> tuple:
    """The path's ends in the comparison run: its own images' positions where a full-code path applies (both ends
    images, latent > 2, the same display images in both runs), else the same plane positions without images."""
    images = all(end.index is not None for end in ends) and other.plane.is_pca
    if images and main is not None and same_images(main, other):
        return tuple(PathEnd(tuple(float(v) for v in other.xy[end.index]), end.index) for end in ends)
    return tuple(PathEnd(end.xy) for end in ends)


def same_images(main: SnapshotView, other: SnapshotView) -> bool:
    """Whether the two runs' display sets are the same images (same data set and seed), compared pixel for pixel."""
    a, b = main.snapshot.display_images, other.snapshot.display_images
    return a.shape == b.shape and bool(np.array_equal(a, b))


class ComparisonPath(QObject):
    """The main pins' path on the comparison panel: its line, its strip, decoded with the comparison's view."""

    def __init__(
        self,
        run: RunView,
        panel: ComparisonPanel,
        pins: PathPins,
        first: RunSession,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        """`run` is the comparison's RunView, `panel` its panel (the strip goes under it); `pins` and `first` are the
        first run's pins and session (its view tells whether both runs show the same display images)."""
        super().__init__(parent)
        self.run, self.pins, self.first = run, pins, first
        latent = run.latent
        self.strip = PathStripPanel()
        self.strip.frames.hide()  # the first run's strip sets how many frames
        self.strip.export_button.hide()
        self.strip.clear_button.setToolTip("Remove both pins, here and in the first run (Esc)")
        self.strip.hide()
        panel.layout().insertWidget(2, self.strip)  # under the latent space and the preview
        self.line = add_path_line(latent.plot)
        self.marks = [
            add_pin(latent.plot, name, colour, movable=False) for name, colour in zip("AB", PIN_COLOURS, strict=True)
        ]
        self.ends: tuple[PathEnd, PathEnd] | None = None  # the first run's pins, as its last decoded path had them
        self.steps = pins.steps
        self.last: DecodedPath | None = None
        self.worker = LatestOnlyWorker("comparison-path-decoder", self)
        self.worker.done.connect(self.show_path)
        pins.decoded.connect(self.follow)
        pins.pinned.connect(self._on_pinned)
        pins.cleared.connect(self.clear)
        self.strip.clearRequested.connect(pins.clear)
        run.session.viewChanged.connect(self.request)
        run.session.runReady.connect(self._on_run_ready)
        close_hooks.add("comparison path", self.worker.shutdown)

    # ----- from the first run's pins and the comparison's session ----------------------------------------------
    @Slot(object)
    def follow(self, decoded: DecodedPath) -> None:
        """The first run's path was decoded (pins set or moved, frames changed, a new snapshot): follow it."""
        self.ends, self.steps = decoded.ends, len(decoded.frames)
        self.strip.show()
        self.request()

    @Slot(object)
    def request(self, _view: object = None) -> None:
        view, ends, steps = self.run.session.view, self.ends, self.steps
        if view is None or ends is None:
            return
        main = self.first.view

        def job(stale) -> DecodedPath | None:
            own = comparison_ends(main, view, ends)
            path = path_between(view, own[0], own[1], steps)
            return None if stale() else DecodedPath(path, decode_path(view, path), view.snapshot.step, view.where, own)

        self.worker.submit(job)

    @Slot(object)
    def show_path(self, decoded: DecodedPath) -> None:
        if self.ends is None:  # cleared while it was decoding
            return
        self.last = decoded
        self.strip.show_path(decoded)
        note = ""
        if not decoded.path.full_codes and all(end.index is not None for end in self.ends):
            view = self.run.session.view
            note = PLANE_NOTE if view is not None and view.plane.is_pca else " (a 2-D latent space: the plane)"
        self.strip.caption.setText(f"Comparison run: {self.strip.caption.text()}{note}")
        xy = decoded.path.xy
        self.line.setData([float(xy[0, 0]), float(xy[-1, 0])], [float(xy[0, 1]), float(xy[-1, 1])])
        self.line.setVisible(True)
        for mark, point in zip(self.marks, (xy[0], xy[-1]), strict=True):
            mark.setPos(QPointF(float(point[0]), float(point[1])))
            mark.setVisible(True)

    @Slot(int)
    def _on_pinned(self, count: int) -> None:
        if count == 1:  # a new path begins: the old one goes
            self._forget()
            self.strip.show()
            self.strip.show_hint(WAITING)

    @Slot()
    def clear(self) -> None:
        self._forget()
        self.strip.hide()

    def _forget(self) -> None:
        self.ends, self.last = None, None
        self.worker.cancel()
        self.strip.clear()
        self.line.setVisible(False)
        for mark in self.marks:
            mark.setVisible(False)

    @Slot(object)
    def _on_run_ready(self, _info: object) -> None:
        """Another comparison model: the first run's pins stay; the path is decoded at its first snapshot."""
        self.last = None
        self.worker.cancel()
        self.line.setVisible(False)
        for mark in self.marks:
            mark.setVisible(False)
        if self.ends is not None:
            self.strip.show_hint("Waiting for the comparison run's first snapshot to decode the pinned path.")
