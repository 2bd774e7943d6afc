"""Runs core's engine in a QThread and turns its events into a few Qt signals a second.

Stop and pause are flags the engine polls (a queued slot would never run while the loop trains).
Per-batch events are buffered and emitted at most a few times a second so the GUI never floods (the pace
is 30, or 10 where CPU training takes every core: core.training.pacing).
Only plain records cross to the window: RunInfo, ProgressUpdate, SnapshotView, the events; the model comes back
as a ModelAtRest once the thread is done.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.events import BatchEnd, EpochEnd, LivePoints, Snapshot, TrainingEnded
from core.training.control import TrainingControl
from core.training.pacing import FULL
from core.training.progress import RunProgress

if TYPE_CHECKING:
    from core.runs.records import ModelAtRest
    from core.runs.start import PreparedRun

log = logging.getLogger(__name__)

#: Builds the run inside the worker thread (loading data and files can be slow) from two functions: one it may report
#: notices to, and the run's stop flag (core.runs.start.Stopped) to hand to core's loaders, so an image folder's walk
#: and decode end (LoadStopped) as soon as Stop or the close asks.
RunFactory = Callable[[Callable[[str], None], Callable[[], bool]], "PreparedRun"]


@dataclass(frozen=True)
class ProgressUpdate:
    """The batches since the last update, and where training stands."""

    losses: np.ndarray
    last: BatchEnd
    progress: RunProgress
    parts: np.ndarray | None = None  # a VAE's (reconstruction, KL) per batch, N×2; None for an autoencoder


#: How much nicer than the window the training threads are (Linux): enough that the window's thread gets a core
#: the moment it wakes (a 2-core machine otherwise keeps it waiting behind both training threads), while training
#: still has every core the window leaves idle.
TRAINING_NICENESS = 5


def yield_cores_to_the_window() -> None:
    """Raise the calling thread's nice value (threads it starts inherit it); a no-op where that is unsupported."""
    if not sys.platform.startswith("linux"):
        return
    try:
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + TRAINING_NICENESS)
        thread = threading.get_native_id()  # on Linux a thread id addresses just that thread
        if os.getpriority(os.PRIO_PROCESS, thread) < target:
            os.setpriority(os.PRIO_PROCESS, thread, target)
    except OSError as error:
        log.info("could not lower the training thread's priority: %s", error)


def _is_refusal(error: Exception) -> bool:
    """An error whose message is for the user (a bad file, missing data, an impossible setting), not a bug."""
    from core.data.datasets import DatasetError
    from core.files.checkpoint import CheckpointError

    return isinstance(error, CheckpointError | DatasetError | ValueError)


@dataclass(frozen=True)
class LiveUpdate:
    """Display points encoded since the last full snapshot (core.events.LivePoints), placed on that snapshot's view
    plane."""

    step: int
    epoch: float
    indices: np.ndarray  # positions in the display set
    xy: np.ndarray  # (M, 2) on the plane of the snapshot at `plane_step`
    plane_step: int


@dataclass
class RunOutcome:
    model: ModelAtRest | None = None
    autosaved: Path | None = None  # where the trained model was saved automatically
    autosave_error: str | None = None  # why it could not be


