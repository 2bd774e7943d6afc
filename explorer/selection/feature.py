"""Select images and see what the model gets wrong: the selection tools (lasso, rectangle, a class, the worst
reconstructions, errors above a threshold), the Selection dock, colour by error, and the selection's exports.

The selection itself is the window's SharedSelection (explorer.latent.shared_selection): every RunView highlights
it and a lasso on any of them changes it. This feature adds the ways to choose, the dock that shows the chosen
images (sorted by error, class or distance) with the per-class mean errors, and the files: CSV, a PNG gallery, an
Embedding Projector folder of just those images, and a CSV of indices read back. Files are written and read as
background tasks. It gets the selection, the RunViews (the first is the run the indices refer to), the menu and
dock registries, the file dialogs, the background tasks and the close hooks; never the window.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from core.latent.errors import class_mean_errors, worst
from core.latent.selection_set import Combine, above, class_counts, of_class, sort_selection
from explorer.latent.latent_panel import SelectTool
from explorer.latent.run_view import ColourBy
from explorer.selection.panel import SelectionPanel

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from explorer.latent.run_view import RunView
    from explorer.latent.shared_selection import SharedSelection
    from explorer.utils.file_dialogs import FileDialogs
    from explorer.utils.registries import CloseHooks, DockRegistry, MenuRegistry
    from explorer.utils.tasks import BackgroundTasks

log = logging.getLogger(__name__)

TOOLS = (  # tool, action id, menu text, the button's text under the plot, key, tip
    (SelectTool.PAN, "select-pan", "&Pan and zoom", "Pan", "P", "Drag to pan, wheel to zoom"),
    (SelectTool.LASSO, "select-lasso", "&Lasso select", "Lasso", "L", "Drag round points to select them"),
    (SelectTool.RECTANGLE, "select-rectangle", "&Rectangle select", "Rect", "R", "Drag a rectangle to select"),
)
MODIFIERS_TIP = "Shift adds to the selection, Alt (or Ctrl) removes from it"
NOTHING = ("Nothing selected", "Select some images first: draw a lasso on the latent space, or pick the worst.")


class SelectionFeature(QObject):
    """The selection tools, the Selection dock and the selection's files; reports through `status` and `warning`."""

    status = Signal(str)
    warning = Signal(str, str)

    def __init__(
        self,
        selection: SharedSelection,
        runs: list[RunView],
        menus: MenuRegistry,
        docks: DockRegistry,
        dialogs: FileDialogs,
        tasks: BackgroundTasks,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.selection, self.runs, self.dialogs, self.tasks = selection, runs, dialogs, tasks
        self.run = runs[0]  # the run whose display set the indices refer to
        self.panel = SelectionPanel()
        # a tab beside the training form (as the comparison): tall enough for rows of tiles, and the latent space
        # and the preview stay where they are. Hidden until something is selected.
        area = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dock = docks.add("selection", "Selection", self.panel, area, tab_with="training", visible=False)
        self._add_actions(menus)
        for run in runs:
            run.latent.add_tools(self._tool_buttons())
            run.latent.legend.classSelected.connect(self.select_class)
        self._connect()
        close_hooks.add("selection tiles", self.panel.model.worker.shutdown)

    # ----- construction -------------------------------------------------------------------------------------------
    def _add_actions(self, menus: MenuRegistry) -> None:
        self.tool_group = QActionGroup(self)
        self.tool_actions: dict[SelectTool, QAction] = {}
        for tool, action_id, text, short, key, tip in TOOLS:
            tip = f"{tip}. {MODIFIERS_TIP}"
            action = menus.add("select.tools", action_id, text, None, key, checkable=True, tip=tip)
            action.setIconText(short)  # what a tool button bound to the action shows
            action.setData(tool)
            self.tool_group.addAction(action)
            self.tool_actions[tool] = action
        self.tool_actions[SelectTool.PAN].setChecked(True)
        self.tool_group.triggered.connect(lambda action: self.set_tool(action.data()))
        menus.add("select.pick", "select-worst", "Select the &worst reconstructions", self.select_worst, "W")
        menus.add("select.pick", "select-above", "Select error &above the threshold", self.select_above)
        menus.add("select.pick", "select-clear", "&Clear the selection", self.selection.clear, "Ctrl+Shift+A")
        menus.add("select.pick", "select-dock", "Show the Selection &panel", self.show_dock)
        for action_id, text, slot in (
            ("export-selection-csv", "Export selection as &CSV…", self.ask_export_csv),
            ("export-selection-gallery", "Export selection as PNG &gallery…", self.ask_export_gallery),
            ("export-selection-projector", "Export selection for the Embedding &Projector…", self.ask_export_projector),
            ("import-selection-csv", "&Import a selection (CSV of indices)…", self.ask_import_csv),
        ):
            menus.add("select.files", action_id, text, slot)
        self.colour_group = QActionGroup(self)
        for colour_by, action_id, text in (
            (ColourBy.CLASS, "colour-by-class", "Colour points by &class"),
            (ColourBy.ERROR, "colour-by-error", "Colour points by reconstruction &error"),
        ):
            action = menus.add("view.latent", action_id, text, checkable=True)
            action.setData(colour_by)
            self.colour_group.addAction(action)
        menus.action("colour-by-class").setChecked(True)
        self.colour_group.triggered.connect(lambda action: self.set_colour_by(action.data()))

    def _tool_buttons(self) -> QWidget:
        """Pan, lasso and rectangle buttons for one latent panel, bound to the menu's actions."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        for tool in SelectTool:
            button = QToolButton()
            button.setDefaultAction(self.tool_actions[tool])
            button.setAutoRaise(True)
            row.addWidget(button)
        return box

    def _connect(self) -> None:
        self.selection.changed.connect(self._on_changed)
        self.run.session.viewChanged.connect(self._on_view)
        self.run.session.runReady.connect(lambda _info: self.selection.set_reference(None))
        panel = self.panel
        panel.worst_button.clicked.connect(self.select_worst)
        panel.threshold_button.clicked.connect(self.select_above)
        panel.clear_button.clicked.connect(self.selection.clear)
        panel.sort.currentIndexChanged.connect(lambda _index: self.refresh())
        panel.tiles.tileHovered.connect(self.selection.hover)
        panel.tiles.tileClicked.connect(self.selection.click)
        panel.bars.classClicked.connect(lambda label: self.select_class(label, Combine.REPLACE))

    # ----- choosing ----------------------------------------------------------------------------------------------
    def set_tool(self, tool: SelectTool) -> None:
        """What a drag on every latent panel does: pan, lasso or rectangle."""
        self.tool_actions[SelectTool(tool)].setChecked(True)
        for run in self.runs:
            run.latent.set_tool(SelectTool(tool))

    def set_colour_by(self, colour_by: ColourBy) -> None:
        for run in self.runs:
            run.set_colour_by(ColourBy(colour_by))
        if ColourBy(colour_by) is not ColourBy.ERROR:
            return
        if self.run.shown_errors is None and self.run.session.view is not None:
            self.status.emit("This snapshot carries no reconstruction errors: its points keep their class colours.")
        else:  # the legend still names the classes: say what the colours mean now
            self.status.emit(
                "Points coloured by reconstruction error: dark purple small, yellow large "
                "(log scale, the shown snapshot's 1st to 99th percentile)"
            )

    @Slot(int, object)
    def select_class(self, label: int, how: Combine = Combine.REPLACE) -> None:
        view = self.run.session.view
        if view is not None:
            self.selection.select(of_class(view.snapshot.labels, label), how)

    @Slot()
    def select_worst(self) -> None:
        errors = self._errors()
        if errors is not None:
            self.selection.select(worst(errors, self.panel.worst_count.value()))

    @Slot()
    def select_above(self) -> None:
        errors = self._errors()
        if errors is not None:
            self.selection.select(above(errors, self.panel.threshold.value()))

    def _errors(self) -> np.ndarray | None:
        errors = self.run.shown_errors
        if errors is None:
            self.warning.emit(
                "No reconstruction errors",
                "Train a model or open a checkpoint first: the errors come with each snapshot of the run.",
            )
        return errors

    @Slot()
    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    # ----- showing -----------------------------------------------------------------------------------------------
    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        """A new snapshot or frame of the first run: the same indices, their new reconstructions and errors."""
        self.selection.set_reference(view.snapshot.display_images)
        errors = self.run.shown_errors
        self.panel.set_errors_known(errors is not None)
        if errors is not None:
            self.panel.bars.show_means(
                class_mean_errors(errors, view.snapshot.labels, len(view.snapshot.classes)), view.snapshot.classes
            )
        else:
            self.panel.bars.clear_means()
        self.refresh()

    @Slot(object)
    def _on_changed(self, indices: np.ndarray) -> None:
        if len(indices) and not self.dock.isVisible():
            self.show_dock()
        self.refresh()

    def refresh(self) -> None:
        """The tiles in the chosen order, the count and the per-class breakdown."""
        view, indices = self.run.session.view, self.selection.indices
        if view is None or not len(indices):
            self.panel.model.show(view, np.zeros(0, np.int64), None)
            self.panel.summary.setText("Nothing selected. Draw a lasso on the latent space (L), or pick the worst.")
            return
        snapshot, errors = view.snapshot, self.run.shown_errors
        order = sort_selection(indices, self.panel.sort_by, snapshot.labels, snapshot.codes, errors)
        self.panel.model.show(view, order, errors)
        self.panel.summary.setText(self.summary(view, indices, errors))

    @staticmethod
    def summary(view: SnapshotView, indices: np.ndarray, errors: np.ndarray | None) -> str:
        """'312 of 2,000 images selected, mean error 0.0412. By class: 3 120, 5 80, …' (largest counts first)."""
        snapshot = view.snapshot
        counts = class_counts(snapshot.labels, indices, len(snapshot.classes))
        parts = [f"{snapshot.classes[c]} {counts[c]:,}" for c in np.argsort(-counts, kind="stable") if counts[c]]
        mean = f", mean error {float(np.mean(errors[indices])):.4f}" if errors is not None else ""
        errors_step = getattr(snapshot, "errors_step", None)
        if errors is not None and errors_step is not None and errors_step != snapshot.step:
            # while a CPU run trains, most snapshots carry the newest errors decoded (core.training.snapshot_pacing)
            mean += f" (errors of step {errors_step:,})"
        return f"{len(indices):,} of {len(snapshot.labels):,} images selected{mean}. By class: {', '.join(parts)}"

    # ----- files -------------------------------------------------------------------------------------------------
    def _chosen(self) -> tuple[SnapshotView, np.ndarray] | None:
        view = self.run.session.view
        if view is None or not len(self.selection.indices):
            self.warning.emit(*NOTHING)
            return None
        order = sort_selection(
            self.selection.indices, self.panel.sort_by, view.snapshot.labels, view.snapshot.codes, self.run.shown_errors
        )
        return view, order

    def ask_export_csv(self) -> None:
        if self._chosen() is not None:
            path = self.dialogs.save_as("Export the selection", "selection.csv", "CSV files (*.csv)", ".csv")
            if path is not None:
                self.export_csv(path)

    def ask_export_gallery(self) -> None:
        if self._chosen() is not None:
            path = self.dialogs.save_as("Export the selection", "selection.png", "PNG images (*.png)", ".png")
            if path is not None:
                self.export_gallery(path)

    def ask_export_projector(self) -> None:
        if self._chosen() is not None:
            folder = self.dialogs.existing_folder("Export the selection for the Embedding Projector: choose a folder")
            if folder is not None:
                self.export_projector(folder)

    def ask_import_csv(self) -> None:
        path = self.dialogs.open_file("Import a selection", "CSV files (*.csv);;All files (*)")
        if path is not None:
            self.import_csv(path)

    def export_csv(self, path: Path) -> None:
        """One row per selected image (index, data_index, label, class, error, z…), in the dock's order."""
        from core.files.selection import write_selection_csv

        chosen = self._chosen()
        if chosen is None:
            return
        view, order = chosen
        path = Path(path)
        snapshot = view.snapshot
        self._run(
            f"export the selection to {path}",
            lambda: write_selection_csv(path, snapshot, order, force=True),  # the save dialog asked before replacing
            f"Exported {len(order):,} selected images from {view.where} to {path}",
        )

    def export_gallery(self, path: Path) -> None:
        """Each selected image above its reconstruction, in the dock's order, as one PNG."""
        from core.atomic_write import write_atomically
        from core.commands.render import png_bytes
        from core.latent.gallery import MAX_COLUMNS, MAX_GALLERY_IMAGES, gallery_picture

        chosen = self._chosen()
        if chosen is None:
            return
        view, order = chosen
        if len(order) > MAX_GALLERY_IMAGES:
            self.warning.emit(
                "Too many images for one gallery",
                f"A gallery draws at most {MAX_GALLERY_IMAGES:,} images; {len(order):,} are selected. "
                "Select fewer (the worst N, a class), or export the selection as CSV.",
            )
            return
        path = Path(path)
        columns = int(min(MAX_COLUMNS, max(1, np.ceil(np.sqrt(2 * len(order))))))  # pairs of rows: about square
        self._run(
            f"export a gallery to {path}",
            lambda: write_atomically(path, png_bytes(gallery_picture(view, order, columns))),
            f"Exported a gallery of {len(order):,} images from {view.where} to {path}",
        )

    def export_projector(self, chosen_folder: Path) -> None:
        """An Embedding Projector folder of just the selected images (core.files.projector, as File › Export)."""
        from core.files.projector import DisplayCodes
        from explorer.latent.code_exports import write_projector_into

        chosen = self._chosen()
        if chosen is None:
            return
        view, order = chosen
        snapshot, info = view.snapshot, self.run.session.info
        data = DisplayCodes(
            np.asarray(snapshot.codes, np.float32)[order],
            np.asarray(snapshot.labels, np.int64)[order],
            tuple(snapshot.classes),
            np.asarray(snapshot.display_images, np.uint8)[order],
            int(snapshot.step),
            float(snapshot.epoch),
            info.trained_on if info is not None else "",
        )
        folder = Path(chosen_folder)
        self.dialogs.remember(folder)
        self._run(
            f"export the selection for the projector to {folder}",
            lambda: write_projector_into(folder, data).line(),
            None,
        )

    def import_csv(self, path: Path) -> None:
        """Select the images listed in a CSV's `index` column (a selection exported before, or any list)."""
        from core.files.selection import read_selection_indices

        path = Path(path)
        view = self.run.session.view
        if view is None:
            self.warning.emit("Nothing to select from", "Train a model or open a checkpoint first.")
            return
        count = len(view.snapshot.labels)

        def done(indices: np.ndarray) -> None:
            self.selection.select(indices)
            self.status.emit(f"Selected {len(indices):,} images listed in {path.name}")

        self.tasks.run(
            f"import a selection from {path}", lambda: read_selection_indices(path, count), done, self._failed
        )

    def _run(self, name: str, job, said: str | None) -> None:
        self.status.emit(f"{name[0].upper()}{name[1:]}…")
        self.tasks.run(name, job, lambda result: self.status.emit(said or str(result)), self._failed)

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, OSError | ValueError):
            log.error("A selection file failed", exc_info=error)
        self.warning.emit("Could not complete", str(error) or type(error).__name__)
