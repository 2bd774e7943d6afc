"""The latent panel's exploration tools, wired to the window: the decoded map (M), pinned paths (Shift+click) and
their strip, the nearest real images with the off-the-data meter, and class focus from the legend.

All of them take the session's current SnapshotView, so the map, the path, the neighbours, the points and the
hover preview always come from the same network state; heavy decoding runs off the GUI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QMainWindow, QSizePolicy, QSlider, QWidget

from core.atomic_write import FileWriteError, write_atomically
from explorer.compare.path import ComparisonPath
from explorer.latent.map_layer import DEFAULT_OPACITY, MapLayer
from explorer.latent.neighbours_panel import COUNT, NeighboursPanel
from explorer.latent.path_pins import PathPins
from explorer.latent.path_strip import PathStripPanel
from explorer.window.layout import dock

if TYPE_CHECKING:
    from core.latent.atlas import DecodedPath
    from core.latent.view import SnapshotView


HINT = "M: decoded map · Shift+click two places: a path"  # short: one line beside the slider at 1024 wide
HINT_IN_FULL = "M shows the decoded map under the points; Shift+click two places to decode the path between them"


class MapControls(QWidget):
    """Under the plot: the map's switch, its opacity, and what it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QCheckBox("Decoded map")
        self.toggle.setToolTip("Lay the decoder's images under the points, one per cell of the visible plane (M)")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(5, 100)
        self.opacity.setValue(round(DEFAULT_OPACITY * 100))
        self.opacity.setFixedWidth(110)
        self.opacity.setToolTip("How strongly the map shows through the points")
        self.caption = QLabel(HINT)
        self.caption.setObjectName("panelCaption")
        self.caption.ensurePolished()
        # one line always, never widening the window: a caption that grew a line would shrink the plot, change its
        # range and ask for a new map
        self.caption.setFixedHeight(self.caption.fontMetrics().lineSpacing() + 4)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.toggle)
        row.addWidget(QLabel("opacity"))
        row.addWidget(self.opacity)
        row.addWidget(self.caption, 1)

    @Slot(str)
    def show_caption(self, text: str) -> None:
        self.caption.setText(text or HINT)
        self.caption.setToolTip(text or HINT_IN_FULL)


