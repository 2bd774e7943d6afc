"""The latent-space panel: encoded images as class-coloured points, a crosshair, and hover/click signals."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QMouseEvent, QPainterPath, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsTextItem,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.latent.plane import LatentPlane
from core.latent.selection_set import Combine
from explorer.latent.class_legend import ClassLegend
from explorer.latent.crosshair import CrosshairLine
from explorer.latent.point_cloud import PointCloudItem
from explorer.utils.palette import argb_table
from explorer.utils.wrapped_label import WrappedLabel

_CACHED = QGraphicsItem.CacheMode.DeviceCoordinateCache
#: The plot's least height: with a path strip under it, the map's row, the time-lapse's row and the docks below, a
#: 1024×700 screen leaves the plot about this much; a larger floor pushed the window past the screen's bottom edge.
MIN_PLOT_HEIGHT = 140


class MouseMoveCoalescer(QObject):
    """Lets only the latest of a burst of mouse moves reach the plot.

    pyqtgraph spends ~2 ms on each move (hover tests over the scene's items); a fast or 1,000 Hz mouse would
    queue that work faster than it is done and the window would lag seconds behind. Moves are held and the
    newest is delivered once the queue is drained; a press or release first delivers the held move, so drags
    end where the mouse really was.
    """

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self._target = target
        self._held: QMouseEvent | None = None
        self._delivering = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.deliver)
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._target or self._delivering:
            return False
        kind = event.type()
        if kind == QEvent.Type.MouseMove:
            self._held = event.clone()
            if not self._timer.isActive():
                self._timer.start()
            return True
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.Leave):
            self.deliver()
        return False

    @Slot()
    def deliver(self) -> None:
        event, self._held = self._held, None
        if event is None:
            return
        self._timer.stop()
        self._delivering = True
        try:
            QApplication.sendEvent(self._target, event)
        finally:
            self._delivering = False


class SelectTool(StrEnum):
    """What a left-button drag on the plot does: pan the view (pyqtgraph's own), draw a lasso, or a rectangle."""

    PAN = "pan"
    LASSO = "lasso"
    RECTANGLE = "rectangle"


def combine_of(modifiers: Qt.KeyboardModifier) -> Combine:
    """Shift adds to the selection, Alt removes from it (Ctrl too: many window managers take Alt+drag to move the
    window), none replaces it."""
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        return Combine.ADD
    if modifiers & (Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier):
        return Combine.REMOVE
    return Combine.REPLACE


class SelectingViewBox(pg.ViewBox):
    """pyqtgraph's ViewBox, whose left-button drags a selection tool may take instead of panning.

    Only drags: a click (press and release without moving) still reaches the scene's click handlers, so clicking a
    point and Shift+clicking a path pin work in every tool, and pins keep their own drags (they lie above the box).
    """

    def __init__(self) -> None:
        super().__init__()
        self.drag_tool: Callable[[object], bool] | None = None  # returns True when it handled the drag event

    def mouseDragEvent(self, ev, axis=None) -> None:
        left = axis is None and ev.button() == Qt.MouseButton.LeftButton
        if left and self.drag_tool is not None and self.drag_tool(ev):
            return
        super().mouseDragEvent(ev, axis)


class LatentPanel(QWidget):
    """Shows one snapshot's codes on its view plane; emits plane coordinates under the mouse."""

    hovered = Signal(float, float)  # plane coordinates under the cursor
    pointClicked = Signal(int)  # index into the snapshot's display set
    #: A lasso or rectangle drawn: its corners (M×2 plane coordinates, a closed polygon) and how it combines with
    #: the selection (core.latent.selection_set.Combine).
    regionSelected = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(viewBox=SelectingViewBox())
        self.plot.setMenuEnabled(False)
        self.plot.setMinimumSize(260, MIN_PLOT_HEIGHT)
        item = self.plot.getPlotItem()
        item.hideButtons()  # pyqtgraph's 14 px 'A': the Fit button below does its job, with a name and a tooltip
        # No grid: with one, every crosshair move repainted both axes' grid pictures (~6 ms a move here).
        for axis in ("bottom", "left"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        self.points = PointCloudItem()
        self.plot.addItem(self.points)
        self.v_line, self.h_line = CrosshairLine(90), CrosshairLine(0)  # readable over the decoded map too
        for line in (self.v_line, self.h_line):
            line.setVisible(False)
            line.setZValue(10)
            self.plot.addItem(line, ignoreBounds=True)
        # the clicked point: a dark ring that follows it from snapshot to snapshot. A plain ellipse item of fixed
        # pixel size (a one-point ScatterPlotItem repainted with every crosshair move: +1 ms a hover); hidden when
        # nothing is marked, so it costs nothing then.
        self.marker = QGraphicsEllipseItem(-7.5, -7.5, 15, 15)
        self.marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        ring = QPen(QColor(20, 20, 20), 2.5)
        ring.setCosmetic(True)
        self.marker.setPen(ring)
        self.marker.setZValue(9)
        self.marker.setVisible(False)
        self.plot.addItem(self.marker, ignoreBounds=True)
        self.marked: int | None = None
        # the point of the tile under the mouse in the selection dock: a wide black ring on a white halo, seen on
        # any class colour and over the selection's own dark rings; hidden otherwise
        self.ring = QGraphicsEllipseItem(-11, -11, 22, 22)
        self.ring.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        ring_pen = QPen(QColor(0, 0, 0), 3.0)
        ring_pen.setCosmetic(True)
        self.ring.setPen(ring_pen)
        halo = QGraphicsEllipseItem(-11, -11, 22, 22, self.ring)
        halo.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        halo_pen = QPen(QColor(255, 255, 255), 7.0)
        halo_pen.setCosmetic(True)
        halo.setPen(halo_pen)
        self.ring.setZValue(11)
        self.ring.setVisible(False)
        self.plot.addItem(self.ring, ignoreBounds=True)
        self.ringed: int | None = None
        # the lasso or rectangle being drawn
        self.tool = SelectTool.PAN
        self.outline = QGraphicsPathItem()
        outline_pen = QPen(QColor(20, 20, 20), 1.5, Qt.PenStyle.DashLine)
        outline_pen.setCosmetic(True)
        self.outline.setPen(outline_pen)
        self.outline.setBrush(QColor(255, 120, 0, 40))
        self.outline.setZValue(14)
        self.outline.setVisible(False)
        self.plot.addItem(self.outline, ignoreBounds=True)
        self._stroke: list[tuple[float, float]] = []
        self._combine = Combine.REPLACE
        self.view_box.drag_tool = self._on_drag
        self.legend = ClassLegend()
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Fit the view to the points again, and follow them as they move (Ctrl+0)")
        self.fit_button.clicked.connect(self.reset_view)
        self.caption = WrappedLabel("Train a model or open a checkpoint to see its latent space.")
        self.caption.setObjectName("panelCaption")
        plot_row = QHBoxLayout()
        plot_row.setSpacing(4)
        plot_row.addWidget(self.plot, 1)
        plot_row.addWidget(self.legend)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.caption, 1)
        caption_row.addWidget(self.fit_button, 0, Qt.AlignmentFlag.AlignTop)
        self._caption_row = caption_row
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(plot_row, 1)
        layout.addLayout(caption_row)
        self._equal_scales: bool | None = None  # None: chosen per view (equal for principal components)
        self._plane_dim = 2
        self._applied: tuple[bool, bool] | None = None  # (aspect locked, one-dimensional) as last applied
        self.set_axis_titles(("z₁", "z₂"))
        self._cache_static_items()
        self.coalescer = MouseMoveCoalescer(self.plot.viewport())
        scene = self.plot.scene()
        self._hoverable: list[QGraphicsItem] = []
        self._gate_hover_events(scene)
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        self._mouse_at: QPointF | None = None  # the mouse's scene position while it is over the plot
        self.plot.viewport().installEventFilter(self)
        self.view_box.sigRangeChanged.connect(self._on_range_changed)

    def _gate_hover_events(self, scene: pg.GraphicsScene) -> None:
        """pyqtgraph offers every mouse move to each item under it as a hover event (~1 ms a move here); only the
        items given to `accept_hover` (the path pins: their highlight under the mouse) use them. Moves reach
        pyqtgraph's hover dispatch only while one of those is shown, or while an item hovered before must hear that
        the mouse left it."""
        send = scene.sendHoverEvents

        def send_when_wanted(event, exitOnly: bool = False) -> None:
            if exitOnly or scene.hoverItems or any(item.isVisible() for item in self._hoverable):
                send(event, exitOnly)

        scene.sendHoverEvents = send_when_wanted

    def accept_hover(self, item: QGraphicsItem) -> None:
        """Let `item` (on this plot) receive pyqtgraph's hover events while it is visible."""
        self._hoverable.append(item)

    @property
    def view_box(self) -> pg.ViewBox:
        return self.plot.getPlotItem().getViewBox()

    def set_axis_titles(self, titles: tuple[str, str]) -> None:
        if titles == getattr(self, "_titles", None):  # unchanged: setting them again re-lays out both axes (~4 ms)
            return
        self._titles = titles
        item = self.plot.getPlotItem()
        item.setLabel("bottom", titles[0])
        item.setLabel("left", titles[1])

    def _cache_static_items(self) -> None:
        """Keep axes and every text as cached pixmaps: the crosshair spans the plot, so each hover move repaints
        what lies under it, and re-laying out text each time cost more than the decode. An item's cache is redrawn
        whenever it calls update() (new ticks)."""
        items = [self.plot.getPlotItem().getAxis(axis) for axis in ("bottom", "left")]
        items += [item for item in self.plot.scene().items() if isinstance(item, QGraphicsTextItem)]
        for item in items:
            item.setCacheMode(_CACHED)

    def show_points(
        self,
        xy: np.ndarray,
        labels: np.ndarray,
        classes: tuple[str, ...],
        plane: LatentPlane,
        live: bool = False,
        colours: np.ndarray | None = None,
    ) -> None:
        """Replace the points. The view follows them as the space grows until the user pans or zooms
        (Fit follows them again); live (partial) updates move it only when the points outgrow it or shrink well
        inside it (PointCloudItem.set_points)."""
        self.legend.set_classes(classes)
        self.set_axis_titles(plane.axis_titles)
        self.points.set_points(xy, labels, argb_table(len(classes)), live=live, colours=colours)
        self._plane_dim = plane.latent_dim
        self._apply_scales()
        if self.marked is not None and self.marked < len(xy):
            self.marker.setPos(float(xy[self.marked, 0]), float(xy[self.marked, 1]))

    def set_equal_scales(self, on: bool | None) -> None:
        """Lock one unit to the same length on both axes (True), never (False), or for PCA views only (None)."""
        self._equal_scales = on
        self._apply_scales()

    @property
    def equal_scales(self) -> bool:
        return self._plane_dim > 2 if self._equal_scales is None else self._equal_scales

    def _apply_scales(self, force: bool = False) -> None:
        """Aspect lock and the y axis for this kind of view; only when they change (each call re-lays out axes,
        which cost ~5 ms per snapshot at 60,000 points when done every time)."""
        one_dimensional = self._plane_dim == 1
        wanted = (self.equal_scales and not one_dimensional, one_dimensional)
        if wanted == self._applied and not force:
            return
        self._applied = wanted
        self.view_box.setAspectLocked(wanted[0], ratio=1.0)
        self.plot.getPlotItem().getAxis("left").setStyle(showValues=not one_dimensional)
        if one_dimensional:  # a line of points: a fixed band instead of an axis from 0 to 1e-06
            self.view_box.enableAutoRange(axis="y", enable=False)
            self.view_box.setYRange(-1.0, 1.0, padding=0.0)

    def mark(self, index: int | None, xy: np.ndarray | None = None) -> None:
        """Ring display point `index` (at `xy`), or clear the ring."""
        self.marked = index if xy is not None else None
        if self.marked is not None:
            self.marker.setPos(float(xy[0]), float(xy[1]))
        self.marker.setVisible(self.marked is not None)

    def show_ring(self, index: int | None, xy: np.ndarray | None = None) -> None:
        """Ring display point `index` (at `xy`): the image whose tile the mouse is over; None hides it."""
        self.ringed = index if xy is not None else None
        if self.ringed is not None:
            self.ring.setPos(float(xy[0]), float(xy[1]))
        self.ring.setVisible(self.ringed is not None)

    def add_tools(self, widget: QWidget) -> None:
        """A feature's tool buttons (the selection tools) in the row under the plot, before the Fit button."""
        self._caption_row.insertWidget(1, widget, 0, Qt.AlignmentFlag.AlignTop)

    def set_tool(self, tool: SelectTool) -> None:
        """What a left-button drag does from now on: pan, or draw a lasso or a rectangle."""
        self.tool = SelectTool(tool)

    def _on_drag(self, event) -> bool:
        """A left-button drag in the lasso or rectangle tool: draw the outline as the mouse moves; on release, emit
        its polygon with the combination chosen by the modifiers held when the drag began."""
        if self.tool is SelectTool.PAN:
            return False
        event.accept()
        box = self.view_box
        here = box.mapToView(event.pos())
        if event.isStart():
            start = box.mapToView(event.buttonDownPos())
            self._stroke = [(start.x(), start.y())]
            self._combine = combine_of(event.modifiers())
        if self.tool is SelectTool.RECTANGLE:
            (x0, y0), (x1, y1) = self._stroke[0], (here.x(), here.y())
            self._stroke = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        else:
            self._stroke.append((here.x(), here.y()))
        path = QPainterPath(QPointF(*self._stroke[0]))
        for x, y in self._stroke[1:]:
            path.lineTo(x, y)
        path.closeSubpath()
        self.outline.setPath(path)
        self.outline.setVisible(True)
        if event.isFinish():
            self.outline.setVisible(False)
            polygon = np.array(self._stroke, np.float64)
            self._stroke = []
            if len(polygon) >= 3:
                self.regionSelected.emit(polygon, self._combine)
        return True

    def reset_view(self) -> None:
        """Follow the points again (a new run, a newly opened model, or Fit)."""
        self.view_box.enableAutoRange()
        self._apply_scales(force=True)

    def show_crosshair(self, x: float, y: float) -> None:
        """The crosshair at plane position (x, y): where the cursor is over another run's panel (shared cursor)."""
        for line, position in ((self.v_line, x), (self.h_line, y)):
            line.setPos(position)
            line.setVisible(True)

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def plane_position(self, scene_pos: QPointF) -> QPointF | None:
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return None
        return self.view_box.mapSceneToView(scene_pos)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:  # the mouse left the plot: a later refit has no cursor to follow
            self._mouse_at = None
        return False

    @Slot()
    def _on_range_changed(self) -> None:
        """The view was refit (Fit, a new snapshot followed, the time-lapse's axes) under a mouse that did not move:
        the plane position under it is another now, and the crosshair and the preview must say so."""
        if self._mouse_at is None:
            return
        point = self.plane_position(self._mouse_at)
        if point is not None and (point.x(), point.y()) != (self.v_line.value(), self.h_line.value()):
            self._on_mouse_moved(self._mouse_at)

    @Slot(object)
    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        point = self.plane_position(scene_pos)
        self._mouse_at = QPointF(scene_pos) if point is not None else None
        if point is None:
            for line in (self.v_line, self.h_line):
                line.setVisible(False)
            return
        self.v_line.setPos(point.x())
        self.h_line.setPos(point.y())
        for line in (self.v_line, self.h_line):
            line.setVisible(True)
        self.hovered.emit(point.x(), point.y())

    @Slot(object)
    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:  # Shift+click pins a path end (path_pins)
            return
        point = self.plane_position(event.scenePos())
        if point is None:
            return
        x_per_px, y_per_px = (abs(v) or 1e-9 for v in self.view_box.viewPixelSize())
        index = self.points.nearest(point.x(), point.y(), x_per_px, y_per_px)
        if index is not None:
            self.pointClicked.emit(index)