class TrainingWorker(QObject):
    ready = Signal(object)  # RunInfo, once the run is built
    progress = Signal(object)  # ProgressUpdate
    epochEnded = Signal(object)
    viewReady = Signal(object)  # SnapshotView, built here from each snapshot
    historyChanged = Signal(object)  # HistoryFrames: the run's recorded frames so far (core.timelapse.recording)
    livePoints = Signal(object)  # LiveUpdate: some of the points moved between two snapshots
    notice = Signal(str)
    ended = Signal(object)  # TrainingEnded
    saved = Signal(str)
    saveFailed = Signal(str)
    refused = Signal(str)  # the run could not begin, for a reason the message states
    failed = Signal(str, str)  # an unexpected error: message, traceback
    finished = Signal()

    def __init__(
        self,
        factory: RunFactory,
        train: bool,
        control: TrainingControl,
        autosave_to: Path | None = None,
    ) -> None:
        super().__init__()
        self._factory, self._train, self.control = factory, train, control
        self._autosave_to = autosave_to
        # what the host can spare (core.training.pacing): FULL's rate until the run is known
        self._interval = 1.0 / FULL.progress_hz
        self._pending_losses: list[float] = []
        self._pending_parts: list[tuple[float, float]] = []
        self._last_batch: BatchEnd | None = None
        self._last_emit = 0.0
        self._save_request: Path | None = None
        self._epochs = 0
        self._start_step = 0
        self._recorder = None  # core.timelapse.recording.HistoryRecorder, made with the run
        self._live_view = None  # the last SnapshotView sent: live points go on its plane
        #: Where the model goes once the run is over: a plain object the runner keeps, read after the thread has
        #: ended (the join orders it), since the worker itself is deleted with its thread.
        self.outcome = RunOutcome()

    @property
    def trains(self) -> bool:
        return self._train

    def request_save(self, path: Path) -> None:
        """Ask for a checkpoint between two steps (thread-safe: a single reference assignment)."""
        self._save_request = Path(path)

    @Slot()
    def run(self) -> None:
        from core.data.datasets import LoadStopped  # with torch, in the thread: the window opens without it

        yield_cores_to_the_window()
        trainer = None
        try:
            from core.runs.records import describe_run, model_at_rest

            prepared = self._build_run()
            # a model opened to be shown is checked before the window hears of it: a refusal then leaves the window
            # with the model it had (training overflows show in the loss, and the user stops them)
            opened = None if self._train else _finite_snapshot(prepared.trainer)
            trainer = prepared.trainer
            self._epochs, self._start_step = trainer.config.epochs, trainer.progress.step
            info = describe_run(trainer, prepared.trained_on)
            self._interval = 1.0 / info.pacing.progress_hz
            self.ready.emit(info)
            self._recorder = _recorder_for(prepared)
            if opened is not None:
                self._show(opened)
            else:
                pacing = info.pacing
                events = trainer.run(
                    self.control, live_every_s=pacing.live_points_s, live_budget=pacing.live_points_budget
                )
                for event in events:
                    self._dispatch(event)
                    if self._save_request is not None:
                        self._save(trainer)
                self._flush()
            self.outcome.model = model_at_rest(trainer, self._history())
            if self._train and trainer.progress.step > self._start_step:
                self._autosave(self.outcome)
        except LoadStopped:
            # Stop (or the close) during the load: the user asked for it, so no dialog; nothing trained, nothing saved
            log.info("run stopped while its data loaded")
            self.notice.emit("Stopped while loading the data: nothing was trained.")
        except Exception as error:
            if trainer is None and _is_refusal(error):
                log.info("run refused: %s", error)
                self.refused.emit(str(error))
            else:
                log.exception("training worker failed")
                self.failed.emit(f"{type(error).__name__}: {error}", traceback.format_exc())
                self._keep_after_failure(trainer)
        finally:
            self.finished.emit()

    def _build_run(self) -> PreparedRun:
        """The factory's run, given the stop flag: a folder's load obeys Stop and the close (without it a load of
        thousands of files, or a blocked read, would hold the close until it ends)."""
        control = self.control
        return self._factory(self.notice.emit, lambda: control.stop_requested)

    def _history(self):
        history = self._recorder.history if self._recorder is not None else None
        return history if history is not None and len(history) else None

    def _show(self, snapshot: Snapshot) -> None:
        """Record the snapshot as a frame (while training) and send its view: core chooses the plane (the frame's
        aligned one), as it does for `render` and `export` of the same model, and prepares the meter here."""
        from core.timelapse.views import view_for

        recorder = self._recorder
        if recorder is not None and self._train:
            recorder.consume(snapshot)
        view = view_for(snapshot, recorder.history if recorder is not None else None)
        self._live_view = view
        self.viewReady.emit(view)
        frozen = recorder.history.frozen() if recorder is not None else None
        if frozen is not None and len(frozen):
            self.historyChanged.emit(frozen)

    def _move_points(self, event: LivePoints) -> None:
        view = self._live_view
        if view is None:
            return
        xy = view.plane.to_plane(event.codes)
        self.livePoints.emit(LiveUpdate(event.step, event.epoch, event.indices, xy, view.snapshot.step))

    def _dispatch(self, event: object) -> None:
        if isinstance(event, BatchEnd):
            if self._recorder is not None:
                self._recorder.consume(event)  # the loss each frame is recorded with
            self._pending_losses.append(event.loss)
            if event.kl is not None:
                self._pending_parts.append((event.reconstruction, event.kl))
            self._last_batch = event
            # flush on time, or at once when the engine is about to wait (pause/stop): nothing stays unshown
            if (
                time.perf_counter() - self._last_emit >= self._interval
                or self.control.paused
                or self.control.stop_requested
            ):
                self._flush()
            return
        self._flush()
        if isinstance(event, Snapshot):
            self._show(event)
        elif isinstance(event, LivePoints):
            self._move_points(event)
        elif isinstance(event, EpochEnd):
            self.epochEnded.emit(event)
        elif isinstance(event, TrainingEnded):
            self.ended.emit(event)

    def _flush(self) -> None:
        if self._pending_losses and self._last_batch is not None:
            where = RunProgress.after(self._last_batch, self._epochs, self._start_step)
            parts = np.array(self._pending_parts, np.float64) if self._pending_parts else None
            self.progress.emit(ProgressUpdate(np.array(self._pending_losses), self._last_batch, where, parts))
            self._pending_losses, self._pending_parts = [], []
        self._last_emit = time.perf_counter()

    def _keep_after_failure(self, trainer) -> None:
        """An unexpected error mid-run: keep the weights trained so far, as a finished run would."""
        if trainer is None or not self._train or trainer.progress.step <= self._start_step:
            return
        try:
            from core.runs.records import model_at_rest

            self.outcome.model = model_at_rest(trainer, self._history())
            self._autosave(self.outcome)
        except Exception:
            log.exception("could not keep the model after the failure")

    def _autosave(self, outcome: RunOutcome) -> None:
        """Keep the trained model in its own file before the thread ends (on close too: the window waits for it)."""
        from core.files.autosave import prune
        from core.files.checkpoint import CheckpointError, save_checkpoint

        if self._autosave_to is None:
            return
        try:
            save_checkpoint(self._autosave_to, outcome.model.checkpoint)
        except CheckpointError as error:
            log.warning("autosave failed: %s", error)
            outcome.autosave_error = str(error)
            return
        outcome.autosaved = self._autosave_to
        removed = prune(self._autosave_to.parent)
        if removed:
            log.info("pruned old autosaves: %s", ", ".join(p.name for p in removed))

    def _save(self, trainer) -> None:
        from core.files.checkpoint import Checkpoint, CheckpointError, save_checkpoint

        path, self._save_request = self._save_request, None
        try:
            save_checkpoint(path, Checkpoint.from_trainer(trainer, self._history()))
        except CheckpointError as error:
            self.saveFailed.emit(str(error))
        else:
            self.saved.emit(str(path))