class Exploration(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        latent = window.latent
        self.map = MapLayer(latent, self)
        self.pins = PathPins(latent, self)
        self.map_controls = MapControls()
        self.strip = PathStripPanel()
        latent.layout().addWidget(self.map_controls)
        latent.layout().addWidget(self.strip)
        self.strip.hide()  # until a pin is set: the plot keeps its room
        self.neighbours = NeighboursPanel()
        # bottom right, under the preview: the right-hand column would need the preview's height plus this panel's,
        # and the window could no longer shrink to 1024×700
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.dock = dock(window, "neighboursDock", "Nearest images", self.neighbours, bottom)
        window.splitDockWidget(window.docks["grids"], self.dock, Qt.Orientation.Horizontal)
        docks = [window.docks["loss"], window.docks["grids"], self.dock]
        window.resizeDocks(docks, [5, 5, 3], Qt.Orientation.Horizontal)
        # the same pinned path in the comparison run, decoded with its own snapshot
        self.comparison_path = ComparisonPath(window.extras.comparison, self.pins)
        self.view: SnapshotView | None = None
        self._writers: list[threading.Thread] = []
        self._build_actions()
        self._connect()
        window.installEventFilter(self)

    def _build_actions(self) -> None:
        window = self.window
        self.map_action = QAction("Decoded &map under the points", window)
        self.map_action.setCheckable(True)
        self.map_action.setShortcut(QKeySequence("M"))
        self.map_action.toggled.connect(self.set_map)
        self.clear_pins_action = QAction("Clear the path &pins", window)
        self.clear_pins_action.setShortcut(QKeySequence("Esc"))
        self.clear_pins_action.triggered.connect(self.pins.clear)
        self.export_strip_action = QAction("Export path strip as P&NG…", window)
        self.export_strip_action.triggered.connect(self.ask_export_strip)
        self.export_strip_action.setEnabled(False)
        self.show_all_action = QAction("Show &all classes", window)
        self.show_all_action.triggered.connect(lambda: self.focus_class(None))
        view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
        first = view_menu.actions()[2]  # after Fit and Equal scales
        for action in (self.map_action, self.clear_pins_action, self.show_all_action):
            view_menu.insertAction(first, action)
        view_menu.addAction(self.dock.toggleViewAction())
        file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
        file_menu.insertAction(window.actions_.export_csv, self.export_strip_action)
        window.actions_.extra = [self.map_action, self.clear_pins_action]

    def _connect(self) -> None:
        window, session = self.window, self.window.session
        session.viewChanged.connect(self.set_view)
        self.map.training = lambda: session.training and not session.paused  # paused: its cores are free
        session.runReady.connect(self.reset)
        window.hover.decoded.connect(self.show_neighbours)
        window.latent.legend.classClicked.connect(self.toggle_focus)
        self.map_controls.toggle.toggled.connect(self.map_action.setChecked)
        self.map_controls.opacity.valueChanged.connect(lambda value: self.map.set_opacity(value / 100))
        self.map.changed.connect(self.map_controls.show_caption)
        self.pins.decoded.connect(self.show_path)
        self.pins.pinned.connect(self._on_pinned)
        self.pins.cleared.connect(self.strip.clear)
        self.pins.cleared.connect(self.strip.hide)
        self.pins.cleared.connect(lambda: self.export_strip_action.setEnabled(False))
        self.strip.stepsChanged.connect(self.pins.set_steps)
        self.strip.exportRequested.connect(self.ask_export_strip)
        self.strip.clearRequested.connect(self.pins.clear)
        self.pins.set_steps(self.strip.frames.value())

    # ----- from the session and the panels ----------------------------------------------------------------------
    @Slot(object)
    def set_view(self, view: SnapshotView) -> None:
        self.view = view
        self.map.set_view(view)
        self.pins.set_view(view)
        if len(self.pins.ends) == 1:
            self._hint_second_pin()

    @Slot(object)
    def reset(self, _info: object = None) -> None:
        """Another model: its map, pins, neighbours and focus start afresh."""
        self.view = None
        self.map.clear()
        self.pins.reset()
        self.neighbours.clear()
        self.focus_class(None)

    @Slot(bool)
    def set_map(self, on: bool) -> None:
        if self.map_controls.toggle.isChecked() != on:
            self.map_controls.toggle.setChecked(on)
        self.map.set_enabled(on)

    @Slot(object, float, float, object)
    def show_neighbours(self, _image: np.ndarray, _x: float, _y: float, latent: np.ndarray) -> None:
        # the session's view, not the one this object last heard of: the hover re-decodes with a new snapshot
        # before this object's set_view has run, and the neighbours must come from the snapshot that decoded
        view = self.window.session.view
        if view is None or view.neighbours is None or not len(view.neighbours):
            return
        found = view.neighbours.nearest(latent, COUNT)
        meter = view.neighbours.meter_for(found)
        labels = [view.label_of(i) for i in found.indices.tolist()]
        self.neighbours.show_neighbours(found, meter, view.snapshot.display_images, labels, view.where)

    @Slot(int)
    def toggle_focus(self, label: int) -> None:
        self.focus_class(None if self.window.latent.points.focus == label else label)

    def focus_class(self, label: int | None) -> None:
        """Class `label` alone in colour (the others dimmed), or all classes; the map and neighbours are unchanged."""
        self.window.latent.points.set_focus(label)
        self.window.latent.legend.set_focus(label)
        self.window.latent.points.update()

    @Slot(object)
    def show_path(self, decoded: DecodedPath) -> None:
        self.strip.show_path(decoded)
        self.export_strip_action.setEnabled(True)

    @Slot(int)
    def _on_pinned(self, count: int) -> None:
        self.strip.show()
        if count == 1:
            self.export_strip_action.setEnabled(False)
            self._hint_second_pin()

    def _hint_second_pin(self) -> None:
        end = self.pins.ends[0]
        where = f"image #{end.index}" if end.index is not None else f"({end.xy[0]:+.2f}, {end.xy[1]:+.2f})"
        self.strip.show_hint(f"Pin A on {where}. Shift+click another place for pin B.")

    # ----- export -----------------------------------------------------------------------------------------------
    def ask_export_strip(self) -> None:
        if self.strip.picture() is None:
            return
        path = self.window.dialogs.save_as("Export path strip", "latent-path.png", "PNG images (*.png)", ".png")
        if path is not None:
            self.export_strip(path)

    def export_strip(self, path: Path, wait: bool = False) -> None:
        """The strip as PNG (frames at their own size, no gaps), written off the GUI thread."""
        from core.commands.render import png_bytes

        picture = self.strip.picture()
        if picture is None:
            return
        session = self.window.session

        def write() -> None:
            try:
                write_atomically(path, png_bytes(picture))
            except FileWriteError as error:
                session.warning.emit("Could not export", str(error))
                return
            session.status.emit(f"Exported the path strip to {path}")

        if wait:
            write()
            return
        thread = threading.Thread(target=write, name="strip-writer")
        self._writers = [t for t in self._writers if t.is_alive()] + [thread]
        thread.start()

    # ----- lifecycle --------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        """Stop the decoding threads and let writes finish (the window is closing)."""
        self.map.worker.shutdown()
        self.pins.worker.shutdown()
        for thread in self._writers:
            thread.join()


def install_exploration(window: QMainWindow) -> Exploration:
    return Exploration(window)
