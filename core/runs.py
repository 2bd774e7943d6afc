"""How the window's runs begin: a new model, an opened checkpoint, or the current model trained further.

Each function runs in the worker thread (loading data and files can take seconds) and returns a trainer ready
to run; `notify` reports what the user should know (a fallback data set, another device).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.checkpoint import load_checkpoint
from core.config import BUILTIN_DATASET, DATASETS, ModelConfig, TrainConfig, dataset_title
from core.datasets import DatasetError, ImageDataset, load_builtin_digits, load_dataset
from core.engine import Trainer, resolve_device
from core.records import ModelAtRest
from core.run_history import RunHistory

log = logging.getLogger(__name__)

Notify = Callable[[str], None]


__all__ = ["PreparedRun", "continued_run", "dataset_title", "load_with_fallback", "new_run", "opened_run"]


@dataclass(frozen=True)
class PreparedRun:
    trainer: Trainer
    trained_on: str  # the data set the model was trained on (an opened one may be shown on the fallback)
    history: RunHistory | None = None  # the time-lapse recorded so far (an opened or continued model's)


def load_with_fallback(name: str, notify: Notify) -> ImageDataset:
    """The named data set, or the built-in digits with a notice saying why."""
    try:
        return load_dataset(name)
    except DatasetError as error:
        if name == BUILTIN_DATASET:
            raise
        log.warning("falling back to the built-in digits: %s", error)
        notify(f"Using the built-in 5,000 digits instead of {DATASETS.get(name, name)}: {error}")
        return load_builtin_digits()


def device_here(name: str, notify: Notify) -> str:
    """`name` if this machine has it, else 'auto' with a notice: a model opens wherever it was trained."""
    try:
        resolve_device(name)
    except (ValueError, RuntimeError):
        notify(f"This model was trained on '{name}', which this machine does not have: using {resolve_device('auto')}.")
        return "auto"
    return name


def new_run(
    dataset: str, latent_dim: int, config: TrainConfig, notify: Notify, kind: str = "autoencoder", beta: float = 1.0
) -> PreparedRun:
    data = load_with_fallback(dataset, notify)
    model_config = ModelConfig(latent_dim, data.channels, data.image_size, kind=kind, beta=beta)
    return PreparedRun(Trainer(data, config, model_config), data.name)


def opened_run(path: Path, notify: Notify) -> PreparedRun:
    """A checkpoint's model, ready to show (and to train further when its data set is here)."""
    checkpoint = load_checkpoint(path)
    data = _data_for(checkpoint.dataset, checkpoint.model_config, path, notify)
    device = device_here(checkpoint.train_config.device, notify)
    if data.name == checkpoint.dataset:
        return PreparedRun(checkpoint.resume(data, device=device), checkpoint.dataset, checkpoint.history)
    config = TrainConfig.from_dict({**checkpoint.train_config.to_dict(), "device": device})
    trainer = Trainer(
        data, config, checkpoint.model_config, model_state=checkpoint.model_state, progress=checkpoint.progress
    )
    return PreparedRun(trainer, checkpoint.dataset, checkpoint.history)


def _data_for(name: str, model: ModelConfig, path: Path, notify: Notify) -> ImageDataset:
    """The data set a checkpoint was trained on, or the built-in digits where they fit its network (1×28×28); a
    colour or other-sized model whose data cannot be loaded is refused, saying why."""
    if (model.channels, model.image_size) == (1, 28):
        return load_with_fallback(name, notify)
    try:
        return load_dataset(name)
    except DatasetError as error:
        size = f"{model.channels}×{model.image_size}×{model.image_size}"
        raise DatasetError(
            f"{path.name} is a model of {size} images trained on {dataset_title(name)}, which cannot be loaded here, "
            f"and the built-in digits (1×28×28) cannot stand in for them. {error}"
        ) from error


def continued_run(model: ModelAtRest, epochs: int, device: str) -> PreparedRun:
    """The model at rest trained further, up to `epochs`, on `device`: the loss history carries on."""
    trainer = model.checkpoint.resume(model.dataset, epochs=epochs, device=device)
    history = model.checkpoint.history
    return PreparedRun(trainer, model.dataset.name, None if history is None else history.copy())
