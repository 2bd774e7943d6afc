"""Plain records of a run that cross from the worker thread to the window: never the live Trainer or model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.settings import ModelConfig, TrainConfig
from core.training.pacing import WindowPacing, window_pacing

if TYPE_CHECKING:
    from core.data.datasets import ImageDataset
    from core.files.checkpoint import Checkpoint
    from core.timelapse.recording import RunHistory
    from core.training.engine import Trainer


@dataclass(frozen=True)
class RunInfo:
    """What a run is, known once its trainer is built: the window lays out its panels from this."""

    dataset: str  # what it trains on now
    trained_on: str  # what the model was trained on (differs after a fallback when a checkpoint was opened)
    classes: tuple[str, ...]
    train_images: int
    device: str
    batches_per_epoch: int
    config: TrainConfig
    model_config: ModelConfig
    start_step: int  # steps done before this session of the run
    epochs_done: int
    losses: np.ndarray  # the loss history so far (a copy)
    pacing: WindowPacing  # how often the window shows this run: what the host can spare
    #: A VAE's (reconstruction, KL) per step so far, beside `losses` (steps × 2, NaN where a file did not keep them,
    #: core.training.engine.TrainingProgress.batch_loss_parts); None for an autoencoder. A reopened VAE draws its two
    #: curves from this.
    loss_parts: np.ndarray | None = None

    @property
    def total_steps(self) -> int:
        return self.batches_per_epoch * self.config.epochs


@dataclass(frozen=True)
class ModelAtRest:
    """A model between runs: CPU copies of everything needed to save it or train it further, and its data."""

    checkpoint: Checkpoint
    dataset: ImageDataset

    @property
    def step(self) -> int:
        return self.checkpoint.progress.step

    @property
    def epoch(self) -> int:
        return self.checkpoint.progress.epoch


def describe_run(trainer: Trainer, trained_on: str | None = None) -> RunInfo:
    p = trainer.progress
    return RunInfo(
        dataset=trainer.dataset.name,
        trained_on=trained_on or trainer.dataset.name,
        classes=tuple(trainer.dataset.classes),
        train_images=len(trainer.dataset.train),
        device=str(trainer.device),
        batches_per_epoch=trainer.batches_per_epoch,
        config=trainer.config,
        model_config=trainer.model_config,
        start_step=p.step,
        epochs_done=p.epoch,
        losses=np.array(p.batch_losses, np.float64),
        pacing=window_pacing(trainer.device.type, trainer.threads),
        loss_parts=loss_parts_of(trainer),
    )


def loss_parts_of(trainer: Trainer) -> np.ndarray | None:
    """The run's (reconstruction, KL) per step as a steps × 2 array, NaN where unknown; None for an autoencoder."""
    if not trainer.model_config.variational:
        return None
    parts = np.array(trainer.progress.batch_loss_parts, np.float64).reshape(-1, 2)
    missing = len(trainer.progress.batch_losses) - len(parts)  # a progress made without them: unknown, not absent
    return np.concatenate([np.full((missing, 2), np.nan), parts]) if missing > 0 else parts


def model_at_rest(trainer: Trainer, history: RunHistory | None = None) -> ModelAtRest:
    from core.files.checkpoint import Checkpoint

    return ModelAtRest(Checkpoint.from_trainer(trainer, history), trainer.dataset)
