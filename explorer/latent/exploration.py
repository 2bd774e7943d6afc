"""The latent panel's exploration tools for one run: the decoded map (M), pinned paths (Shift+click) and their
strip, and class focus from the legend. (The nearest real images and the off-the-data meter come with each hover's
record: explorer.latent.run_view.)

All of them take the session's shown SnapshotView, so the map, the path, the points and the hover preview always
come from the same network state; heavy decoding runs off the GUI thread. The tools get what they use (the run,
the menu registry, the close hooks, the background tasks, the file dialogs) and report through their own signals.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from core.atomic_write import write_atomically
from explorer.latent.map_layer import DEFAULT_OPACITY, MapLayer
from explorer.latent.path_pins import PathPins
from explorer.latent.path_strip import PathStripPanel

if TYPE_CHECKING:
    from core.latent.atlas import DecodedPath
    from core.latent.view import SnapshotView
    from explorer.latent.run_view import RunView
    from explorer.utils.file_dialogs import FileDialogs
    from explorer.utils.registries import CloseHooks, MenuRegistry
    from explorer.utils.tasks import BackgroundTasks


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
    """The map, the path pins and strip, and class focus on one run's latent panel."""

    status = Signal(str)  # for the status bar
    warning = Signal(str, str)  # title, text

    def __init__(
        self,
        run: RunView,
        menus: MenuRegistry,
        close_hooks: CloseHooks,
        tasks: BackgroundTasks,
        dialogs: FileDialogs,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.latent = run.session, run.latent
        self.tasks, self.dialogs = tasks, dialogs
        latent = self.latent
        self.map = MapLayer(latent, self)
        self.pins = PathPins(latent, self)
        self.map_controls = MapControls()
        self.strip = PathStripPanel()
        latent.layout().addWidget(self.map_controls)
        latent.layout().addWidget(self.strip)
        self.strip.hide()  # until a pin is set: the plot keeps its room
        self.view: SnapshotView | None = None
        self._add_actions(menus)
        self._connect()
        close_hooks.add("exploration", self.shutdown)

    def _add_actions(self, menus: MenuRegistry) -> None:
        self.map_action = menus.add("view.latent", "map", "Decoded &map under the points", None, "M", checkable=True)
        self.map_action.toggled.connect(self.set_map)  # toggled, not triggered: the checkbox under the plot sets it too
        self.clear_pins_action = menus.add("view.latent", "clear-pins", "Clear the path &pins", self.pins.clear, "Esc")
        self.show_all_action = menus.add("view.latent", "show-all-classes", "Show &all classes",
                                         lambda: self.focus_class(None))  # fmt: skip
        self.export_strip_action = menus.add("file.export", "export-path-strip", "Export path strip as P&NG…",
                                             self.ask_export_strip)  # fmt: skip
        self.export_strip_action.setEnabled(False)

    def _connect(self) -> None:
        session = self.session
        session.viewChanged.connect(self.set_view)
        self.map.training = lambda: session.training and not session.paused  # paused: its cores are free
        session.runReady.connect(self.reset)
        self.latent.legend.classClicked.connect(self.toggle_focus)
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
        """Another model: its map, pins and focus start afresh."""
        self.view = None
        self.map.clear()
        self.pins.reset()
        self.focus_class(None)

    @Slot(bool)
    def set_map(self, on: bool) -> None:
        if self.map_controls.toggle.isChecked() != on:
            self.map_controls.toggle.setChecked(on)
        self.map.set_enabled(on)

    @Slot(int)
    def toggle_focus(self, label: int) -> None:
        self.focus_class(None if self.latent.points.focus == label else label)

    def focus_class(self, label: int | None) -> None:
        """Class `label` alone in colour (the others dimmed), or all classes; the map and neighbours are unchanged."""
        self.latent.points.set_focus(label)
        self.latent.legend.set_focus(label)
        self.latent.points.update()

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
        path = self.dialogs.save_as("Export path strip", "latent-path.png", "PNG images (*.png)", ".png")
        if path is not None:
            self.export_strip(path)

    def export_strip(self, path: Path) -> None:
        """The strip as PNG (frames at their own size, no gaps), written as a background task."""
        from core.commands.render import png_bytes

        picture = self.strip.picture()
        if picture is None:
            return
        self.tasks.run(
            f"exporting {Path(path).name}",
            lambda: write_atomically(path, png_bytes(picture)),
            lambda _: self.status.emit(f"Exported the path strip to {path}"),
            lambda error: self.warning.emit("Could not export", str(error)),
        )

    # ----- lifecycle --------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the decoding threads (the window is closing; its close joins the writes)."""
        self.map.worker.shutdown()
        self.pins.worker.shutdown()