def _finite_snapshot(trainer) -> Snapshot:
    """The opened model's first snapshot, when its codes are finite numbers; NotFiniteError (a refusal, in words)
    otherwise: weights that are finite but huge (3e38) overflow in the encoder, and NaN codes would be drawn as an
    empty plot, or break the plane's fit, with nothing saying why."""
    from core.model.finite import require_finite

    snapshot = trainer.snapshot()
    require_finite(snapshot.codes, "the codes this model gives its display images")
    return snapshot


def _recorder_for(prepared: PreparedRun):
    """A recorder that carries on the prepared run's history (an opened or continued model's), or a new one."""
    from core.timelapse.recording import HistoryRecorder, RunHistory

    history = prepared.history.copy() if prepared.history is not None else RunHistory()
    return HistoryRecorder(history, prepared.trainer.model_config)


class TrainingRunner(QObject):
    """Owns one worker thread at a time: start, pause, resume, stop, and a clean shutdown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.outcome = RunOutcome()
        self.control = TrainingControl()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(
        self,
        factory: RunFactory,
        train: bool,
        autosave_to: Path | None = None,
        listen: Callable[[TrainingWorker, QThread], None] | None = None,
    ) -> TrainingWorker:
        """Start a worker thread on `factory`'s run. `listen` connects to the worker and thread before the thread
        starts: a run that fails at once (a factory that raises) emits `failed` before start() returns, and a
        connection made after that would never hear of it."""
        if self.running:
            raise RuntimeError("a run is already in progress")
        self.shutdown()
        self.control = TrainingControl()
        thread = QThread()
        worker = TrainingWorker(factory, train, self.control, autosave_to)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)
        self.thread, self.worker, self.outcome = thread, worker, worker.outcome
        if listen is not None:
            listen(worker, thread)
        thread.start()
        return worker

    def shutdown(self, timeout_ms: int = 60_000) -> RunOutcome | None:
        """Stop the run and wait for its thread to end (never terminate()); return what it left, once."""
        if self.thread is None:
            return None
        self.control.stop()
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            return None
        self.thread.deleteLater()
        self.thread, self.worker = None, None
        return self.outcome
