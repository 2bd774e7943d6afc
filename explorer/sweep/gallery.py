"""File › Open sweep…: every run of a sweep as a small multiple, in a grid by the swept values, one cursor for all.

The gallery reads only the sweep's files (DIR/sweep.json through core.sweep.manifest, and each run's checkpoint),
never Ray: a sweep can run on a cluster while the window on a laptop watches its shared folder. Each run's view is
core.sweep.gallery's, the one `render sweep` draws, so the window and the picture agree. All file work is off the
GUI thread (BackgroundTasks): the manifest is read, then the checkpoints one after another, so tiles fill in as they
load and the close waits for at most one read. While runs are queued or running, the manifest is read again every
second; a run whose checkpoint appeared or changed is loaded again, so panels fill in as the sweep produces them,
with each run's progress.

Why a window of its own rather than a dock: 16 small multiples need a screen (or most of one); docked, they would
squeeze the main run's latent space. A run clicked open goes to the main window through `openRequested`, which the
window connects to its own open path (File › Open, or the comparison's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from explorer.latent.class_legend import ClassLegend
from explorer.latent.shared_cursor import SharedCursor
from explorer.sweep.layout import BY_VALUES, RANKINGS, Arrangement, arrange, paged_axes, value_text
from explorer.sweep.tile import GalleryRun

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.sweep.manifest import SweepManifest
    from explorer.utils.file_dialogs import FileDialogs
    from explorer.utils.registries import CloseHooks, MenuRegistry
    from explorer.utils.tasks import BackgroundTasks

log = logging.getLogger(__name__)

POLL_MS = 1000  # how often a sweep still running is read again
Stamp = tuple[int, int]  # a checkpoint file's (modification time in ns, size): changed, it is read again


@dataclass(frozen=True)
class SweepRead:
    """The manifest as read now, and each run's checkpoint stamp (None: no file yet)."""

    directory: Path
    manifest: SweepManifest
    stamps: dict[str, Stamp | None]
    #: Each run's title and result line, as `render sweep` words them (core.sweep.gallery: imported here, in the
    #: background, as it brings torch with it).
    titles: dict[str, tuple[str, str]]


def read_sweep(directory: Path) -> SweepRead:
    """Read DIR/sweep.json and stat every run's checkpoint (in a background task)."""
    from core.sweep.gallery import run_result, run_title
    from core.sweep.manifest import read_manifest

    manifest = read_manifest(directory)
    stamps: dict[str, Stamp | None] = {}
    for run in manifest.runs:
        path = manifest.checkpoint_path(directory, run)
        try:
            status = path.stat() if path is not None else None
        except OSError:
            status = None
        regular = status is not None and path.is_file()
        stamps[run.run_id] = (status.st_mtime_ns, status.st_size) if regular else None
    titles = {run.run_id: (run_title(run), run_result(run)) for run in manifest.runs}
    return SweepRead(directory, manifest, stamps, titles)


def load_run_view(path: Path, data_dir: str | None, datasets: dict) -> SnapshotView:
    """A run's checkpoint as `render sweep` draws it (core.sweep.gallery.load_view, so the two cannot disagree):
    on the sweep's own data folder, its data set read once for all the runs that share it (`datasets`, touched by
    one load at a time)."""
    from core.sweep.gallery import load_view

    return load_view(path, data_dir, False, datasets)


