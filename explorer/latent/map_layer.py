"""The decoded map under the latent points: one decoded tile per cell over the visible part of the plane.

It follows the view: after a pan or zoom settles (a short quiet period) and at every snapshot, the visible range
is decoded again off the GUI thread (core.latent.atlas.decode_map through a LatestOnlyWorker), with about one tile per
MAP_TILE_PX screen pixels, 10 to 30 per axis. Until the new map arrives the old one stays where it belongs on
the plane, so panning never shows a blank. In the learned view, tiles far from every point are drawn dimmed
(core.latent.atlas.shown_tiles, as `render map --view umap` draws them): the inverse only guesses there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, QTimer, Signal, Slot

from core.latent.atlas import DecodedMap, PlaneRange, decode_map, mosaic, shown_tiles
from explorer.latent.latent_panel import LatentPanel
from explorer.utils.latest_worker import LatestOnlyWorker

if TYPE_CHECKING:
    from core.latent.view import SnapshotView

MAP_TILE_PX = 40  # a tile's on-screen side the grid aims at: legible digits
MIN_TILES, MAX_TILES = 10, 30  # per axis
SETTLE_MS = 150  # quiet time after the last pan/zoom step before the map is decoded again
DEFAULT_OPACITY = 0.55


def tiles_for(pixels: float) -> int:
    """Tiles along an axis `pixels` long on screen: about one per MAP_TILE_PX, 10 to 30."""
    return int(np.clip(round(pixels / MAP_TILE_PX), MIN_TILES, MAX_TILES))


@dataclass(frozen=True)
class ShownMap:
    decoded: DecodedMap
    picture: np.ndarray  # the mosaic, row 0 the top row (largest y)
    mapped_back: bool  # the plane's points were mapped back to full codes (latent size above 2)


class MapLayer(QObject):
    """Owns the map's image item in the latent plot and keeps it current; `changed` says what it shows."""

    changed = Signal(str)  # a caption: what the map shows now, or that it is being decoded ("Decoding …")

    def __init__(self, panel: LatentPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-20)  # under the points, the pins and the crosshair
        self.image.setOpacity(DEFAULT_OPACITY)
        self.image.setVisible(False)
        panel.plot.addItem(self.image, ignoreBounds=True)  # the view fits the points, never the map
        self.worker = LatestOnlyWorker("map-decoder", self)
        self.worker.done.connect(self._show)
        self.worker.failed.connect(self._on_failed)
        self.settle = QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.setInterval(SETTLE_MS)
        self.settle.timeout.connect(self.refresh)
        panel.view_box.sigRangeChanged.connect(self._on_range_changed)
        self.enabled = False
        self.view: SnapshotView | None = None
        self.shown: ShownMap | None = None
        #: Whether a run is training now (the exploration wires the session's answer): the map then decodes on one
        #: torch thread, else on both cores unless other programs keep them busy
        #: (core.runs.backend.decode_map_threads).
        self.training: Callable[[], bool] = lambda: False

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.image.setVisible(on and self.shown is not None)
        if on:
            self.refresh()
        else:
            self.settle.stop()
            self.worker.cancel()
            self.changed.emit("")

    def set_opacity(self, value: float) -> None:
        self.image.setOpacity(float(np.clip(value, 0.0, 1.0)))

    def set_view(self, view: SnapshotView) -> None:
        """A new snapshot: the map is decoded again with its decoder (the points and hover use it too)."""
        self.view = view
        if self.enabled:
            self.refresh()

    def clear(self) -> None:
        """Another model: nothing of the previous one stays."""
        self.view, self.shown = None, None
        self.worker.cancel()
        self.image.clear()
        self.image.setVisible(False)
        self.changed.emit("")

    @Slot()
    def _on_range_changed(self, *_: object) -> None:
        if self.enabled and self.view is not None:
            self.settle.start()  # restarted by every step of a pan or zoom: decoded once it settles

    def visible_area(self) -> tuple[PlaneRange, int, int] | None:
        """The plane range in view and the tiles per axis its on-screen size calls for."""
        box = self.panel.view_box
        (x0, x1), (y0, y1) = box.viewRange()
        try:
            area = PlaneRange(float(x0), float(x1), float(y0), float(y1))
        except ValueError:
            return None
        rect = box.sceneBoundingRect()
        return area, tiles_for(rect.width()), tiles_for(rect.height())

    @Slot()
    def refresh(self) -> None:
        """Decode the visible range again, in the background; only the newest request's map is drawn."""
        self.settle.stop()
        view = self.view
        found = self.visible_area() if self.enabled and view is not None else None
        if found is None:
            return
        area, columns, rows = found
        mapped_back = view.plane.is_pca
        training = self.training()

        def job(stale) -> ShownMap | None:
            from core.runs.backend import decode_map_threads

            decode_map_threads(training)
            decoded = decode_map(view, area, columns, rows, cancelled=stale)
            return None if decoded is None else ShownMap(decoded, mosaic(shown_tiles(decoded)), mapped_back)

        self.changed.emit(f"Decoding {columns}×{rows} tiles at {view.where}…")
        self.worker.submit(job)

    @Slot(object)
    def _show(self, shown: ShownMap) -> None:
        if not self.enabled or self.view is None or shown.decoded.step != self.view.snapshot.step:
            return
        self.shown = shown
        area = shown.decoded.area
        # row 0 of the mosaic is the top (largest y); the image item puts its row 0 at the rect's smallest y
        self.image.setImage(shown.picture[::-1], levels=(0, 255), autoLevels=False)
        self.image.setRect(QRectF(area.x0, area.y0, area.x1 - area.x0, area.y1 - area.y0))
        self.image.setVisible(True)
        self.changed.emit(self.caption())

    def caption(self) -> str:
        if self.shown is None or self.view is None:
            return ""
        rows, columns = self.shown.decoded.centres.shape[:2]
        text = f"Map: {columns}×{rows} tiles at {self.view.where}"
        if getattr(self.view.plane, "is_learned", False):
            text += ", layout positions mapped back to codes by the learned inverse"
        elif self.shown.mapped_back:
            text += ", plane points mapped back to full codes"
        if self.shown.decoded.dims:
            text += "; tiles far from every point are dimmed (the inverse only guesses there)"
        return text

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.changed.emit(f"The map could not be decoded: {message}")
