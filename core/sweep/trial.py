"""One run of a sweep, trained in slices: the same engine, recorder and checkpoint as `train`, driven so that a
scheduler (Ray Tune's trainable, core.sweep.driver) can ask for a few seconds of training at a time, read the
run's progress in between, and stop it cleanly between two steps with its checkpoint saved.

No Ray here: this is plain core, so the run's training can be tested and reused without a cluster.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

#: Where a run's checkpoint lies inside the sweep's folder (its time-lapse is recorded inside it, as `train` does).
CHECKPOINT_NAME = "model.safetensors"


def run_checkpoint(run_id: str) -> str:
    """A run's checkpoint path relative to the sweep's folder (the manifest records it so)."""
    return f"runs/{run_id}/{CHECKPOINT_NAME}"


@dataclass(frozen=True)
class RunSpec:
    """Everything one run needs, as plain values that cross to a Ray worker: the sweep's fixed settings and this
    run's swept ones, resolved to the engine's names. `out` is absolute on the node that trains (the sweep's
    folder must be reachable from every node)."""

    run_id: str
    out: str
    dataset: str
    data_dir: str | None
    download: bool
    image_size: int | None
    colour: bool | None
    model: str
    latent_dim: int
    beta: float
    epochs: int
    batch_size: int
    lr: float
    seed: int
    num_threads: int
    device: str
    lr_schedule: str
    bf16: bool
    compile: bool
    history: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RunReport:
    """Where a run stands after a slice: what the driver writes into the manifest and the progress line."""

    progress: float  # 0–1 of the run's steps
    eta_s: float  # seconds left at this run's pace (inf before its first step)
    finished: bool = False
    error: str | None = None
    final_loss: float | None = None
    kl: float | None = None
    active_units: int | None = None

    def metrics(self) -> dict[str, object]:
        """As a Tune result: plain numbers, None for what is not known."""
        return asdict(self)


class RunTraining:
    """One run: its data loaded and its Trainer built (continued from `spec.out` when a checkpoint of this run is
    there: a sweep stopped by Ctrl+C, resumed), trained a slice at a time by `advance`, ended by `close`.

    Anything that goes wrong while building or training is kept as the run's error (the run has failed, the
    sweep goes on), not raised: the report says it.
    """

    def __init__(self, spec: RunSpec) -> None:
        from core.training.engine import TrainingControl

        self.spec = spec
        self.control = TrainingControl()
        self._events: Iterator[object] | None = None
        self._saved_step: int | None = None
        self._report = RunReport(0.0, math.inf)
        self.trainer = None
        try:
            self._build()
        except Exception as error:  # the run fails, the sweep goes on: its error is reported, not raised
            self._report = RunReport(0.0, math.inf, finished=True, error=_describe(error))

    def _build(self) -> None:
        from core.data.datasets import load_dataset
        from core.files.checkpoint import load_checkpoint
        from core.model.autoencoder import ModelConfig
        from core.timelapse.recording import HistoryRecorder, RunHistory
        from core.training.engine import TrainConfig, Trainer

        spec, out = self.spec, Path(self.spec.out)
        resumed = load_checkpoint(out) if out.is_file() else None
        folder: dict[str, object] = {}
        if spec.dataset.startswith("folder:"):  # a resumed run reads its folder at its own size and colour
            folder = (
                {"image_size": resumed.model_config.image_size, "colour": resumed.model_config.channels == 3}
                if resumed is not None
                else {"image_size": spec.image_size, "colour": spec.colour}
            )
        dataset = load_dataset(spec.dataset, spec.data_dir, download=spec.download, **folder)
        if resumed is not None:  # stopped earlier (Ctrl+C): continue where it stopped, as `train --resume` does
            trainer = resumed.resume(
                dataset, epochs=spec.epochs, device=spec.device, num_threads=spec.num_threads,
                bf16=spec.bf16, compile=spec.compile,
            )  # fmt: skip
            history = resumed.history.copy() if resumed.history is not None else RunHistory()
        else:
            config = TrainConfig(
                epochs=spec.epochs, batch_size=spec.batch_size, lr=spec.lr, seed=spec.seed, device=spec.device,
                num_threads=spec.num_threads, lr_schedule=spec.lr_schedule, bf16=spec.bf16, compile=spec.compile,
            )  # fmt: skip
            model = ModelConfig(spec.latent_dim, dataset.channels, dataset.image_size, kind=spec.model, beta=spec.beta)
            trainer = Trainer(dataset, config, model)
            history = RunHistory()
        self.trainer, self.history = trainer, history
        self.recorder = HistoryRecorder(history, trainer.model_config)
        self._start_step = trainer.progress.step
        self._total_steps = trainer.config.epochs * trainer.batches_per_epoch
        self._started = time.perf_counter()

    @property
    def report(self) -> RunReport:
        return self._report

    def advance(self, seconds: float) -> RunReport:
        """Train for about `seconds` (at least one step), then say where the run stands; at its end, save its
        checkpoint and its results."""
        if self._report.finished or self.trainer is None:
            return self._report
        from core.events import BatchEnd, EndReason, TrainingEnded

        try:
            if self._events is None:
                self._events = iter(self.trainer.run(self.control, snapshots=self.spec.history))
            deadline = time.perf_counter() + seconds
            for event in self._events:
                self.recorder.consume(event)
                if isinstance(event, TrainingEnded):
                    self._events = None
                    self._save()
                    error = event.message if event.reason is EndReason.DIVERGED else None
                    self._report = self._final(error)
                    return self._report
                if isinstance(event, BatchEnd) and time.perf_counter() >= deadline:
                    break
            else:  # the engine ended without its closing event: nothing more will come
                self._events = None
                self._save()
                self._report = self._final(None)
                return self._report
        except Exception as error:  # a step that raises fails this run only
            self._events = None
            self._report = RunReport(self._progress(), math.inf, finished=True, error=_describe(error))
            return self._report
        self._report = RunReport(self._progress(), self._eta())
        return self._report

    def close(self) -> None:
        """Stop between two steps and save what was trained (Ctrl+C on the sweep): a resumed sweep continues from
        it. A run that ended has saved already; one that never trained writes nothing."""
        if self.trainer is None or self._report.finished:
            return
        self.control.stop()
        if self._events is not None:
            for event in self._events:  # the engine stops at the next step and says so
                self.recorder.consume(event)
            self._events = None
        if self.trainer.progress.step > self._start_step:
            self._save()

    def _save(self) -> None:
        from core.files.checkpoint import Checkpoint, save_checkpoint

        if self._saved_step == self.trainer.progress.step:
            return
        save_checkpoint(
            Path(self.spec.out), Checkpoint.from_trainer(self.trainer, self.history if len(self.history) else None)
        )
        self._saved_step = self.trainer.progress.step

    def _progress(self) -> float:
        if self.trainer is None or self._total_steps <= 0:
            return 0.0
        return min(1.0, self.trainer.progress.step / self._total_steps)

    def _eta(self) -> float:
        done = self.trainer.progress.step - self._start_step
        left = self._total_steps - self.trainer.progress.step
        if done <= 0:
            return math.inf
        return left * (time.perf_counter() - self._started) / done

    def _final(self, error: str | None) -> RunReport:
        """The run's results: its last epoch's mean loss, and for a VAE the KL (nats per image, summed over the
        code's dimensions) and the active units (dimensions whose KL is at least core.model.diagnostics'
        INACTIVE_KL) of its final network, over its display images."""
        from core.model.diagnostics import INACTIVE_KL

        losses = self.trainer.progress.epoch_losses
        final = float(losses[-1]) if losses else None
        kl = active = None
        if self.trainer.model_config.variational:
            per_dim = self.trainer.snapshot().kl_per_dim
            if per_dim is not None:
                kl, active = float(per_dim.sum()), int((per_dim >= INACTIVE_KL).sum())
        return RunReport(1.0 if error is None else self._progress(), 0.0, True, error, final, kl, active)


def _describe(error: BaseException) -> str:
    """An error as the manifest and the terminal say it: our own errors' messages are written for users already;
    anything else keeps its type's name."""
    from core.data.datasets import DatasetError
    from core.files.checkpoint import CheckpointError

    if isinstance(error, DatasetError | CheckpointError | ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"
