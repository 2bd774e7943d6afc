"""One home for a run: the runner and its thread, the run's record, the current snapshot view, flags and files.

The window lays out panels and wires them to this object's signals; it never sees a Trainer or a model. Everything
here crosses from the worker thread as a plain record (RunInfo, ProgressUpdate, SnapshotView, ModelAtRest).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.config import TrainConfig
from core.events import EndReason, EpochEnd, TrainingEnded
from core.files import FileWriteError, write_atomically
from core.history import LossHistory
from core.progress import plural
from explorer.worker import ProgressUpdate, RunFactory, TrainingRunner

if TYPE_CHECKING:
    from core.records import ModelAtRest, RunInfo
    from core.view import SnapshotView

log = logging.getLogger(__name__)


class RunSession(QObject):
    busyChanged = Signal(bool)  # a worker thread is busy (training, or loading a model to show)
    pausedChanged = Signal(bool)
    runReady = Signal(object)  # RunInfo: a new run's panels can be laid out
    lossesChanged = Signal(object)  # the whole loss history (read-only numpy view)
    progressed = Signal(object)  # RunProgress
    epochEnded = Signal(object)  # EpochEnd
    viewChanged = Signal(object)  # SnapshotView
    notice = Signal(str)  # for a banner that stays until the next run
    status = Signal(str)  # for the status bar
    warning = Signal(str, str)  # title, text
    error = Signal(str, str, str)  # title, message, details

    def __init__(self, autosave_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.autosave_path = autosave_path
        self.runner = TrainingRunner(self)
        self.info: RunInfo | None = None
        self.model: ModelAtRest | None = None  # the model between runs (None while one runs)
        self.view: SnapshotView | None = None
        self.history = LossHistory()
        self.dirty = False  # a trained model not yet written anywhere
        self._refusal_title = ""
        self._opened: Path | None = None  # the file being opened, for messages
        self._collapse_told = False
        self._last_status = ""  # what the status bar says now: the autosave note is added to it
        self.status.connect(self._remember_status)

    # ----- state ------------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Busy from Train (or Open) until the finished thread has been handed back."""
        return self.runner.thread is not None

    @property
    def training(self) -> bool:
        return self.running and self.runner.worker is not None and self.runner.worker.trains

    @property
    def paused(self) -> bool:
        return self.running and self.runner.control.paused

    @property
    def can_continue(self) -> bool:
        """A model trained here, or opened together with the data it was trained on, can train further."""
        return (
            not self.running
            and self.model is not None
            and self.info is not None
            and self.model.dataset.name == self.info.trained_on
        )

    # ----- starting runs ----------------------------------------------------------------------------------------
    def start_new(self, dataset: str, latent_dim: int, config: TrainConfig) -> None:
        from core.runs import dataset_title

        def factory(notify):
            from core.runs import new_run

            return new_run(dataset, latent_dim, config, notify)

        if self._start(factory, train=True, refusal_title="Cannot train"):
            self.status.emit(f"Loading {dataset_title(dataset)}…")

    def continue_to(self, epochs: int, device: str) -> None:
        """Train the current model further, up to `epochs`; the loss curve carries on."""
        if not self.can_continue:
            return
        model = self.model
        if epochs <= model.epoch:
            self.warning.emit(
                "Nothing to continue",
                f"The model has already trained {plural(model.epoch, 'epoch')}. "
                "Raise the number of epochs to train it further.",
            )
            return

        def factory(notify):
            from core.runs import continued_run

            return continued_run(model, epochs, device)

        if self._start(factory, train=True, refusal_title="Cannot continue"):
            self.status.emit(f"Continuing from epoch {model.epoch} to {epochs}…")

    def open(self, path: Path) -> bool:
        """Show a saved model (read in the worker thread); the current model stays if the file is refused."""
        if self.running:
            self.warning.emit("Training in progress", "Stop training before opening another model.")
            return False
        path = Path(path)

        def factory(notify):
            from core.runs import opened_run

            return opened_run(path, notify)

        return self._start(factory, train=False, refusal_title="Cannot open checkpoint", opened=path)

    def start_with(self, factory: RunFactory, train: bool, refusal_title: str = "Cannot train") -> bool:
        """Run any factory (the public seam the three starts above share)."""
        return self._start(factory, train, refusal_title)

    def _start(self, factory: RunFactory, train: bool, refusal_title: str, opened: Path | None = None) -> bool:
        if self.running:
            return False
        self._refusal_title, self._opened = refusal_title, opened
        worker = self.runner.start(factory, train)
        worker.ready.connect(self._on_ready)
        worker.progress.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch_end)
        worker.viewReady.connect(self._on_view)
        worker.notice.connect(self.notice)
        worker.ended.connect(self._on_ended)
        worker.saved.connect(self._on_saved)
        worker.saveFailed.connect(self._on_save_failed)
        worker.refused.connect(self._on_refused)
        worker.failed.connect(self._on_failed)
        self.runner.thread.finished.connect(self._on_thread_finished)
        self.busyChanged.emit(True)
        return True

    # ----- steering ---------------------------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if not self.running:
            return
        control = self.runner.control
        if control.paused:
            control.resume()
            self.status.emit("Training resumed.")
        else:
            control.pause()
            self.status.emit("Paused. Press Space or Resume to continue.")
        self.pausedChanged.emit(control.paused)

    def stop(self) -> None:
        if self.running:
            self.runner.control.stop()
            self.status.emit("Stopping after the current step…")

    def shutdown(self) -> None:
        """Stop and wait for the thread (window closing); keep the model, autosaved if it is new."""
        was_training = self.training
        model = self.runner.shutdown()
        if model is not None:
            self.model = model
        self.dirty = self.dirty or was_training
        if self.dirty:
            self.autosave()

    @Slot(str)
    def _remember_status(self, text: str) -> None:
        self._last_status = text

    # ----- from the worker --------------------------------------------------------------------------------------
    @Slot(object)
    def _on_ready(self, info: RunInfo) -> None:
        from core.runs import dataset_title

        self.info, self.model, self.view = info, None, None
        self.history = LossHistory(info.losses)
        self._collapse_told = False
        self.runReady.emit(info)
        self.lossesChanged.emit(self.history.values)
        if self.training:
            self.status.emit(
                f"Training on {dataset_title(info.dataset)} ({info.train_images:,} images) on {info.device}…"
            )
        elif self._opened is not None:
            self.status.emit(
                f"Opened {self._opened.name}: {info.trained_on}, latent size {info.model_config.latent_dim}, "
                f"{plural(info.epochs_done, 'epoch')} trained."
            )

    @Slot(object)
    def _on_progress(self, update: ProgressUpdate) -> None:
        self.history.extend(update.losses)
        self.lossesChanged.emit(self.history.values)
        self.progressed.emit(update.progress)

    @Slot(object)
    def _on_epoch_end(self, event: EpochEnd) -> None:
        self.epochEnded.emit(event)
        self.status.emit(
            f"Epoch {event.epoch + 1}/{event.epochs} done: mean MSE {event.mean_loss:.4f} ({event.seconds:.1f} s)"
        )

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        self.view = view
        self.viewChanged.emit(view)
        if view.collapsed and not self._collapse_told and self.info is not None:
            self._collapse_told = True
            self.notice.emit(
                "Every image now decodes to the same picture: the network has collapsed and is no longer learning. "
                f"The learning rate ({self.info.config.lr:g}) is probably too high: stop, and train again "
                "with a smaller one (the lecture used 0.0005)."
            )

    @Slot(object)
    def _on_ended(self, event: TrainingEnded) -> None:
        self.status.emit(event.message)
        if event.reason is EndReason.DIVERGED:
            self.warning.emit("Training diverged", event.message)
        self.dirty = True

    @Slot(str)
    def _on_refused(self, message: str) -> None:
        self.warning.emit(self._refusal_title, message)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.error.emit("Something went wrong", message, details)

    @Slot()
    def _on_thread_finished(self) -> None:
        model = self.runner.shutdown()
        if model is not None:
            self.model = model
        self.busyChanged.emit(False)
        if self.dirty and self.model is not None:
            self.autosave()

    # ----- files ------------------------------------------------------------------------------------------------
    def autosave(self) -> None:
        if self.model is None:
            return
        from core.checkpoint import CheckpointError, save_checkpoint

        try:
            save_checkpoint(self.autosave_path, self.model.checkpoint)
        except CheckpointError as error:
            self.status.emit(f"{self._last_status}  (Autosave failed: {error})")
            return
        self.dirty = False
        self.status.emit(f"{self._last_status}  Saved automatically to {self.autosave_path}.".strip())

    def save(self, path: Path) -> None:
        """Save now (idle) or between two steps (training: the worker writes it, the window stays responsive)."""
        if self.running and self.runner.worker is not None and self.training:
            self.runner.worker.request_save(path)
            self.status.emit(f"Saving {path.name} after the current step…")
            return
        if self.model is None:
            self.warning.emit("Nothing to save", "Train a model or open a checkpoint first.")
            return
        from core.checkpoint import CheckpointError, save_checkpoint

        try:
            save_checkpoint(path, self.model.checkpoint)
        except CheckpointError as error:
            self._on_save_failed(str(error))
            return
        self._on_saved(str(path))

    @Slot(str)
    def _on_saved(self, path: str) -> None:
        if not self.running:
            self.dirty = False
        self.status.emit(f"Saved {path}")

    @Slot(str)
    def _on_save_failed(self, message: str) -> None:
        self.warning.emit("Could not save", message)

    def export_losses(self, path: Path) -> None:
        info = self.info
        comments = []
        if info is not None:
            c = info.config
            comments = [
                f"convae-explorer loss history: {info.trained_on}, latent size {info.model_config.latent_dim}",
                f"epochs {c.epochs}, batch size {c.batch_size}, learning rate {c.lr:g}, seed {c.seed}",
            ]
        csv = self.history.to_csv(info.batches_per_epoch if info else 1, comments)
        try:
            write_atomically(path, csv.encode())
        except FileWriteError as error:
            self.warning.emit("Could not export", str(error))
            return
        self.status.emit(f"Exported {len(self.history):,} losses to {path}")

    @property
    def losses(self) -> np.ndarray:
        return self.history.values
