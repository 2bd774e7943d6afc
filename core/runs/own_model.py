"""A user's own module with weights trained elsewhere, made into a checkpoint of ours that every road opens.

`open --model-code` and the window's *File › Open your own model…* both come here: the module is probed on the data
set, the weights are checked against it (core.files.foreign_weights), and the result is saved, with the module's
source and SHA-256, into the per-user cache. The window then opens that file as it opens any saved run, so
everything it does for a checkpoint (training further, the time-lapse from there on, Save) works for these weights.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

from core.data.datasets import load_dataset
from core.files.checkpoint import save_checkpoint
from core.files.foreign_weights import WeightsError, checkpoint_from_code
from core.model.own_code import OwnCodeError
from core.model.own_module import OwnModelError
from core.settings import ModelSource


class OwnModelOpenError(ValueError):
    """The user's module or its weights could not be opened; the message (with the traceback of their own code where
    it raised) is for the user. A ValueError, so the window shows it as a refusal, not as a bug of ours."""


def own_models_folder() -> Path:
    """Where the checkpoints of weights opened from elsewhere are kept (per user)."""
    return Path(user_cache_dir("convae-explorer", appauthor=False)) / "own-models"


def own_model_checkpoint(
    source: ModelSource,
    weights: Path,
    dataset_name: str,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> Path:
    """The checkpoint file of `weights` in the user's module on `dataset_name`. Raises DatasetError, WeightsError,
    CheckpointError or OwnModelOpenError."""
    dataset = load_dataset(dataset_name, data_dir, download)
    try:
        checkpoint = checkpoint_from_code(source, weights, dataset)
    except OwnCodeError as error:
        raise OwnModelOpenError(error.full()) from None
    except (WeightsError, OwnModelError) as error:
        raise OwnModelOpenError(str(error)) from None
    folder = own_models_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{Path(weights).stem}-{source.class_name}-{source.sha256[:12]}.safetensors"
    return save_checkpoint(path, checkpoint)
