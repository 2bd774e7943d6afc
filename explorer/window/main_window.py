"""The main window: lays out the panels and wires them to the run session. It shows and steers; core computes."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QProgressBar

from core.events import EpochEnd
from core.training.progress import RunProgress, plural
from explorer.latent.exploration import install_exploration
from explorer.latent.hover import HoverDecoder
from explorer.timelapse.player import install_timelapse
from explorer.training.session import RunSession
from explorer.utils.error_dialog import show_error
from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.registries import CloseHooks
from explorer.utils.tasks import BackgroundTasks
from explorer.window.data_features import install_data_features
from explorer.window.extras import attach_extras
from explorer.window.file_actions import FileActions
from explorer.window.layout import build_layout
from explorer.window.menus import build_menus, fill_recent_menu, recent_files, remember_recent, shortcut_sheet
from explorer.window.preload import BackendPreloader
from explorer.window.questions import show_about, unsaved_model_question
from explorer.window.state import restore_window, save_window

if TYPE_CHECKING:
    from core.files.autosave import Autosave
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo

log = logging.getLogger(__name__)

#: How long the close waits for background file work (an export, a save) before it closes anyway: the tasks are no
#: daemons, so what is still writing then finishes before the process exits.
CLOSE_WAIT_S = 30.0


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, autosave_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("convae-explorer")
        self.settings = settings or QSettings("convae-explorer", "convae-explorer")
        if autosave_dir is None:
            from core.files.autosave import autosave_folder

            autosave_dir = autosave_folder()
        self.session = RunSession(autosave_dir, self)
        self.tasks = BackgroundTasks(self)  # file work off the GUI thread, joined by closeEvent
        self.close_hooks = CloseHooks()
        self.hover = HoverDecoder(self)
        self.dialogs = FileDialogs(self, self.settings)
        self.last_message: tuple[str, str] | None = None
        layout = build_layout(self)
        self.notice, self.controls, self.latent = layout.notice, layout.controls, layout.latent
        self.preview, self.loss, self.grids = layout.preview, layout.loss, layout.grids
        self.docks = layout.docks
        self.resize(1280, 860)
        self.files = FileActions(self)
        self.extras = attach_extras(self)  # the VAE's KL bars and the comparison run (explorer.window.extras)
        self.actions_ = build_menus(self)
        self._refresh_recent()
        self._build_status_bar()
        self._connect()
        self.exploration = install_exploration(self)  # map, path pins, neighbours, class focus
        self.timelapse = install_timelapse(self)
        restore_window(self)
        self.data = install_data_features(self)  # data sets, image folders, exports for other tools
        self._on_busy(False)
        self.preloader = BackendPreloader(autosave_dir, self.tasks, self)
        self.preloader.loaded.connect(self._on_backend_loaded)
        self.preloader.failed.connect(self._on_backend_failed)
        self.preloader.start()

    # ----- construction -------------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setFormat("%p%")
        self.progress_label = QLabel("Ready")
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().showMessage("Choose a data set and press Train, or open a checkpoint (Ctrl+O).")

    def _connect(self) -> None:
        self.controls.trainRequested.connect(self.start_training)
        self.controls.continueRequested.connect(self.continue_training)
        self.controls.pauseToggled.connect(self.toggle_pause)
        self.controls.stopRequested.connect(self.stop_training)
        self.latent.hovered.connect(self.hover.request)
        self.latent.pointClicked.connect(self.show_point)
        self.hover.decoded.connect(self._on_decoded)
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
        self.notice.setText(f'Your last model ({save.describe()}) was kept. <a href="reopen">Reopen it</a>')
        self.notice.show()

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
        return self.session.open(Path(path))

    @Slot(bool)
    def set_equal_scales(self, on: bool) -> None:
        self.latent.set_equal_scales(on)

    def show_shortcuts(self) -> None:
        self.shortcuts = shortcut_sheet(self, self.actions_)
        self.shortcuts.open()

    def _refresh_recent(self) -> None:
        fill_recent_menu(self.actions_.recent_menu, recent_files(self.settings), self.open_checkpoint)

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
            self.notice.hide()
            self.progress_bar.setRange(0, 0)  # busy, size unknown: until the run is laid out (loading, opening)
        else:
            self.loss.flush()
            if self.progress_bar.maximum() == 0:  # the run never began (refused): no busy bar left behind
                self.progress_bar.setRange(0, 1)
                self.progress_bar.setValue(0)
        self.controls.set_can_continue(session.can_continue)
        self.controls.set_running(busy, paused=False)
        self.actions_.set_running(busy, session.can_continue)

    @Slot(bool)
    def _on_paused(self, paused: bool) -> None:
        self.controls.set_running(True, paused)

    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        """Another model now: nothing of the previous one stays on screen."""
        self.latent.reset_view()
        self.latent.mark(None)
        self.preview.clear_picked()
        self.preview.clear_decoded()
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
        snapshot = view.snapshot
        self.latent.show_points(view.xy, snapshot.labels, snapshot.classes, view.plane)
        self.hover.set_view(view)
        pca = " — first two principal components" if view.plane.is_pca else ""
        self.latent.set_caption(
            f"{len(view.xy):,} images encoded at {view.where}{pca}. Hover to decode, click a point to "
            "inspect it, drag to pan, wheel to zoom."
        )
        self.preview.show_snapshot_info(f"Decoder and points from {view.where}")
        self.actions_.equal_scales.setChecked(self.latent.equal_scales)
        self.grids.show_rows(
            snapshot.originals, snapshot.reconstructions, f"Each original above its reconstruction, at {view.where}"
        )

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        """Notices (a data-set fallback, a collapse) stay visible in a banner until the next run starts."""
        self.notice.setText(text)
        self.notice.show()
        self.statusBar().showMessage(text)

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    @Slot(str, str, str)
    def _on_error(self, title: str, message: str, details: str) -> None:
        show_error(self, title, message, details)
        self.statusBar().showMessage(f"Error: {message}")

    # ----- hover and click ----------------------------------------------------------------------------------
    @Slot(object, float, float, object)
    def _on_decoded(self, image: np.ndarray, x: float, y: float, latent: np.ndarray) -> None:
        view = self.session.view
        self.preview.show_decoded(image, (x, y), latent, view is not None and view.plane.is_pca)

    @Slot(int)
    def show_point(self, index: int) -> None:
        """A display image beside its reconstruction by the current snapshot, with its label and code."""
        view = self.session.view
        if view is None or index >= len(view.xy):
            return
        self.latent.mark(index, view.xy[index])
        code = view.snapshot.codes[index]
        shown = ", ".join(f"{v:+.2f}" for v in code[:6]) + (", …" if len(code) > 6 else "")
        self.preview.show_picked(
            view.snapshot.display_images[index],
            view.reconstruct(index),
            f"Label: {view.label_of(index)}  ·  image #{index}\nz = ({shown})",
        )

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
        self.last_message = (title, text)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}")

    def show_about(self) -> None:
        show_about(self)

    def _confirm_discard(self) -> bool:
        """The model was never saved (its autosave failed): ask before a new run (or closing) loses it."""
        self.question = unsaved_model_question(self, self.session.autosave_error or "")
        answer = self.question.exec()
        if answer == QMessageBox.StandardButton.Save:
            path = self.files.ask_checkpoint_path()
            if path is not None:
                self.session.save(path, wait=True)
            return not self.session.dirty
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker, wait for its thread (it autosaves what it trained), keep the layout, then close.

        When the model could not be kept, the user may save it elsewhere or stay; nothing is lost silently.
        """
        if self.session.shutdown() is not None and not self._confirm_discard():
            event.ignore()
            return
        save_window(self)
        self.close_hooks.run()
        still = self.tasks.join(CLOSE_WAIT_S)
        if still:
            log.warning("Closing while still at work (it finishes before the app exits): %s", ", ".join(still))
        event.accept()
