"""One home for a run: the runner and its thread, the run's record, the current snapshot view, flags and files.

The window lays out panels and wires them to this object's signals; it never sees a Trainer or a model. Everything
here crosses from the worker thread as a plain record (RunInfo, ProgressUpdate, SnapshotView, ModelAtRest).
Which view is shown (live, or a recorded frame) is its ShownView's decision (explorer.training.shown_view); file
writes are BackgroundTasks (explorer.utils.tasks), which the window's close joins.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.events import EndReason, EpochEnd, TrainingEnded
from core.settings import TrainConfig, dataset_short_title, dataset_title
from core.training.loss_history import LossHistory
from core.training.progress import plural
from explorer.training.shown_view import ShownView
from explorer.training.worker import ProgressUpdate, RunFactory, TrainingRunner, TrainingWorker
from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.runs.records import ModelAtRest, RunInfo

log = logging.getLogger(__name__)


class RunSession(QObject):
    busyChanged = Signal(bool)  # a worker thread is busy (training, or loading a model to show)
    pausedChanged = Signal(bool)
    fileChanged = Signal(object)  # the file the current model was opened from or last saved to (None: not yet)
    runReady = Signal(object)  # RunInfo: a new run's panels can be laid out
    lossesChanged = Signal(object)  # the whole loss history (read-only numpy view)
    lossPartsAdded = Signal(object)  # a VAE's new (reconstruction, KL) rows, N×2 (explorer.vae.views keeps them)
    progressed = Signal(object)  # RunProgress
    epochEnded = Signal(object)  # EpochEnd
    historyChanged = Signal(object)  # HistoryFrames: the run's recorded frames (core.timelapse.recording)
    livePoints = Signal(object)  # LiveUpdate: points moved between two snapshots (explorer.training.worker)
    notice = Signal(str)  # for a banner that stays until the next run
    #: "every image decodes to the same picture", judged at every view: its text while it holds, None once not
    collapseChanged = Signal(object)
    status = Signal(str)  # for the status bar
    warning = Signal(str, str)  # title, text
    error = Signal(str, str, str)  # title, message, details

    def __init__(self, autosave_dir: Path, tasks: BackgroundTasks, parent: QObject | None = None) -> None:
        """`tasks` runs this run's file writes (saves, the loss CSV): the window's close joins them."""
        super().__init__(parent)
        self.tasks = tasks
        self.autosave_dir = autosave_dir
        #: This model's own autosave file: a new run gets a new one, a continued run keeps its model's.
        self.autosave_file: Path | None = None
        self.autosave_error: str | None = None  # why the last autosave failed, until the model is saved
        self.runner = TrainingRunner(self)
        self.info: RunInfo | None = None
        self.model: ModelAtRest | None = None  # the model between runs (None while one runs)
        self.shown = ShownView(self)  # which view the panels show: the live one, or a recorded frame
        self.history = LossHistory()
        self.current_file: Path | None = None
        self.dirty = False  # a trained model not written anywhere (its autosave failed and it was not saved)
        self._pending_autosave: Path | None = None
        self._refusal_title = ""
        self._opened: Path | None = None  # the file being opened, for messages
        self._collapse_shown: str | None = None
        self._wanted_save: Path | None = None  # a save asked of the training worker that it has not done yet
        self._last_status = ""  # what the status bar says now: the autosave note is added to it
        self.status.connect(self._remember_status)

    # ----- state ------------------------------------------------------------------------------------------------
    @property
    def view(self) -> SnapshotView | None:
        """The view every panel shows now (the shown view's)."""
        return self.shown.view

    @property
    def viewChanged(self):
        """The shown view's one signal (ShownView.changed), reached through the session for its listeners."""
        return self.shown.changed

    @property
    def running(self) -> bool:
        """Busy from Train (or Open) until the finished thread has been handed back."""
        return self.runner.thread is not None

    @property
    def training(self) -> bool:
        return self.running and self.runner.worker is not None and self.runner.worker.trains

    @property
    def _loss_word(self) -> str:
        return "loss" if self.info is not None and self.info.model_config.variational else "MSE"

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
    def start_new(self, dataset: str, latent_dim: int, config: TrainConfig, model: dict | None = None) -> None:
        """A new run; `model` holds ModelConfig's kind and beta (an autoencoder when None)."""

        def factory(notify, stopped):
            from core.runs.start import new_run

            return new_run(dataset, latent_dim, config, notify, stopped=stopped, **(model or {}))

        if self._start(factory, train=True, refusal_title="Cannot train", autosave_to=self._new_autosave_file()):
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

        def factory(_notify, _stopped):  # the model is in memory: nothing to load, nothing to stop
            from core.runs.start import continued_run

            return continued_run(model, epochs, device)

        autosave_to = self.autosave_file or self._new_autosave_file()
        if self._start(factory, train=True, refusal_title="Cannot continue", autosave_to=autosave_to):
            self.status.emit(f"Continuing from epoch {model.epoch} to {epochs}…")

    def open(self, path: Path) -> bool:
        """Show a saved model (read in the worker thread); the current model stays if the file is refused."""
        if self.running:
            self.warning.emit("Training in progress", "Stop training before opening another model.")
            return False
        path = Path(path)

        def factory(notify, stopped):
            from core.runs.start import opened_run

            return opened_run(path, notify, stopped)

        if not self._start(factory, train=False, refusal_title="Cannot open checkpoint", opened=path):
            return False
        self.status.emit(f"Opening {path.name}…")
        return True

    def open_own(self, source, weights: Path, dataset: str) -> bool:
        """Show weights trained elsewhere in the user's own module (`source`, a core.settings.ModelSource the user
        agreed to run): core makes them a checkpoint of ours (core.runs.own_model) in the worker thread, then opens
        it as any saved model; a module or weights that do not fit are refused with core's message."""
        if self.running:
            self.warning.emit("Training in progress", "Stop training before opening another model.")
            return False

        def factory(notify, stopped):
            from core.runs.own_model import own_model_checkpoint
            from core.runs.start import opened_run

            return opened_run(own_model_checkpoint(source, weights, dataset), notify, stopped)

        if not self._start(factory, train=False, refusal_title="Cannot open your model"):
            return False
        self.status.emit(f"Opening your model {source.label} with {Path(weights).name}…")
        return True

    def _new_autosave_file(self) -> Path:
        from core.files.autosave import new_autosave_path

        return new_autosave_path(self.autosave_dir)

    def _start(
        self,
        factory: RunFactory,
        train: bool,
        refusal_title: str,
        opened: Path | None = None,
        autosave_to: Path | None = None,
    ) -> bool:
        if self.running:
            return False
        self._refusal_title, self._opened = refusal_title, opened
        self._pending_autosave = autosave_to
        self.runner.start(factory, train, autosave_to, listen=self._listen)
        self.busyChanged.emit(True)
        return True

    def _listen(self, worker: TrainingWorker, thread: QThread) -> None:
        """The session's connections to a new worker, made before its thread starts (TrainingRunner.start)."""
        worker.ready.connect(self._on_ready)
        worker.progress.connect(self._on_progress)
        worker.epochEnded.connect(self._on_epoch_end)
        worker.viewReady.connect(self._on_view)
        worker.historyChanged.connect(self.historyChanged)
        worker.livePoints.connect(self.livePoints)
        worker.notice.connect(self.notice)
        worker.ended.connect(self._on_ended)
        worker.saved.connect(self._on_saved)
        worker.saveFailed.connect(self._on_save_failed)
        worker.refused.connect(self._on_refused)
        worker.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)

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

    def shutdown(self) -> str | None:
        """Stop and wait for the thread (window closing: the worker autosaves what it trained before it ends).

        Returns why the model could not be kept, if it could not: the window then offers to save it elsewhere.
        """
        self._take_outcome(self.runner.shutdown())
        return self.autosave_error if self.dirty else None

    @Slot(str)
    def _remember_status(self, text: str) -> None:
        self._last_status = text

    # ----- from the worker --------------------------------------------------------------------------------------
    @Slot(object)
    def _on_ready(self, info: RunInfo) -> None:
        self.info, self.model = info, None
        self.shown.reset()
        # the file this model autosaves to from now on: its run's own, or none for a model opened from a file
        self.autosave_file = self._pending_autosave if self.training else None
        self.history = LossHistory(info.losses)
        self._collapse_shown = None
        self.current_file = None if self.training else self._opened
        self.fileChanged.emit(self.current_file)
        self.runReady.emit(info)
        self.lossesChanged.emit(self.history.values)
        if self.training:
            self.status.emit(
                f"Training on {dataset_title(info.dataset)} ({info.train_images:,} images) on {info.device}…"
            )
        elif self._opened is not None:
            self.status.emit(
                f"Opened {self._opened.name}: {info.model_config.describe()} "
                f"on {dataset_short_title(info.trained_on)}, latent size {info.model_config.latent_dim}."
            )

    @Slot(object)
    def _on_progress(self, update: ProgressUpdate) -> None:
        self.history.extend(update.losses)
        self.lossesChanged.emit(self.history.values)
        if update.parts is not None:
            self.lossPartsAdded.emit(update.parts)
        self.progressed.emit(update.progress)

    @Slot(object)
    def _on_epoch_end(self, event: EpochEnd) -> None:
        self.epochEnded.emit(event)
        self.status.emit(
            f"Epoch {event.epoch + 1}/{event.epochs} done: mean {self._loss_word} {event.mean_loss:.4f} "
            f"({event.seconds:.1f} s)"
        )

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        self.shown.offer_live(view)
        if self.info is None:
            return
        message = (
            "Every image now decodes to the same picture: the network has collapsed and is no longer learning. "
            f"The learning rate ({self.info.config.lr:g}) is probably too high: stop, and train again "
            "with a smaller one (the lecture used 0.0005)."
            if view.collapsed
            else None
        )
        if message != self._collapse_shown:
            self._collapse_shown = message
            self.collapseChanged.emit(message)

    @Slot(object)
    def _on_ended(self, event: TrainingEnded) -> None:
        self.status.emit(event.message)
        if event.reason is EndReason.DIVERGED:
            self.warning.emit("Training diverged", event.message)

    @Slot(str)
    def _on_refused(self, message: str) -> None:
        self.warning.emit(self._refusal_title, message)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self.error.emit("Something went wrong", message, details)

    @Slot()
    def _on_thread_finished(self) -> None:
        outcome = self.runner.shutdown()
        self._take_outcome(outcome)
        self.busyChanged.emit(False)
        wanted, self._wanted_save = self._wanted_save, None
        if wanted is not None:  # asked for as the run ended, after the worker's last look: saved from what it left
            self.save(wanted)
        if outcome is not None and outcome.autosave_error is not None:
            self.warning.emit(
                "Autosave failed",
                f"The model could not be saved automatically: {outcome.autosave_error}\n"
                "Save it with File › Save checkpoint before you close the window.",
            )

    def _take_outcome(self, outcome) -> None:
        """What a finished thread left: its model, and where (or why not) it was autosaved."""
        if outcome is None:
            return
        if outcome.model is not None:
            self.model = outcome.model
        if outcome.autosaved is not None:
            self.autosave_file, self.autosave_error, self.dirty = outcome.autosaved, None, False
            self.status.emit(f"{self._last_status}  Saved automatically to {outcome.autosaved}.".strip())
        elif outcome.autosave_error is not None:
            self.autosave_error, self.dirty = outcome.autosave_error, True
            self.status.emit(f"{self._last_status}  (Autosave failed: {outcome.autosave_error})".strip())

    # ----- files ------------------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Save between two steps (training: the worker writes it) or as a background task (idle). The window stays
        responsive either way."""
        if self.running and self.runner.worker is not None and self.training:
            # kept until the worker says it saved: a request that comes as the run ends is saved once it has
            self._wanted_save = Path(path)
            self.runner.worker.request_save(path)
            self.status.emit(f"Saving {path.name} after the current step…")
            return
        checkpoint = self._checkpoint()
        if checkpoint is None:
            return
        self.status.emit(f"Saving {path.name}…")
        self.tasks.run(
            f"saving {path.name}",
            lambda: self._write_checkpoint(path, checkpoint),
            self._on_saved,
            lambda error: self.warning.emit("Could not save", str(error)),
        )

    def save_now(self, path: Path) -> bool:
        """Save on this thread, before returning: for the window's last moments (closing on an unsaved model),
        where a background write could not say in time whether the model is kept. False if it was not."""
        checkpoint = self._checkpoint()
        if checkpoint is None:
            return False
        from core.files.checkpoint import CheckpointError

        try:
            self._write_checkpoint(path, checkpoint)
        except CheckpointError as error:
            self.warning.emit("Could not save", str(error))
            return False
        self._on_saved(path)
        return True

    def _checkpoint(self):
        if self.model is None:
            self.warning.emit("Nothing to save", "Train a model or open a checkpoint first.")
            return None
        return self.model.checkpoint

    @staticmethod
    def _write_checkpoint(path: Path, checkpoint) -> Path:
        from core.files.checkpoint import save_checkpoint

        save_checkpoint(path, checkpoint)
        return path

    def _on_saved(self, path: Path | str) -> None:
        if self._wanted_save == Path(path):
            self._wanted_save = None
        if not self.running:
            self.dirty, self.autosave_error = False, None
            self.current_file = Path(path)
            self.fileChanged.emit(self.current_file)
        self.status.emit(f"Saved {path}")

    @Slot(str)
    def _on_save_failed(self, message: str) -> None:
        self._wanted_save = None
        self.warning.emit("Could not save", message)

    @property
    def losses(self) -> np.ndarray:
        return self.history.values