class GalleryWindow(QWidget):
    """The gallery's own window: what is shown and how it is arranged above, the grid of runs below."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Sweep gallery")
        self.setObjectName("sweepGallery")
        self.summary = QLabel("Open a sweep's folder (File › Open sweep…).")
        self.summary.setWordWrap(True)
        self.order = QComboBox()
        self.order.addItem("by swept values", BY_VALUES)
        for key, name in RANKINGS.items():
            self.order.addItem(f"by {name} (lowest first)", key)
        self.order.setToolTip("Lay the runs out by their swept values, or rank them by a result")
        self.same_scale = QCheckBox("Same scale in every panel")
        self.same_scale.setChecked(True)
        self.same_scale.setToolTip("Every panel shows the same plane range, so the cursor sits at the same place")
        self.pages = QHBoxLayout()  # a chooser for each axis beyond the first two
        self.selection = QLabel("Hover any panel: every run decodes that position. Click a point to ring that image "
                                "in every run.")  # fmt: skip
        self.selection.setWordWrap(True)
        self.legend = ClassLegend()
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Arrange"))
        controls.addWidget(self.order)
        controls.addLayout(self.pages)
        controls.addWidget(self.same_scale)
        controls.addStretch(1)
        self.grid_widget = QWidget()
        self.grid = QGridLayout(self.grid_widget)
        self.grid.setSpacing(6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_widget)
        body = QHBoxLayout()
        body.addWidget(scroll, 1)
        body.addWidget(self.legend)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(controls)
        layout.addWidget(self.selection)
        layout.addLayout(body, 1)
        self.resize(1200, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)


class SweepGallery(QObject):
    """File › Open sweep…: reads a sweep's folder in the background and shows its runs with one cursor."""

    status = Signal(str)
    warning = Signal(str, str)  # title, text
    openRequested = Signal(object, bool)  # a run's checkpoint path; True: for comparison, False: as the main run

    def __init__(
        self,
        menus: MenuRegistry,
        dialogs: FileDialogs,
        tasks: BackgroundTasks,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.dialogs, self.tasks = dialogs, tasks
        self.window = GalleryWindow()
        self.cursor = SharedCursor(self)  # the gallery's own: its runs' planes are not the main run's
        self.directory: Path | None = None
        self.manifest: SweepManifest | None = None
        self.runs: dict[str, GalleryRun] = {}
        self.selected: np.ndarray | None = None  # the display image ringed in every run
        self._loaded: dict[str, Stamp] = {}  # what each run's shown view was read from
        self._datasets: dict = {}  # the data sets read for this sweep's runs (core.sweep.gallery.load_view's cache)
        self._queue: list[str] = []
        self._loading: str | None = None
        self._reading = False
        self._generation = 0  # a newer sweep (or the close) makes every answer of an older one stale
        self._headers: list[QLabel] = []
        self._arranged: Arrangement | None = None  # the grid as laid out now
        self._hidden: set[str] = set()  # the runs it leaves out (another page)
        self._page_choosers: dict[str, QComboBox] = {}
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._read)
        menus.add("file.open", "open-sweep", "Open s&weep…", self.ask_open)
        close_hooks.add("sweep gallery", self.close)
        self.window.closed.connect(self._stop)
        self.window.order.currentIndexChanged.connect(self._relayout)
        self.window.same_scale.toggled.connect(self.fit_panels)

    @property
    def busy(self) -> bool:
        """Whether the manifest or a run's checkpoint is being read, or a checkpoint waits to be."""
        return self._reading or self._loading is not None or bool(self._queue)

    # ----- opening ------------------------------------------------------------------------------------------------
    def ask_open(self) -> None:
        directory = self.dialogs.existing_folder("Open a sweep's folder")
        if directory is not None:
            self.open(directory)

    def open(self, directory: Path) -> None:
        """Show the sweep in `directory` (read in the background; `warning` if it is not a sweep's folder)."""
        self._forget()
        self.directory = Path(directory)
        self.window.setWindowTitle(f"Sweep gallery: {self.directory}")
        self.window.summary.setText(f"Reading {self.directory}…")
        self.window.show()
        self.window.raise_()
        self._read()

    def close(self) -> None:
        """The main window closes: the gallery too, and no more reads or loads start (one already running is joined
        by the main window's close)."""
        self._stop()
        self.window.close()

    @Slot()
    def _stop(self) -> None:
        """Nothing more is read for this gallery (its window closed): answers still on their way are stale."""
        self._generation += 1
        self._poll.stop()
        self._queue.clear()
        self._loading, self._reading = None, False

    def _forget(self) -> None:
        self._stop()
        for run in self.runs.values():
            run.detach()
        self.runs, self._loaded, self.manifest, self.selected, self._datasets = {}, {}, None, None, {}
        self._arranged, self._hidden = None, set()
        self.cursor.position = None

    # ----- the manifest -------------------------------------------------------------------------------------------
    @Slot()
    def _read(self) -> None:
        if self._reading or self.directory is None:
            return
        self._reading = True
        generation, directory = self._generation, self.directory
        self.tasks.run(
            "sweep: read sweep.json",
            lambda: read_sweep(directory),
            lambda read: self._on_read(generation, read),
            lambda error: self._on_read_failed(generation, error),
        )

    def _on_read_failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._reading = False
        self._poll.stop()
        self.window.summary.setText(f"Cannot show this sweep: {error}")
        self.warning.emit("Cannot open the sweep", str(error))

    def _on_read(self, generation: int, read: SweepRead) -> None:
        if generation != self._generation:
            return
        self._reading = False
        manifest = self.manifest = read.manifest
        added = False
        for run in manifest.runs:
            shown = self.runs.get(run.run_id)
            if shown is None:
                shown = self.runs[run.run_id] = GalleryRun(run, self.cursor, self)
                shown.pointClicked.connect(self._select)
                shown.openRequested.connect(self.openRequested)
                added = True
            title, result = read.titles[run.run_id]
            shown.show_record(run, title, result, manifest.checkpoint_path(read.directory, run))
            stamp = read.stamps.get(run.run_id)
            wanted = run.state != "failed" and stamp is not None and stamp != self._loaded.get(run.run_id)
            if wanted and run.run_id not in self._queue and run.run_id != self._loading:
                self._queue.append(run.run_id)
        if added:
            self._build_pages(manifest)
        self._relayout()
        self._summarise()
        unfinished = any(run.state in ("queued", "running") for run in manifest.runs)
        if unfinished:
            self._poll.start()
        else:
            self._poll.stop()
        self._load_next()

    def _summarise(self) -> None:
        manifest = self.manifest
        if manifest is None:
            return
        states = [run.state for run in manifest.runs]
        counts = ", ".join(f"{states.count(s)} {s}" for s in ("done", "running", "queued", "failed") if s in states)
        axes = " × ".join(f"{name} ({len(values)})" for name, values in manifest.axes.items()) or "no axes"
        fixed = ", ".join(f"{k} {value_text(v)}" for k, v in manifest.fixed.items())
        text = f"{self.directory}: {len(states)} runs over {axes}: {counts}."
        self.window.summary.setText(text + (f" Fixed: {fixed}." if fixed else ""))

    # ----- loading the runs' checkpoints, one at a time -----------------------------------------------------------
    def _load_next(self) -> None:
        if self._loading is not None or not self._queue or self.manifest is None or self.directory is None:
            return
        run_id = self._loading = self._queue.pop(0)
        run = self.runs[run_id]
        path = run.path
        generation = self._generation
        try:
            stamp = path.stat()
            stamp = (stamp.st_mtime_ns, stamp.st_size)
        except OSError:
            stamp = None
        data_dir, datasets = self.manifest.fixed.get("data-dir"), self._datasets
        data_dir = data_dir if isinstance(data_dir, str) else None  # the sweep's --data-dir, if it named one
        self.tasks.run(
            f"sweep: open run {run_id}",
            lambda: load_run_view(path, data_dir, datasets),
            lambda view: self._on_loaded(generation, run_id, stamp, view),
            lambda error: self._on_load_failed(generation, run_id, stamp, error),
        )

    def _on_loaded(self, generation: int, run_id: str, stamp: Stamp | None, view: SnapshotView) -> None:
        if generation != self._generation:
            return
        run = self.runs[run_id]
        run.show_view(view)
        if stamp is not None:
            self._loaded[run_id] = stamp
        self.window.legend.set_classes(view.snapshot.classes)
        if self.selected is not None:
            run.ring(self.selected)
        self.fit_panels()
        self._finish_load()

    def _on_load_failed(self, generation: int, run_id: str, stamp: Stamp | None, error: BaseException) -> None:
        if generation != self._generation:
            return
        log.info("sweep run %s could not be shown: %s", run_id, error)
        self.runs[run_id].show_failure(str(error))
        if stamp is not None:
            self._loaded[run_id] = stamp  # not again until the file changes
        self._finish_load()

    def _finish_load(self) -> None:
        self._loading = None
        if not self._queue and not self._poll.isActive():
            self.status.emit(f"Sweep gallery: {len(self._loaded)} of {len(self.runs)} runs shown")
        self._load_next()

    # ----- arranging ----------------------------------------------------------------------------------------------
    def _build_pages(self, manifest: SweepManifest) -> None:
        """A chooser for each axis beyond the first two (the grid shows one of its values at a time)."""
        for chooser in self._page_choosers.values():
            chooser.deleteLater()
        self._page_choosers = {}
        for axis in paged_axes(manifest):
            chooser = QComboBox()
            chooser.setToolTip(f"The value of {axis} the grid shows")
            for value in manifest.axes[axis]:
                chooser.addItem(f"{axis} {value_text(value)}", value)
            chooser.currentIndexChanged.connect(self._relayout)
            self.window.pages.addWidget(chooser)
            self._page_choosers[axis] = chooser

    @Slot()
    def _relayout(self) -> None:
        manifest = self.manifest
        if manifest is None:
            return
        order = self.window.order.currentData()
        page = {axis: chooser.currentData() for axis, chooser in self._page_choosers.items()}
        for chooser in self._page_choosers.values():
            chooser.setEnabled(order == BY_VALUES)
        arrangement = arrange(manifest, order, page)
        if arrangement == self._arranged and set(self.runs) == set(arrangement.cells) | self._hidden:
            return  # the manifest read again, nothing moved: the grid stays as it is (no relayout every second)
        self._arranged = arrangement
        self._hidden = set(self.runs) - set(arrangement.cells)
        grid = self.window.grid
        for header in self._headers:
            header.deleteLater()
        self._headers = []
        for run in self.runs.values():
            grid.removeWidget(run.tile)
        offset = 1 if arrangement.column_headers else 0
        for column, text in enumerate(arrangement.column_headers):
            self._header(text, 0, column + offset)
        for row, text in enumerate(arrangement.row_headers):
            self._header(text, row + offset, 0)
        for run_id, run in self.runs.items():
            cell = arrangement.cells.get(run_id)
            if cell is not None:  # added, then shown: addWidget hid a tile shown just before it (the paging test)
                grid.addWidget(run.tile, cell[0] + offset, cell[1] + offset)
            run.tile.setVisible(cell is not None)

    def _header(self, text: str, row: int, column: int) -> None:
        label = QLabel(text)
        label.setObjectName("panelTitle")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.window.grid.addWidget(label, row, column)
        self._headers.append(label)

    @Slot()
    def fit_panels(self) -> None:
        """One plane range for every loaded panel (the union of their points), or each its own."""
        shown = [run for run in self.runs.values() if run.view is not None]
        if not self.window.same_scale.isChecked() or not shown:
            for run in shown:
                run.tile.latent.reset_view()
            return
        xy = np.concatenate([run.view.xy for run in shown])
        finite = xy[np.isfinite(xy).all(axis=1)]
        if not len(finite):
            return
        (x0, y0), (x1, y1) = finite.min(axis=0).tolist(), finite.max(axis=0).tolist()
        for run in shown:
            run.tile.latent.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.05)

    # ----- one selection for every run ----------------------------------------------------------------------------
    @Slot(object)
    def _select(self, image: np.ndarray) -> None:
        """Ring the clicked display image in every run that shows it, where that run places it."""
        self.selected = image
        ringed = sum(run.ring(image) for run in self.runs.values())
        shown = sum(run.view is not None for run in self.runs.values())
        self.window.selection.setText(
            f"The clicked image is ringed in {ringed} of {shown} runs shown (a run trained with another seed may "
            "show other images)."
        )
