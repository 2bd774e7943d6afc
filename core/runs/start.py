"""How the window's runs begin: a new model, an opened checkpoint, or the current model trained further.

Each function runs in the worker thread (loading data and files can take seconds) and returns a trainer ready
to run; `notify` reports what the user should know (a fallback data set, another device).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.data.datasets import (
    DatasetError,
    ImageDataset,
    ImageSplit,
    LoadStopped,
    load_builtin_digits,
    load_dataset,
    load_dataset_for_model,
)
from core.data.image_folder import progress_reporter
from core.files.checkpoint import Checkpoint, load_checkpoint
from core.runs.records import ModelAtRest
from core.settings import (
    BUILTIN_DATASET,
    DATASETS,
    ModelConfig,
    ModelSource,
    TrainConfig,
    dataset_title,
    is_folder_dataset,
)
from core.timelapse.recording import RunHistory
from core.training.engine import Trainer, resolve_device

log = logging.getLogger(__name__)

Notify = Callable[[str], None]
#: The run's stop flag as a function (e.g. `lambda: control.stop_requested`): an image folder's load asks it between
#: folders and files and ends in LoadStopped once it is True, so the window's Stop ends a long load too.
Stopped = Callable[[], bool]
#: Added to a folder's data-set name when the display images saved in a checkpoint stand in for the folder.
SAVED_DISPLAY_SUFFIX = " (display images saved in the model)"


__all__ = ["PreparedRun", "continued_run", "dataset_title", "load_with_fallback", "new_run", "opened_run"]


@dataclass(frozen=True)
class PreparedRun:
    trainer: Trainer
    trained_on: str  # the data set the model was trained on (an opened one may be shown on the fallback)
    history: RunHistory | None = None  # the time-lapse recorded so far (an opened or continued model's)


def load_with_fallback(name: str, notify: Notify, stopped: Stopped | None = None) -> ImageDataset:
    """The named data set, or the built-in digits with a notice saying why (never instead of the user's folder).

    A folder read for the first time (seconds for thousands of files) says how far it has got, twice a second, and
    stops (LoadStopped) once `stopped()` is True.
    """
    try:
        if is_folder_dataset(name):
            progress = progress_reporter(f"Reading {dataset_title(name)}", notify, 0.5)
            data = load_dataset(name, progress=progress, stopped=stopped)
        else:
            data = load_dataset(name)
    except DatasetError as error:
        if name == BUILTIN_DATASET or is_folder_dataset(name):
            raise
        log.warning("falling back to the built-in digits: %s", error)
        notify(f"Using the built-in 5,000 digits instead of {DATASETS.get(name, name)}: {error}")
        return load_builtin_digits()
    if data.notice:
        notify(data.notice)
    return data


def device_here(name: str, notify: Notify) -> str:
    """`name` if this machine has it, else 'auto' with a notice: a model opens wherever it was trained."""
    try:
        resolve_device(name)
    except (ValueError, RuntimeError):
        notify(f"This model was trained on '{name}', which this machine does not have: using {resolve_device('auto')}.")
        return "auto"
    return name


def new_run(
    dataset: str,
    latent_dim: int,
    config: TrainConfig,
    notify: Notify,
    kind: str = "autoencoder",
    beta: float = 1.0,
    stopped: Stopped | None = None,
    source: ModelSource | None = None,
) -> PreparedRun:
    """A new model on `dataset`: the lecture's network of `kind` and `latent_dim`, or the user's own module
    (`source`, which the user agreed to run): its latent size and kind then come from the module, probed on the data
    (core.model.own_module.probe); a module that does not fit, or code that raises, is refused with the reason."""
    data = load_with_fallback(dataset, notify, stopped)
    if source is None:
        model_config = ModelConfig(latent_dim, data.channels, data.image_size, kind=kind, beta=beta)
    else:
        from core.model.own_code import OwnCodeError
        from core.model.own_module import OwnModelError, probe
        from core.runs.own_model import OwnModelOpenError

        try:
            model_config = probe(source, data.train.images, beta=beta)
        except OwnCodeError as error:  # their code raised: the message and their traceback
            raise OwnModelOpenError(error.full()) from None
        except OwnModelError as error:
            raise OwnModelOpenError(str(error)) from None
    return PreparedRun(Trainer(data, config, model_config), data.name)


def opened_run(path: Path, notify: Notify, stopped: Stopped | None = None) -> PreparedRun:
    """A checkpoint's model, ready to show (and to train further when its data set is here)."""
    checkpoint = load_checkpoint(path)
    data = _opened_data(checkpoint, path, notify, stopped)
    device = device_here(checkpoint.train_config.device, notify)
    if data.name == checkpoint.dataset:
        return PreparedRun(checkpoint.resume(data, device=device), checkpoint.dataset, checkpoint.history)
    config = TrainConfig.from_dict({**checkpoint.train_config.to_dict(), "device": device})
    trainer = Trainer(
        data, config, checkpoint.model_config, model_state=checkpoint.model_state, progress=checkpoint.progress
    )
    return PreparedRun(trainer, checkpoint.dataset, checkpoint.history)


def _opened_data(checkpoint: Checkpoint, path: Path, notify: Notify, stopped: Stopped | None = None) -> ImageDataset:
    """The data an opened model was trained on, or what stands in for it when that cannot be read here.

    An image folder is read at the model's size and colour. When it is gone, the display images the checkpoint's
    time-lapse saved stand in (the model can be explored; training further would train on those only, under a
    name that says so); without a time-lapse, the built-in digits where they fit the model, else an error that
    says where the images were.
    """
    name, model_config = checkpoint.dataset, checkpoint.model_config
    if not is_folder_dataset(name):
        return _named_data(name, model_config, path, notify)
    try:
        return load_dataset_for_model(name, model_config, stopped=stopped)
    except LoadStopped:
        raise  # stopped, not missing: nothing stands in for it
    except DatasetError as error:
        saved = _saved_display_images(checkpoint)
        if saved is not None:
            log.warning("showing the checkpoint's display images: %s", error)
            notify(
                f"{dataset_title(name)} cannot be read here ({error}): showing the {len(saved.train):,} display "
                "images saved in the model. Training further would train on those only."
            )
            return saved
        shape = (model_config.channels, model_config.image_size)
        if shape != (1, 28):
            raise DatasetError(
                f"this model was trained on {dataset_title(name)} ({shape[0]}×{shape[1]}×{shape[1]} images), which "
                f"cannot be read here: {error}. Put the folder back where it was to open the model."
            ) from error
        log.warning("falling back to the built-in digits: %s", error)
        notify(f"Using the built-in 5,000 digits instead of {dataset_title(name)}: {error}")
        return load_builtin_digits()


def _saved_display_images(checkpoint: Checkpoint) -> ImageDataset | None:
    """The display images and labels a checkpoint's time-lapse holds, as a data set of their own; None if none."""
    display = None if checkpoint.history is None else checkpoint.history.display
    if display is None or len(display.labels) == 0:
        return None
    images = torch.from_numpy(np.array(display.display_images, dtype=np.uint8))
    labels = torch.from_numpy(np.array(display.labels, dtype=np.int64))
    name = checkpoint.dataset.removesuffix(SAVED_DISPLAY_SUFFIX) + SAVED_DISPLAY_SUFFIX
    try:
        return ImageDataset(name, ImageSplit(images, labels), None, tuple(checkpoint.classes))
    except (DatasetError, ValueError):
        return None


def _named_data(name: str, model: ModelConfig, path: Path, notify: Notify) -> ImageDataset:
    """A named data set a checkpoint was trained on, or the built-in digits where they fit its network (1×28×28);
    a colour or other-sized model whose data cannot be loaded is refused, saying why."""
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
