"""Runs core's engine in a QThread and turns its events into a few Qt signals a second.

Stop and pause are flags the engine polls (a queued slot would never run while the loop trains).
Per-batch events are buffered and emitted at most `max_rate` times a second so the GUI never floods.
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

from core.control import TrainingControl
from core.events import BatchEnd, EpochEnd, Snapshot, TrainingEnded

if TYPE_CHECKING:
    from core.engine import Trainer

log = logging.getLogger(__name__)

#: Builds the Trainer inside the worker thread (loading data can be slow); it may report notices.
TrainerFactory = Callable[[Callable[[str], None]], "Trainer"]


@dataclass(frozen=True)
class ProgressUpdate:
    """The batches since the last update, and where training stands."""

    losses: np.ndarray
    last: BatchEnd
    epochs: int


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


class TrainingWorker(QObject):
    ready = Signal(object)  # the Trainer, once built (the GUI touches it only after the thread ends)
    progress = Signal(object)  # ProgressUpdate
    epochEnded = Signal(object)
    snapshotReady = Signal(object)
    notice = Signal(str)
    ended = Signal(object)  # TrainingEnded
    saved = Signal(str)
    saveFailed = Signal(str)
    failed = Signal(str, str)  # message, traceback
    finished = Signal()

    def __init__(self, factory: TrainerFactory, train: bool, control: TrainingControl, max_rate: float = 30.0) -> None:
        super().__init__()
        self._factory, self._train, self.control = factory, train, control
        self._interval = 1.0 / max_rate
        self._pending_losses: list[float] = []
        self._last_batch: BatchEnd | None = None
        self._last_emit = 0.0
        self._save_request: Path | None = None
        self._epochs = 0

    @property
    def trains(self) -> bool:
        return self._train

    def request_save(self, path: Path) -> None:
        """Ask for a checkpoint between two steps (thread-safe: a single reference assignment)."""
        self._save_request = Path(path)

    @Slot()
    def run(self) -> None:
        yield_cores_to_the_window()
        try:
            trainer = self._factory(self.notice.emit)
            self._epochs = trainer.config.epochs
            self.ready.emit(trainer)
            if not self._train:
                self.snapshotReady.emit(trainer.snapshot())
                return
            for event in trainer.run(self.control):
                self._dispatch(event)
                if self._save_request is not None:
                    self._save(trainer)
            self._flush()
        except Exception as error:
            log.exception("training worker failed")
            self.failed.emit(f"{type(error).__name__}: {error}", traceback.format_exc())
        finally:
            self.finished.emit()

    def _dispatch(self, event: object) -> None:
        if isinstance(event, BatchEnd):
            self._pending_losses.append(event.loss)
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
            self.snapshotReady.emit(event)
        elif isinstance(event, EpochEnd):
            self.epochEnded.emit(event)
        elif isinstance(event, TrainingEnded):
            self.ended.emit(event)

    def _flush(self) -> None:
        if self._pending_losses and self._last_batch is not None:
            self.progress.emit(ProgressUpdate(np.array(self._pending_losses), self._last_batch, self._epochs))
            self._pending_losses = []
        self._last_emit = time.perf_counter()

    def _save(self, trainer: Trainer) -> None:
        from core.checkpoint import Checkpoint, CheckpointError, save_checkpoint

        path, self._save_request = self._save_request, None
        try:
            save_checkpoint(path, Checkpoint.from_trainer(trainer))
        except CheckpointError as error:
            self.saveFailed.emit(str(error))
        else:
            self.saved.emit(str(path))


class TrainingRunner(QObject):
    """Owns one worker thread at a time: start, pause, resume, stop, and a clean shutdown."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: TrainingWorker | None = None
        self.control = TrainingControl()

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.isRunning()

    def start(self, factory: TrainerFactory, train: bool) -> TrainingWorker:
        if self.running:
            raise RuntimeError("a run is already in progress")
        self.shutdown()
        self.control = TrainingControl()
        thread = QThread()
        worker = TrainingWorker(factory, train, self.control)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(thread.quit)
        thread.finished.connect(worker.deleteLater)
        self.thread, self.worker = thread, worker
        thread.start()
        return worker

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Stop the run and wait for its thread to end (never terminate()); True when no thread is left."""
        if self.thread is None:
            return True
        self.control.stop()
        self.thread.quit()
        done = self.thread.wait(timeout_ms)
        if done:
            self.thread.deleteLater()
            self.thread, self.worker = None, None
        return done
