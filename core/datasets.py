"""Image data sets loaded whole into memory as uint8 tensors (N×C×H×W), labels and class names.

torchvision reads the MNIST-family files; the built-in `digits-5k` set ships inside the package so
the app works with no network. Errors here say which folder was searched and what belongs there;
falling back to the built-in digits is the application's decision, not this module's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from platformdirs import user_data_dir

from core.config import BUILTIN_DATASET, DATASET_NAMES

DATA_DIR_ENV = "CONVAE_DATA_DIR"
#: Our names for torchvision's classes (imported only when one is loaded: torchvision takes seconds to import).
_TORCHVISION_CLASS_NAMES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}

__all__ = ["BUILTIN_DATASET", "DATASET_NAMES", "DatasetError", "ImageDataset", "ImageSplit", "load_dataset"]


def _torchvision_class(name: str):
    from torchvision import datasets as tv_datasets

    return getattr(tv_datasets, _TORCHVISION_CLASS_NAMES[name])


DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))


class DatasetError(Exception):
    """A data set cannot be loaded; the message says where we looked and what to do."""


@dataclass(frozen=True)
class ImageSplit:
    """One split held whole in memory: batches are index slices, never per-item conversions."""

    images: torch.Tensor  # uint8, N×C×H×W
    labels: torch.Tensor  # int64, N

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(f"images must be uint8 N×C×H×W, got {self.images.dtype} {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError("labels must hold one entry per image")

    def __len__(self) -> int:
        return int(self.images.shape[0])


@dataclass(frozen=True)
class ImageDataset:
    name: str
    train: ImageSplit
    test: ImageSplit | None
    classes: tuple[str, ...]

    @property
    def channels(self) -> int:
        return int(self.train.images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.train.images.shape[2])


def default_data_dir() -> Path:
    """The folder that holds downloaded data sets: $CONVAE_DATA_DIR, else the per-user data folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_data_dir("convae-explorer", appauthor=False)) / "datasets"


def load_dataset(name: str, root: str | os.PathLike | None = None, download: bool = True) -> ImageDataset:
    """Load a data set by name (see DATASET_NAMES); raise DatasetError with a clear reason if it cannot."""
    if name == BUILTIN_DATASET:
        return load_builtin_digits()
    if name not in _TORCHVISION_CLASS_NAMES:
        raise DatasetError(f"unknown data set {name!r}; choose one of: {', '.join(DATASET_NAMES)}")
    return _load_torchvision(name, Path(root) if root is not None else default_data_dir(), download)


def load_builtin_digits() -> ImageDataset:
    """The 5,000 MNIST digits shipped with the package (see tools/make_digits_5k.py for their origin)."""
    with resources.files("core.data").joinpath("digits_5k.npz").open("rb") as handle, np.load(handle) as archive:
        images = torch.from_numpy(archive["images"].copy()).unsqueeze(1)
        labels = torch.from_numpy(archive["labels"].astype(np.int64))
    return ImageDataset(BUILTIN_DATASET, ImageSplit(images, labels), None, DIGIT_CLASSES)


def expected_files(name: str, root: str | os.PathLike) -> tuple[Path, list[str]]:
    """The raw folder torchvision reads for `name` under `root`, and the file names it needs there."""
    cls = _torchvision_class(name)
    folder = Path(root) / cls.__name__ / "raw"
    return folder, [os.path.splitext(url)[0] for url, _ in cls.resources]


def _load_torchvision(name: str, root: Path, download: bool) -> ImageDataset:
    cls = _torchvision_class(name)
    folder, files = expected_files(name, root)
    splits = []
    for train in (True, False):
        try:
            if download:
                root.mkdir(parents=True, exist_ok=True)
            source = cls(str(root), train=train, download=download)
        except Exception as error:  # torchvision raises RuntimeError, AssertionError, ValueError, OSError…
            if not all((folder / file).is_file() for file in files):
                detail = "could not be downloaded (no network?)" if download else "were not found"
                raise DatasetError(f"{name} files {detail}. Put {', '.join(files)} in {folder}.") from error
            raise DatasetError(
                f"{name} files in {folder} are corrupt or not IDX files ({type(error).__name__}: {error}). "
                "Delete them and download again."
            ) from error
        splits.append(_split_from_source(name, folder, source.data, source.targets))
    return ImageDataset(name, splits[0], splits[1], tuple(cls.classes))


def _split_from_source(name: str, folder: Path, data: torch.Tensor, targets: torch.Tensor) -> ImageSplit:
    if data.dtype != torch.uint8 or data.ndim != 3 or targets.ndim != 1 or len(targets) != len(data):
        raise DatasetError(
            f"{name} files in {folder} hold unexpected shapes (images {tuple(data.shape)}, "
            f"labels {tuple(targets.shape)}). Delete them and download again."
        )
    return ImageSplit(data.unsqueeze(1).contiguous(), targets.to(torch.int64))
