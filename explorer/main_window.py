"""The main window: wires panels to the training runner and the hover decoder. It shows and steers; core computes."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from platformdirs import user_data_dir
from PySide6.QtCore import QSettings, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core import __version__
from core.cli import format_duration
from core.config import BUILTIN_DATASET, ModelConfig
from core.diagnostics import output_collapsed
from core.events import EndReason, EpochEnd, Snapshot, TrainingEnded
from core.files import FileWriteError, write_atomically
from core.latent import LatentPlane, fit_plane
from explorer.hover import HoverDecoder
from explorer.panels.controls import DATASET_LABELS, ControlsPanel
from explorer.panels.grids_panel import GridsPanel
from explorer.panels.latent_panel import LatentPanel
from explorer.panels.loss_panel import LossPanel
from explorer.panels.preview_panel import PreviewPanel
from explorer.preload import BackendPreloader
from explorer.worker import ProgressUpdate, TrainingRunner, TrainingWorker

if TYPE_CHECKING:  # torch-backed modules load in the background after the window shows (see explorer.app)
    from core.datasets import ImageDataset
    from core.engine import Trainer

log = logging.getLogger(__name__)


def dataset_title(name: str) -> str:
    """A data set's name as a sentence uses it."""
    return "the built-in digits" if name == BUILTIN_DATASET else DATASET_LABELS.get(name, name)


def load_with_fallback(name: str, notify: Callable[[str], None]) -> ImageDataset:
    """The named data set, or the built-in digits with a notice saying why."""
    from core.datasets import DatasetError, load_builtin_digits, load_dataset

    try:
        return load_dataset(name)
    except DatasetError as error:
        if name == BUILTIN_DATASET:
            raise
        log.warning("falling back to the built-in digits: %s", error)
        notify(
            f"{DATASET_LABELS.get(name, name)} not found and could not be downloaded: "
            "using the built-in 5,000 digits instead. " + str(error).split(". ")[-1]
        )
        return load_builtin_digits()


