"""The main window: composes the run's panels and the features around them, and wires them to the run session. It
shows and steers; core computes.

It is the one place that knows the window: features get what they use (a session or a RunView, their panels, the
menu and dock registries, the close hooks, the background tasks, the file dialogs) and report through their own
signals, which are connected here to the status bar and the message boxes.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressBar

from core.events import EpochEnd
from core.training.progress import RunProgress, plural
from explorer.compare.comparison import Comparison, ComparisonPanel
from explorer.compare.path import ComparisonPath
from explorer.data.choice import DataChoice
from explorer.latent.code_exports import CodeExporter
from explorer.latent.exploration import Exploration
from explorer.latent.neighbours_panel import NeighboursPanel
from explorer.latent.projection import ProjectionChoice
from explorer.latent.run_view import RunView
from explorer.latent.shared_cursor import SharedCursor
from explorer.latent.shared_selection import SharedSelection
from explorer.own_image.feature import OwnImage
from explorer.selection.feature import SelectionFeature
from explorer.sweep.gallery import SweepGallery
from explorer.timelapse.export import TimelapseExporter
from explorer.timelapse.player import TimelapsePlayer
from explorer.timelapse.scrubber import ScrubberPanel
from explorer.training.session import RunSession
from explorer.utils.error_dialog import show_error
from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.registries import CloseHooks, MenuRegistry
from explorer.utils.tasks import BackgroundTasks
from explorer.vae.views import VaeViews
from explorer.window.docks import WindowDocks
from explorer.window.file_actions import FileActions
from explorer.window.layout import Area, build_layout
from explorer.window.menus import fill_recent_menu, recent_files, remember_recent, shortcut_sheet
from explorer.window.notices import NoticeBanner
from explorer.window.preload import BackendPreloader
from explorer.window.questions import show_about, unsaved_model_question
from explorer.window.start_here import StartHere
from explorer.window.state import restore_window, save_window
from explorer.window.status_bar import ElidingStatusBar

if TYPE_CHECKING:
    from core.files.autosave import Autosave
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo

log = logging.getLogger(__name__)

#: How long the close waits for file work still running (an export, a save) before it says which was cut; the
#: threads are not daemons, so what is cut still finishes its file before the process exits.
CLOSE_WAIT_S = 30.0


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, autosave_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("convae-explorer")
        self.settings = settings or QSettings("convae-explorer", "convae-explorer")
        if autosave_dir is None:
            from core.files.autosave import autosave_folder

            autosave_dir = autosave_folder()
        self.tasks = BackgroundTasks(self)
        self.close_hooks = CloseHooks()
        self.menus = MenuRegistry(self.menuBar(), self)
        self.docks = WindowDocks(self, self._list_dock)
        self.dialogs = FileDialogs(self, self.settings)
        self.session = RunSession(autosave_dir, self.tasks, self)
        layout = build_layout(self, self.docks)
        self.notice, self.controls, self.latent = layout.notice, layout.controls, layout.latent
        self.preview, self.loss, self.grids = layout.preview, layout.loss, layout.grids
        self.banner = NoticeBanner(self.notice)
        self.files = FileActions(self)
        self._add_window_actions()

        # one cursor for every run on screen; the first run's RunView, with the nearest images
        self.cursor = SharedCursor(self)
        self.selection = SharedSelection(self)  # one selection of display images, shown by every RunView
        self.neighbours = NeighboursPanel()
        self.run = RunView(
            self.session, self.latent, self.preview, self.cursor, self.neighbours, self, selection=self.selection
        )
        self.vae = VaeViews(self.session, self.loss, self.controls, self.docks, self)
        self.vae.collapseChanged.connect(lambda text: self._on_verdict("posterior collapse", text))
        # the comparison run: a second session and RunView on its own panel, sharing the cursor
        comparison_panel = ComparisonPanel()
        comparison_session = RunSession(autosave_dir, self.tasks, self)
        self.comparison_run = RunView(
            comparison_session, comparison_panel.latent, comparison_panel.preview, self.cursor, parent=self,
            selection=self.selection,
        )  # fmt: skip
        self.comparison = Comparison(
            self.comparison_run, comparison_panel, self.controls, self.docks, self.menus, self.close_hooks,
            self.dialogs, self,
        )  # fmt: skip
        self._report(self.comparison)
        self.comparison.error.connect(self._on_error)
        # a sweep's gallery: its own window; a run clicked open there opens here, as the main run or the comparison
        self.sweep = SweepGallery(self.menus, self.dialogs, self.tasks, self.close_hooks, self)
        self._report(self.sweep)
        self.sweep.openRequested.connect(self._open_sweep_run)
        self.own_image = OwnImage(self.session, self.latent, self.docks, self.close_hooks, self)
        # bottom right, under the preview: the right-hand column would need the preview's height plus this panel's,
        # and the window could no longer shrink to 1024×700
        self.docks.add("neighbours", "Nearest images", self.neighbours, Area.BottomDockWidgetArea, beside="grids")
        self.resizeDocks(
            [self.docks["loss"], self.docks["grids"], self.docks["neighbours"]], [5, 5, 3], Qt.Orientation.Horizontal
        )
        self.exploration = Exploration(self.run, self.menus, self.close_hooks, self.tasks, self.dialogs, self)
        self._report(self.exploration)
        self.menus.add("file.export", "export-loss-csv", "Export loss as &CSV…", self.files.ask_export_csv)
        # the comparison follows the first run's pinned path
        self.comparison_path = ComparisonPath(
            self.comparison_run, comparison_panel, self.exploration.pins, self.session, self.close_hooks, self
        )
        scrubber = ScrubberPanel()
        layout.central.addWidget(scrubber)
        self.timelapse = TimelapsePlayer(self.session, self.run, self.loss, scrubber, self)
        self.select = SelectionFeature(
            self.selection, [self.run, self.comparison_run], self.menus, self.docks, self.dialogs, self.tasks,
            self.close_hooks, self,
        )  # fmt: skip
        self._report(self.select)

        self._refresh_recent()
        self._build_status_bar()
        self._connect()
        restore_window(self)
        self.data_choice = DataChoice(
            self.session, self.controls, self.menus, self.settings, self.dialogs, self.tasks, self.close_hooks, self
        )
        self.data_choice.status.connect(self._on_status)
        self._add_start_here()
        self.timelapse_export = TimelapseExporter(
            self.session, self.timelapse, self.menus, self.dialogs, self.tasks, self
        )
        self.code_exports = CodeExporter(self.session, self.menus, self.dialogs, self.tasks, self)
        self._report(self.timelapse_export)
        self._report(self.code_exports)
        self.projection = ProjectionChoice(
            [self.session, self.comparison_run.session], self.menus, self.settings, self.close_hooks, self
        )
        self._report(self.projection)
        self._on_busy(False)
        self.preloader = BackendPreloader(autosave_dir, self.tasks, self)
        self.preloader.loaded.connect(self._on_backend_loaded)
        self.preloader.failed.connect(self._on_backend_failed)
        self.preloader.start()

    # ----- construction -------------------------------------------------------------------------------------
    def _list_dock(self, name: str, toggle) -> None:
        """Each dock's show/hide toggle in View, in the order the docks are added."""
        self.menus.add_action("view.panels", f"dock-{name}", toggle)

    def _add_window_actions(self) -> None:
        """The window's own menu entries; features add theirs (by section id) as they are installed."""
        std, menus, files = QKeySequence.StandardKey, self.menus, self.files
        menus.add("file.open", "open", "&Open checkpoint…", files.ask_open, std.Open)
        menus.add("file.open", "open-own-model", "Open your own &model…", files.ask_open_own)
        self.recent_menu = menus.add_menu("file.open", "recent", "Open &recent")
        menus.add("file.save", "save", "&Save checkpoint…", files.ask_save, std.Save)
        menus.add("file.export", "export-plot-png", "Export latent plot as &PNG…", files.ask_export_plot)
        menus.add("file.export", "export-plot-svg", "Export latent plot as S&VG…", files.ask_export_svg)
        menus.add("file.quit", "quit", "&Quit", self.close, std.Quit)
        menus.add("training.run", "start", "&Start new training", self.start_training, "Ctrl+R")
        menus.add("training.run", "continue", "&Continue training", self.continue_training, "Ctrl+Shift+R")
        menus.add("training.run", "pause", "&Pause / Resume", self.toggle_pause, "Space")
        menus.add("training.run", "stop", "S&top", self.stop_training, "Ctrl+.")
        menus.add("view.latent", "fit", "&Fit the latent view", self.latent.reset_view, "Ctrl+0")
        menus.add(
            "view.latent", "equal-scales", "&Equal scales on both axes", self.set_equal_scales, "Ctrl+E",
            checkable=True, tip="One unit the same length on both axes, so distances read truly",
        )  # fmt: skip
        menus.add("help.help", "shortcuts", "&Keyboard shortcuts", self.show_shortcuts, std.HelpContents)
        menus.add("help.help", "about", "&About convae-explorer", self.show_about)

    def _add_start_here(self) -> None:
        """The empty latent panel's first steps: train the lecture's network, open a model, use your own images."""
        self.start_here = StartHere(self.latent.plot)
        self.start_here.trainRequested.connect(self.train_lecture_network)
        self.start_here.openRequested.connect(self.files.ask_open)
        self.start_here.ownImagesRequested.connect(self.data_choice.ask_image_folder)
        for changed in (self.session.busyChanged, self.session.viewChanged, self.session.runReady):
            changed.connect(self._show_start_here)
        self._show_start_here()

    @Slot()
    def _show_start_here(self) -> None:
        """The card while there is nothing to show: no model, no view and no run under way."""
        session = self.session
        self.start_here.setVisible(session.model is None and session.view is None and not session.running)

    @Slot()
    def train_lecture_network(self) -> None:
        """Start here's first step: the form set to L16's network on the built-in digits, then Train."""
        self.controls.choose_lecture_setup()
        self.start_training()

    def _report(self, feature) -> None:
        """A feature's `status` to the status bar and its `warning` to a message box."""
        feature.status.connect(self._on_status)
        feature.warning.connect(self.warn)

    def _build_status_bar(self) -> None:
        self.setStatusBar(ElidingStatusBar())  # a long message (an autosave's path) elided, whole in its tooltip
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setFormat("%p%")
        self.progress_label = QLabel("Ready")
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().showMessage("Choose a data set and press Train, or open a checkpoint (Ctrl+O).")

    def _connect(self) -> None:
        self.controls.trainRequested.connect(self.start_training)
        self.controls.ownModelRequested.connect(self.files.ask_own_for_training)
        self.controls.continueRequested.connect(self.continue_training)
        self.controls.pauseToggled.connect(self.toggle_pause)
        self.controls.stopRequested.connect(self.stop_training)
        self.notice.linkActivated.connect(self._on_notice_link)
        session = self.session
        session.busyChanged.connect(self._on_busy)
        session.pausedChanged.connect(self._on_paused)
        session.runReady.connect(self._on_run_ready)
        session.lossesChanged.connect(self.loss.show_losses)
        session.progressed.connect(self._on_progress)
        session.epochEnded.connect(self._on_epoch_end)
        session.viewChanged.connect(self._on_view)
        session.notice.connect(self._on_notice)
        session.collapseChanged.connect(lambda text: self._on_verdict("output collapse", text))
        session.status.connect(self._on_status)
        session.warning.connect(self.warn)
        session.error.connect(self._on_error)
        session.fileChanged.connect(self._on_file_changed)

    @Slot(list, object)
    def _on_backend_loaded(self, devices: list, last_autosave: Autosave | None) -> None:
        from core.runs.backend import decode_on_this_thread_only

        decode_on_this_thread_only()
        self.controls.add_devices(devices, self.settings)
        if last_autosave is not None and self.session.model is None and not self.running:
            self.offer_reopen(last_autosave)
        # Qt, pyqtgraph and torch are loaded now, ~230,000 objects that live as long as the app. Left to the garbage
        # collector, every full collection walks them all: ~135 ms with the window stalled, here. Frozen, they are
        # never scanned again (what is created from now on still is).
        gc.freeze()

    @Slot(str)
    def _on_backend_failed(self, message: str) -> None:
        self.warn("The training engine could not be loaded", f"{message}\nSee the log file for details.")

    def offer_reopen(self, save: Autosave) -> None:
        """A banner with a link that reopens the last model trained here (until another run starts)."""
        self._reopen = save.path
        self.banner.show("reopen", f'Your last model ({save.describe()}) was kept. <a href="reopen">Reopen it</a>')

    @Slot(str)
    def _on_notice_link(self, _link: str) -> None:
        if getattr(self, "_reopen", None) is not None and not self.running:
            self.open_checkpoint(self._reopen)

    # ----- steering -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.session.running

    @Slot()
    def start_training(self) -> None:
        if self.running:
            return
        try:
            config = self.controls.train_config()
        except ValueError as error:
            self.warn("Invalid setting", str(error))
            return
        if self.session.dirty and not self._confirm_discard():
            return
        form = self.controls
        self.session.start_new(form.dataset_name, form.latent_dim.value(), config, form.model_choice())

    @Slot()
    def continue_training(self) -> None:
        info, latent = self.session.info, self.controls.latent_dim.value()
        self.session.continue_to(self.controls.epochs.value(), self.controls.device.currentData())
        if self.session.training and info is not None and latent != info.model_config.latent_dim:
            self._on_notice(
                f"Continue trains this model further, so it keeps its latent size ({info.model_config.latent_dim}). "
                f"Train starts a new model with latent size {latent}."
            )

    @Slot()
    def toggle_pause(self) -> None:
        self.session.toggle_pause()

    @Slot()
    def stop_training(self) -> None:
        self.session.stop()

    def open_checkpoint(self, path: Path) -> bool:
        """Show a saved model; it is read in the background and the current model stays if it is refused."""
        self.dialogs.remember(path)
        if not self.files.code_may_run(Path(path)):
            return False
        return self.session.open(Path(path))

    @Slot(object, bool)
    def _open_sweep_run(self, path: Path, for_comparison: bool) -> None:
        if for_comparison:
            self.comparison.open(path)
        else:
            self.open_checkpoint(path)

    @Slot(bool)
    def set_equal_scales(self, on: bool) -> None:
        self.latent.set_equal_scales(on)

    def show_shortcuts(self) -> None:
        self.shortcuts = shortcut_sheet(self, self.menus)
        self.shortcuts.open()

    def _refresh_recent(self) -> None:
        fill_recent_menu(self.recent_menu, recent_files(self.settings), self.open_checkpoint)

    @Slot(object)
    def _on_file_changed(self, path: Path | None) -> None:
        """The title names the model's file; a file opened or saved joins File › Open recent."""
        name = path.name if path is not None else "new model" if self.session.info is not None else None
        self.setWindowTitle(f"{name} — convae-explorer" if name else "convae-explorer")
        if path is not None:
            remember_recent(self.settings, path)
            self._refresh_recent()

    # ----- from the session ---------------------------------------------------------------------------------
    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        """A run begins (its notices start afresh) or has ended and handed its model back."""
        session = self.session
        if busy:
            self.banner.clear_all()
            self.progress_bar.setRange(0, 0)  # busy, size unknown: until the run is laid out (loading, opening)
        else:
            self.loss.flush()
            if self.progress_bar.maximum() == 0:  # the run never began (refused): no busy bar left behind
                self.progress_bar.setRange(0, 1)
                self.progress_bar.setValue(0)
        self.controls.set_can_continue(session.can_continue)
        training = busy and session.training  # opening a file is busy too, but has nothing to pause or stop
        self.controls.set_running(busy, paused=False, training=training)
        action = self.menus.action
        action("continue").setEnabled(not busy and session.can_continue)
        action("start").setEnabled(not busy)
        action("pause").setEnabled(training)
        action("stop").setEnabled(training)
        action("open").setEnabled(not busy)
        self.recent_menu.setEnabled(not busy)

    @Slot(bool)
    def _on_paused(self, paused: bool) -> None:
        self.controls.set_running(True, paused)

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        """Another model: the loss curve and progress start afresh (the RunView clears the latent space)."""
        self.loss.start_run(
            info.losses, info.batches_per_epoch, info.epochs_done, info.total_steps, info.pacing.curve_hz
        )
        self.progress_bar.setRange(0, info.total_steps)
        self.progress_bar.setValue(info.start_step)
        if not self.session.training:
            self.controls.show_run_settings(info.trained_on, info.model_config.latent_dim, info.config)
            self.progress_label.setText(
                f"Opened model: {info.epochs_done} of {plural(info.config.epochs, 'epoch')}, "
                f"{plural(info.start_step, 'step')}"
            )

    @Slot(object)
    def _on_progress(self, progress: RunProgress) -> None:
        self.progress_bar.setValue(progress.step)
        self.progress_label.setText(progress.line())

    @Slot(object)
    def _on_epoch_end(self, event: EpochEnd) -> None:
        self.loss.mark_epoch(event.epoch + 1)

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        """What the RunView does not show of a view: the reconstructions, and whether the axes have equal scales."""
        snapshot = view.snapshot
        self.menus.action("equal-scales").setChecked(self.latent.equal_scales)
        self.grids.show_rows(
            snapshot.originals, snapshot.reconstructions, f"Each original above its reconstruction, at {view.where}"
        )

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        """Notices (a data-set fallback, a latent size kept) stay visible in a banner until the next run starts."""
        self.banner.show("run", text)
        self.statusBar().showMessage(text)

    def _on_verdict(self, kind: str, text: str | None) -> None:
        """A verdict judged at every view (a collapse): in the banner while it holds, gone once it changes."""
        if text is None:
            self.banner.clear(kind)
        else:
            self.banner.show(kind, text)
            self.statusBar().showMessage(text)

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    @Slot(str, str, str)
    def _on_error(self, title: str, message: str, details: str) -> None:
        show_error(self, title, message, details)
        self.statusBar().showMessage(f"Error: {message}")

    # ----- files --------------------------------------------------------------------------------------------
    def save_checkpoint_to(self, path: Path) -> None:
        self.dialogs.remember(path)
        self.session.save(Path(path))

    # ----- messages and lifecycle ---------------------------------------------------------------------------
    @Slot(str, str)
    def warn(self, title: str, text: str) -> None:
        """A non-blocking warning: the window (and any test driving it) keeps running."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}")

    def show_about(self) -> None:
        show_about(self)

    def _confirm_discard(self) -> bool:
        """The model was never saved (its autosave failed): ask before a new run (or closing) loses it."""
        answer = unsaved_model_question(self, self.session.autosave_error or "").exec()
        if answer == QMessageBox.StandardButton.Save:
            path = self.files.ask_checkpoint_path()
            if path is not None:
                self.session.save_now(path)
            return not self.session.dirty
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker, wait for its thread (it autosaves what it trained), stop every feature's work, let the
        file writes finish (or say which were cut), keep the layout, then close.

        When the model could not be kept, the user may save it elsewhere or stay; nothing is lost silently.
        """
        if self.session.shutdown() is not None and not self._confirm_discard():
            event.ignore()
            return
        self.close_hooks.run()
        cut = self.tasks.join(CLOSE_WAIT_S)
        if cut:
            note = f"Closing while still at work (it finishes before the app exits): {', '.join(cut)}"
            log.warning(note)
            self.statusBar().showMessage(note)
        save_window(self)
        event.accept()
