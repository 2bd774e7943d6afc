"""Two pins on the latent plot (Shift+click a point or empty space; drag to move) and the path between them.

A pin on a display image stays on that image from snapshot to snapshot; a pin on empty space stays at its plane
position. The path's frames are decoded off the GUI thread (core.latent.atlas.path_between / decode_path through a
LatestOnlyWorker), so dragging a pin never waits for the decoder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QPen

from core.latent.atlas import DecodedPath, PathEnd, decode_path, path_between
from explorer.latent.latent_panel import LatentPanel
from explorer.utils.latest_worker import LatestOnlyWorker

if TYPE_CHECKING:
    from core.latent.view import SnapshotView

PIN_MODIFIER = Qt.KeyboardModifier.ShiftModifier
SNAP_PX = 6.0  # a pin dropped this close to a point pins that image
PIN_COLOURS = ("#111111", "#b0006b")


def add_pin(plot: pg.PlotWidget, name: str, colour: str, movable: bool = True) -> pg.TargetItem:
    """A pin (A or B) on `plot`, hidden until placed: the run's own (draggable) and the comparison's (followers)."""
    pin = pg.TargetItem(
        size=14, symbol="o", pen=pg.mkPen(colour, width=2.5), brush=pg.mkBrush(255, 255, 255, 120),
        movable=movable, label=name, labelOpts={"color": colour, "offset": (9, -9)},
    )  # fmt: skip
    pin.setZValue(15)
    pin.setVisible(False)
    plot.addItem(pin, ignoreBounds=True)
    return pin


def add_path_line(plot: pg.PlotWidget) -> pg.PlotCurveItem:
    """The dashed line from pin A to pin B on `plot`, hidden until both are placed."""
    pen = QPen(QColor(PIN_COLOURS[0]), 2, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    line = pg.PlotCurveItem(pen=pen)
    line.setZValue(12)
    line.setVisible(False)
    plot.addItem(line, ignoreBounds=True)
    return line


class PathPins(QObject):
    """Pins A and B, the line between them, and the decoded path; `decoded` carries each new path's frames."""

    decoded = Signal(object)  # DecodedPath
    cleared = Signal()
    pinned = Signal(int)  # how many pins are set now (1 or 2)

    def __init__(self, panel: LatentPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.view: SnapshotView | None = None
        self.ends: list[PathEnd] = []
        self.steps = 12
        self.pins = [self._make_pin(name, colour) for name, colour in zip("AB", PIN_COLOURS, strict=True)]
        self.line = add_path_line(panel.plot)
        self.worker = LatestOnlyWorker("path-decoder", self)
        self.worker.done.connect(self.decoded)
        self.last: DecodedPath | None = None
        self.decoded.connect(self._remember)
        panel.plot.scene().sigMouseClicked.connect(self._on_click)

    def _make_pin(self, name: str, colour: str) -> pg.TargetItem:
        pin = add_pin(self.panel.plot, name, colour)
        self.panel.accept_hover(pin)  # its highlight under the mouse says it can be dragged
        pin.sigPositionChanged.connect(self._on_dragged)
        pin.sigPositionChangeFinished.connect(self._on_dropped)
        return pin

    # ----- what the window calls ------------------------------------------------------------------------------
    def set_view(self, view: SnapshotView) -> None:
        """A new snapshot: pins on images follow them; the path is decoded again with this decoder."""
        self.view = view
        self.ends = [self._follow(end) for end in self.ends]
        self._place()
        self.request()

    def set_steps(self, steps: int) -> None:
        self.steps = int(steps)
        self.request()

    def clear(self) -> None:
        self.ends = []
        self.last = None
        self.worker.cancel()
        self._place()
        self.cleared.emit()

    def reset(self) -> None:
        """Another model: no pins, no path."""
        self.view = None
        self.clear()

    def pin(self, x: float, y: float, index: int | None = None) -> None:
        """Pin A, then B; a third pin starts a new path at A."""
        end = PathEnd((float(x), float(y)), index)
        self.ends = [end] if len(self.ends) != 1 else [self.ends[0], end]
        self._place()
        self.pinned.emit(len(self.ends))
        self.request()

    @property
    def full_path(self) -> bool:
        return len(self.ends) == 2

    # ----- events -----------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not (event.modifiers() & PIN_MODIFIER):
            return
        point = self.panel.plane_position(event.scenePos())
        if point is None or self.view is None:
            return
        event.accept()
        self.pin(*self._snapped(point.x(), point.y()))

    def _snapped(self, x: float, y: float) -> tuple[float, float, int | None]:
        """(x, y) on a display image when one is within SNAP_PX pixels, with its index."""
        x_per_px, y_per_px = (abs(v) or 1e-9 for v in self.panel.view_box.viewPixelSize())
        index = self.panel.points.nearest(x, y, x_per_px, y_per_px, SNAP_PX)
        if index is None or self.view is None or index >= len(self.view.xy):
            return x, y, None
        return float(self.view.xy[index, 0]), float(self.view.xy[index, 1]), index

    @Slot(object)
    def _on_dragged(self, pin: pg.TargetItem) -> None:
        if not pin.moving:  # moved by _place, not by the mouse
            return
        number = self.pins.index(pin)
        if number < len(self.ends):
            position = pin.pos()
            self.ends[number] = PathEnd((position.x(), position.y()))
            self._place_line()
            self.request()

    @Slot(object)
    def _on_dropped(self, pin: pg.TargetItem) -> None:
        number = self.pins.index(pin)
        if number < len(self.ends):
            position = pin.pos()
            self.ends[number] = PathEnd(*self._split(self._snapped(position.x(), position.y())))
            self._place()
            self.request()

    @staticmethod
    def _split(found: tuple[float, float, int | None]) -> tuple[tuple[float, float], int | None]:
        return (found[0], found[1]), found[2]

    # ----- drawing and decoding ---------------------------------------------------------------------------------
    def _follow(self, end: PathEnd) -> PathEnd:
        if end.index is None or self.view is None:
            return end
        if end.index >= len(self.view.xy):
            return PathEnd(end.xy)
        return PathEnd((float(self.view.xy[end.index, 0]), float(self.view.xy[end.index, 1])), end.index)

    def _place(self) -> None:
        for number, pin in enumerate(self.pins):
            shown = number < len(self.ends)
            if shown:
                pin.setPos(QPointF(*self.ends[number].xy))
            pin.setVisible(shown)
        self._place_line()

    def _place_line(self) -> None:
        if len(self.ends) == 2:
            (xa, ya), (xb, yb) = self.ends[0].xy, self.ends[1].xy
            self.line.setData([xa, xb], [ya, yb])
        self.line.setVisible(len(self.ends) == 2)

    def request(self) -> None:
        view = self.view
        if view is None or len(self.ends) != 2:
            return
        ends, steps = (self.ends[0], self.ends[1]), self.steps

        def job(stale) -> DecodedPath | None:
            path = path_between(view, ends[0], ends[1], steps)
            return None if stale() else DecodedPath(path, decode_path(view, path), view.snapshot.step, view.where, ends)

        self.worker.submit(job)

    @Slot(object)
    def _remember(self, decoded: DecodedPath) -> None:
        self.last = decoded