def autosave_path() -> Path:
    return Path(user_data_dir("convae-explorer", appauthor=False)) / "autosave" / "last-model.safetensors"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, autosave: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("convae-explorer")
        self.settings = settings or QSettings("convae-explorer", "convae-explorer")
        self.autosave = autosave if autosave is not None else autosave_path()
        self.runner = TrainingRunner(self)
        self.hover = HoverDecoder(self)
        self.trainer: Trainer | None = None  # touched only while no thread runs
        self.snapshot: Snapshot | None = None
        self.plane: LatentPlane | None = None
        self.dirty = False  # a trained model not yet written anywhere
        self._trained_on: str | None = None  # the data set the current model was trained on
        self._pending_trainer: Trainer | None = None
        self._run_start_step = 0
        self._paused = False
        self._build_panels()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self._restore_state()
        self._set_running(False)
        self.preloader = BackendPreloader(self)
        self.preloader.loaded.connect(self._on_backend_loaded)
        self.preloader.failed.connect(self._on_backend_failed)
        self.preloader.start()

    # ----- construction -------------------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.controls = ControlsPanel()
        self.preview = PreviewPanel()
        self.latent = LatentPanel()
        self.loss = LossPanel()
        self.grids = GridsPanel()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(4, 4, 4, 4)
        box = QGroupBox("Training")
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 4, 0, 0)
        box_layout.addWidget(self.controls)
        side_layout.addWidget(box)
        side_layout.addStretch(1)
        latent_box = self._titled("Latent space", self.latent)
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.addWidget(side)
        self.top_splitter.addWidget(latent_box)
        self.top_splitter.addWidget(self.preview)
        self.top_splitter.setStretchFactor(1, 1)
        self.top_splitter.setSizes([250, 700, 260])
        self.bottom_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.bottom_splitter.addWidget(self._titled("Training loss", self.loss))
        self.bottom_splitter.addWidget(self._titled("Reconstructions", self.grids))
        self.bottom_splitter.setSizes([600, 600])
        self.main_splitter = QSplitter(Qt.Orientation.Vertical)
        self.main_splitter.addWidget(self.top_splitter)
        self.main_splitter.addWidget(self.bottom_splitter)
        self.main_splitter.setStretchFactor(0, 3)
        self.main_splitter.setStretchFactor(1, 2)
        self.main_splitter.setSizes([520, 300])
        for splitter in (self.top_splitter, self.bottom_splitter, self.main_splitter):
            splitter.setChildrenCollapsible(False)
        self.notice = QLabel()
        self.notice.setObjectName("noticeBanner")
        self.notice.setWordWrap(True)
        self.notice.hide()
        central = QWidget()
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.notice)
        central_layout.addWidget(self.main_splitter, 1)
        self.setCentralWidget(central)
        self.resize(1280, 860)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        frame = QWidget()
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        label = QLabel(title)
        label.setObjectName("panelTitle")
        layout.addWidget(label)
        layout.addWidget(widget, 1)
        return frame

    def _action(self, text: str, slot: Callable, shortcut: QKeySequence | str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self._action("&Open checkpoint…", self._ask_open, QKeySequence.StandardKey.Open)
        self.save_action = self._action("&Save checkpoint…", self._ask_save, QKeySequence.StandardKey.Save)
        self.export_plot_action = self._action("Export latent plot as &PNG…", self._ask_export_plot)
        self.export_csv_action = self._action("Export loss as &CSV…", self._ask_export_csv)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        for action in (
            self.open_action,
            self.save_action,
            None,
            self.export_plot_action,
            self.export_csv_action,
            None,
            self.quit_action,
        ):
            file_menu.addSeparator() if action is None else file_menu.addAction(action)
        train_menu = bar.addMenu("&Training")
        self.start_action = self._action("&Start new training", self.start_training, "Ctrl+R")
        self.continue_action = self._action("&Continue training", self.continue_training, "Ctrl+Shift+R")
        self.pause_action = self._action("&Pause / Resume", self.toggle_pause, "Space")
        self.stop_action = self._action("S&top", self.stop_training, "Ctrl+.")
        for action in (self.start_action, self.continue_action, self.pause_action, self.stop_action):
            train_menu.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About convae-explorer", self._show_about))

    def _build_status_bar(self) -> None:
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setTextVisible(True)
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
        self.latent.pointClicked.connect(self._on_point_clicked)
        self.hover.decoded.connect(self._on_decoded)

    # ----- settings -----------------------------------------------------------------------------------------
    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        for name in ("top_splitter", "bottom_splitter", "main_splitter"):
            state = self.settings.value(f"window/{name}")
            if state is not None:
                getattr(self, name).restoreState(state)
        self.controls.restore(self.settings)
        log_scale = self.settings.value("loss/log_scale")
        self.loss.log_box.setChecked(str(log_scale).lower() == "true")

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        for name in ("top_splitter", "bottom_splitter", "main_splitter"):
            self.settings.setValue(f"window/{name}", getattr(self, name).saveState())
        self.controls.save(self.settings)
        self.settings.setValue("loss/log_scale", self.loss.log_box.isChecked())
        self.settings.sync()

    @Slot(list)
    def _on_backend_loaded(self, devices: list) -> None:
        import torch

        # This thread only decodes single images for the hover preview: one torch thread, leaving the cores to
        # the training thread (thread counts are per thread in torch's OpenMP build).
        torch.set_num_threads(1)
        self.controls.add_devices(devices, self.settings)
        # Qt, pyqtgraph and torch are loaded now, ~230,000 objects that live as long as the app. Left to the garbage
        # collector, every full collection walks them all: ~135 ms with the window stalled, here. Frozen, they are
        # never scanned again (what is created from now on still is).
        gc.freeze()

    @Slot(str)
    def _on_backend_failed(self, message: str) -> None:
        self._warn("The training engine could not be loaded", f"{message}\nSee the log file for details.")

    # ----- training -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Busy from Train (or Open) until the finished thread has been handed back to the window."""
        return self.runner.thread is not None

    @Slot()
    def start_training(self) -> None:
        if self.running:
            return
        try:
            config = self.controls.train_config()
        except ValueError as error:
            self._warn("Invalid setting", str(error))
            return
        name, latent_dim = self.controls.dataset_name, self.controls.latent_dim.value()

        def factory(notify: Callable[[str], None]) -> Trainer:
            from core.engine import Trainer

            dataset = load_with_fallback(name, notify)
            return Trainer(dataset, config, ModelConfig(latent_dim, dataset.channels, dataset.image_size))

        self.loss.clear()
        self.latent.reset_view()
        self._start(factory, train=True)
        self.statusBar().showMessage(f"Loading {dataset_title(name)}…")

    @Slot()
    def continue_training(self) -> None:
        """Train the current model further, up to the epochs set in the controls; the loss curve carries on."""
        if self.running or not self.can_continue:
            return
        previous, epochs = self.trainer, self.controls.epochs.value()
        if epochs <= previous.progress.epoch:
            self._warn(
                "Nothing to continue",
                f"The model has already trained {previous.progress.epoch} epochs. "
                "Raise the number of epochs to train it further.",
            )
            return
        from core.checkpoint import Checkpoint

        checkpoint = Checkpoint.from_trainer(previous)
        device = self.controls.device.currentData()

        def factory(notify: Callable[[str], None]) -> Trainer:
            return checkpoint.resume(previous.dataset, epochs=epochs, device=device)

        self._start(factory, train=True)
        self.statusBar().showMessage(f"Continuing from epoch {previous.progress.epoch} to {epochs}…")

    @property
    def can_continue(self) -> bool:
        """A model trained here, or opened together with the data it was trained on, can train further."""
        return self.trainer is not None and self.trainer.dataset.name == self._trained_on

    def _start(self, factory: Callable, train: bool) -> TrainingWorker:
        self.trainer = None
        self._paused = False
        self.notice.hide()
        worker = self.runner.start(factory, train)
        worker.ready.connect(self._on_ready)
        worker.progress.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch_end)
        worker.snapshotReady.connect(self._on_snapshot)
        worker.notice.connect(self._on_notice)
        worker.ended.connect(self._on_ended)
        worker.saved.connect(self._on_saved)
        worker.saveFailed.connect(self._on_save_failed)
        worker.failed.connect(self._on_failed)
        self.runner.thread.finished.connect(self._on_thread_finished)
        self._set_running(True)
        return worker

    @Slot()
    def toggle_pause(self) -> None:
        if not self.running:
            return
        self._paused = not self._paused
        if self._paused:
            self.runner.pause()
            self.statusBar().showMessage("Paused. Press Space or Resume to continue.")
        else:
            self.runner.resume()
            self.statusBar().showMessage("Training resumed.")
        self.controls.set_running(True, self._paused)

    @Slot()
    def stop_training(self) -> None:
        if self.running:
            self.runner.stop()
            self.statusBar().showMessage("Stopping after the current step…")

    def _set_running(self, running: bool) -> None:
        self.controls.set_can_continue(not running and self.can_continue)
        self.controls.set_running(running, self._paused)
        self.continue_action.setEnabled(not running and self.can_continue)
        self.start_action.setEnabled(not running)
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)
        self.open_action.setEnabled(not running)

    @Slot(object)
    def _on_ready(self, trainer: Trainer) -> None:
        self.loss.set_batches_per_epoch(trainer.batches_per_epoch)
        self.loss.set_run_length(max(trainer.batches_per_epoch * trainer.config.epochs, len(self.loss.losses)))
        self.progress_bar.setRange(0, trainer.batches_per_epoch * trainer.config.epochs)
        self.progress_bar.setValue(trainer.progress.step)
        if self.runner.worker is not None and self.runner.worker.trains:
            self.statusBar().showMessage(
                f"Training on {dataset_title(trainer.dataset.name)} ({len(trainer.dataset.train):,} images) "
                f"on {trainer.device}…"
            )
        self._pending_trainer = trainer
        self._run_start_step = trainer.progress.step
        if self.runner.worker is not None and self.runner.worker.trains:
            self._trained_on = trainer.dataset.name

    @Slot(object)
    def _on_progress(self, update: ProgressUpdate) -> None:
        self.loss.append(update.losses)
        last = update.last
        total = last.batches_per_epoch * update.epochs
        self.progress_bar.setValue(last.step)
        rate = last.images_seen / max(last.elapsed_s, 1e-9)
        eta = (total - last.step) * (last.images_seen / max(1, last.step - self._run_start_step)) / max(rate, 1e-9)
        self.progress_label.setText(
            f"Epoch {last.epoch + 1}/{update.epochs} · batch {last.batch}/{last.batches_per_epoch} · "
            f"{rate:,.0f} img/s · elapsed {format_duration(last.elapsed_s)} · ETA {format_duration(eta)}"
        )

    @Slot(object)
    def _on_epoch_end(self, event: EpochEnd) -> None:
        self.loss.mark_epoch(event.epoch + 1)
        self.statusBar().showMessage(
            f"Epoch {event.epoch + 1}/{event.epochs} done: mean MSE {event.mean_loss:.4f} ({event.seconds:.1f} s)"
        )

    @Slot(object)
    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.plane = fit_plane(snapshot.codes)
        xy = self.plane.to_plane(snapshot.codes)
        self.latent.show_points(xy, snapshot.labels, snapshot.classes, self.plane)
        self.hover.set_snapshot(snapshot, self.plane)
        where = f"step {snapshot.step:,} (epoch {snapshot.epoch:.2f})"
        pca = " — first two principal components" if self.plane.is_pca else ""
        self.latent.set_caption(
            f"{len(xy):,} images encoded at {where}{pca}. Hover to decode, click a point to "
            "inspect it, drag to pan, wheel to zoom."
        )
        self.preview.show_snapshot_info(f"Decoder and points from {where}")
        if output_collapsed(snapshot) and not self.notice.isVisible():
            self._on_notice(
                f"Every image now decodes to the same picture: the network has collapsed and is no longer learning. "
                f"The learning rate ({self.controls.lr.value():g}) is probably too high: stop, and train again "
                "with a smaller one (the lecture used 0.0005)."
            )
        self.grids.show_rows(
            snapshot.originals, snapshot.reconstructions, f"Each original above its reconstruction, at {where}"
        )

    @Slot(str)
    def _on_notice(self, text: str) -> None:
        """Notices (such as a data-set fallback) stay visible in a banner until the next run starts."""
        self.notice.setText(text)
        self.notice.show()
        self.statusBar().showMessage(text)

    @Slot(object)
    def _on_ended(self, event: TrainingEnded) -> None:
        self.statusBar().showMessage(event.message)
        if event.reason is EndReason.DIVERGED:
            self._warn("Training diverged", event.message)
        self.dirty = True

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._pending_trainer is not None:
            self.trainer, self._pending_trainer = self._pending_trainer, None
        self.runner.shutdown()
        self.loss.flush()
        self._paused = False
        self._set_running(False)
        if self.dirty and self.trainer is not None:
            self._autosave()

    def _autosave(self) -> None:
        from core.checkpoint import Checkpoint, CheckpointError, save_checkpoint

        try:
            save_checkpoint(self.autosave, Checkpoint.from_trainer(self.trainer))
        except CheckpointError as error:
            self.statusBar().showMessage(f"{self.statusBar().currentMessage()}  (Autosave failed: {error})")
            return
        self.dirty = False
        self.statusBar().showMessage(f"{self.statusBar().currentMessage()}  Saved automatically to {self.autosave}.")

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        from explorer.app import show_error

        show_error(self, "Something went wrong", message, details)
        self.statusBar().showMessage(f"Error: {message}")

    # ----- hover and click ----------------------------------------------------------------------------------
    @Slot(object, float, float, object)
    def _on_decoded(self, image: np.ndarray, x: float, y: float, latent: np.ndarray) -> None:
        self.preview.show_decoded(image, (x, y), latent, self.plane is not None and self.plane.is_pca)

    @Slot(int)
    def _on_point_clicked(self, index: int) -> None:
        snapshot = self.snapshot
        if snapshot is None or index >= len(snapshot.codes):
            return
        import torch

        with torch.inference_mode():
            reconstruction = snapshot.decoder(torch.from_numpy(snapshot.codes[index : index + 1])).numpy()[0]
        label = snapshot.classes[int(snapshot.labels[index])]
        code = ", ".join(f"{v:+.2f}" for v in snapshot.codes[index][:6])
        more = ", …" if len(snapshot.codes[index]) > 6 else ""
        self.preview.show_picked(
            snapshot.display_images[index], reconstruction, f"Label: {label}  ·  image #{index}\nz = ({code}{more})"
        )

    # ----- files --------------------------------------------------------------------------------------------
    def _ask_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open checkpoint", self._last_folder(), "Checkpoints (*.safetensors);;All files (*)"
        )
        if path:
            self.open_checkpoint(Path(path))

    def open_checkpoint(self, path: Path) -> bool:
        """Show a saved model: its latent space, reconstructions and loss history. The current model stays on error."""
        if self.running:
            self._warn("Training in progress", "Stop training before opening another model.")
            return False
        from core.checkpoint import CheckpointError, load_checkpoint
        from core.engine import Trainer

        try:
            checkpoint = load_checkpoint(path)
        except CheckpointError as error:
            self._warn("Cannot open checkpoint", str(error))
            return False
        self.settings.setValue("files/last_folder", str(Path(path).parent))

        def factory(notify: Callable[[str], None]) -> Trainer:
            dataset = load_with_fallback(checkpoint.dataset, notify)
            if dataset.name == checkpoint.dataset:
                return checkpoint.resume(dataset)
            return Trainer(
                dataset,
                checkpoint.train_config,
                checkpoint.model_config,
                model_state=checkpoint.model_state,
                progress=checkpoint.progress,
            )

        self.dirty = False
        self._trained_on = checkpoint.dataset
        self.controls.show_run_settings(checkpoint.dataset, checkpoint.model_config.latent_dim, checkpoint.train_config)
        self.latent.reset_view()
        batches = (
            max(1, round(checkpoint.progress.step / max(1, checkpoint.progress.epoch)))
            if checkpoint.progress.epoch
            else self.loss.batches_per_epoch
        )
        self.loss.set_batches_per_epoch(batches)
        self.loss.set_history(checkpoint.progress.batch_losses, checkpoint.progress.epoch)
        self._start(factory, train=False)
        progress = checkpoint.progress
        self.progress_label.setText(
            f"Opened model: {progress.epoch} of {checkpoint.train_config.epochs} epochs, {progress.step:,} steps"
        )
        self.statusBar().showMessage(
            f"Opened {Path(path).name}: {checkpoint.dataset}, latent size "
            f"{checkpoint.model_config.latent_dim}, {checkpoint.progress.epoch} epochs trained."
        )
        return True

    def _ask_save(self) -> None:
        if self.trainer is None and not self.running:
            self._warn("Nothing to save", "Train a model or open a checkpoint first.")
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Save checkpoint", self._last_folder("convae.safetensors"), "Checkpoints (*.safetensors)"
        )
        if path:
            self.save_checkpoint_to(Path(path).with_suffix(".safetensors"))

    def save_checkpoint_to(self, path: Path) -> None:
        """Save now (idle) or between two steps (training: the worker writes it, the window stays responsive)."""
        self.settings.setValue("files/last_folder", str(path.parent))
        if self.running and self.runner.worker is not None:
            self.runner.worker.request_save(path)
            self.statusBar().showMessage(f"Saving {path.name} after the current step…")
            return
        if self.trainer is None:
            self._warn("Nothing to save", "Train a model or open a checkpoint first.")
            return
        from core.checkpoint import Checkpoint, CheckpointError, save_checkpoint

        try:
            save_checkpoint(path, Checkpoint.from_trainer(self.trainer))
        except CheckpointError as error:
            self._on_save_failed(str(error))
            return
        self._on_saved(str(path))

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        if not self.running:
            self.dirty = False
        self.statusBar().showMessage(f"Saved {path}")

    @Slot(str)
    def _on_save_failed(self, message: str) -> None:
        self._warn("Could not save", message)

    def _ask_export_plot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export latent plot", self._last_folder("latent-space.png"), "PNG images (*.png)"
        )
        if path:
            self.export_latent_png(Path(path).with_suffix(".png"))

    def export_latent_png(self, path: Path) -> None:
        from pyqtgraph.exporters import ImageExporter

        try:
            exporter = ImageExporter(self.latent.plot.getPlotItem())
            exporter.parameters()["width"] = max(1200, int(self.latent.plot.width()))
            image = exporter.export(toBytes=True)
            if image is None or not image.save(str(path)):
                raise OSError("the image could not be written")
        except (OSError, RuntimeError) as error:
            self._warn("Could not export", f"{path}: {error}")
            return
        self.statusBar().showMessage(f"Exported the latent plot to {path}")

    def _ask_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export loss", self._last_folder("loss.csv"), "CSV files (*.csv)")
        if path:
            self.export_loss_csv(Path(path).with_suffix(".csv"))

    def export_loss_csv(self, path: Path) -> None:
        try:
            write_atomically(path, self.loss.to_csv().encode())
        except FileWriteError as error:
            self._warn("Could not export", str(error))
            return
        self.statusBar().showMessage(f"Exported {len(self.loss.losses):,} losses to {path}")

    def _last_folder(self, name: str = "") -> str:
        folder = Path(str(self.settings.value("files/last_folder", str(Path.home()))))
        return str(folder / name)

    # ----- messages and lifecycle ---------------------------------------------------------------------------
    def _warn(self, title: str, text: str) -> None:
        """A non-blocking warning: the window (and any test driving it) keeps running."""
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.last_message = (title, text)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0]}")

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About convae-explorer",
            f"<b>convae-explorer {__version__}</b><p>Train a convolutional autoencoder while you watch, then explore "
            "what it learned by moving the mouse through its latent space.</p><p>Network: the convolutional "
            "autoencoder of Sebastian Raschka's lecture L16. Built-in digits: 5,000 MNIST images "
            "(LeCun, Cortes, Burges; CC BY-SA 3.0).</p>",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the worker, wait for its thread, keep the model (autosave) and the layout, then close."""
        was_training = self.running and self.runner.worker is not None and self.runner.worker.trains
        self.runner.shutdown()
        if self._pending_trainer is not None:
            self.trainer, self._pending_trainer = self._pending_trainer, None
        self.dirty = self.dirty or was_training
        if self.dirty and self.trainer is not None:
            self._autosave()
        self._save_state()
        self.preloader.wait()
        event.accept()
