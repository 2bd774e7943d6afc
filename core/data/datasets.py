"""Image data sets loaded whole into memory as uint8 tensors (N×C×H×W), labels and class names.

torchvision reads the MNIST-family files; the built-in `digits-5k` set ships inside the package so
the app works with no network. Errors here say which folder was searched and what belongs there;
falling back to the built-in digits is the application's decision, not this module's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from core.settings import BUILTIN_DATASET, CIFAR10_NAME, DATASET_NAMES, FOLDER_PREFIX, ModelConfig, is_folder_dataset

DATA_DIR_ENV = "CONVAE_DATA_DIR"
#: Our names for torchvision's classes (imported only when one is loaded: torchvision takes seconds to import).
_TORCHVISION_CLASS_NAMES = {
    "mnist": "MNIST",
    "fashion-mnist": "FashionMNIST",
    "kmnist": "KMNIST",
    CIFAR10_NAME: "CIFAR10",
}

__all__ = [
    "BUILTIN_DATASET",
    "DATASET_NAMES",
    "DatasetError",
    "ImageDataset",
    "ImageSplit",
    "load_dataset",
    "load_dataset_for_model",
    "load_image_folder",
]


def _torchvision_class(name: str):
    from torchvision import datasets as tv_datasets

    return getattr(tv_datasets, _TORCHVISION_CLASS_NAMES[name])


DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))


class DatasetError(Exception):
    """A data set cannot be loaded; the message says where we looked and what to do."""


class LoadStopped(DatasetError):
    """The load was stopped (Ctrl+C, the window's Stop) before it ended: nothing was loaded, nothing is wrong."""


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
    """A named data set: its splits, and the names of its classes (an image labelled i is of class classes[i])."""

    name: str
    train: ImageSplit
    test: ImageSplit | None
    classes: tuple[str, ...]
    #: What the user should know about how it was read, in one message (an image folder's skipped files), or None.
    notice: str | None = None

    def __post_init__(self) -> None:
        """Every label must name a class, or the window would colour and name points by classes that do not exist."""
        for split, kind in ((self.train, "training"), (self.test, "test")):
            bad = None if split is None else _first_bad_label(split.labels, len(self.classes))
            if bad is not None:
                raise DatasetError(
                    f"{kind} image {bad[0]:,} of {self.name} has label {bad[1]}, not a class: "
                    f"{_class_range(len(self.classes))}"
                )
        if self.test is not None and self.test.images.shape[1:] != self.train.images.shape[1:]:
            raise DatasetError(
                f"the test images of {self.name} are {_layout(self.test.images)}, "
                f"but its training images are {_layout(self.train.images)}"
            )

    @property
    def channels(self) -> int:
        return int(self.train.images.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.train.images.shape[2])


def _first_bad_label(labels: torch.Tensor, class_count: int) -> tuple[int, int] | None:
    """(position, label) of the first label outside 0..class_count-1, or None if all name a class."""
    bad = torch.nonzero((labels < 0) | (labels >= class_count))
    return None if len(bad) == 0 else (int(bad[0, 0]), int(labels[bad[0, 0]]))


def _class_range(class_count: int) -> str:
    return f"there are {class_count} classes, labelled 0–{class_count - 1}" if class_count else "there are no classes"


def _layout(images: torch.Tensor) -> str:
    return f"{images.shape[1]}×{images.shape[2]}×{images.shape[3]}"


def default_data_dir() -> Path:
    """The folder that holds downloaded data sets: --data-dir or the window's choice, $CONVAE_DATA_DIR, else the
    per-user data folder (core.data.location)."""
    from core.data.location import data_folder

    return data_folder()


def load_dataset(
    name: str,
    root: str | os.PathLike | None = None,
    download: bool = True,
    *,
    image_size: int | None = None,
    colour: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> ImageDataset:
    """Load a data set by name (see DATASET_NAMES, or `folder:PATH`); raise DatasetError with a clear reason if not.

    image_size, colour, progress and stopped apply to image folders only (core.data.image_folder.load_image_folder);
    `root` and `download` to the downloadable sets only.
    """
    if is_folder_dataset(name):
        return load_image_folder(
            name[len(FOLDER_PREFIX) :], size=image_size, colour=colour, progress=progress, stopped=stopped
        )
    if name == BUILTIN_DATASET:
        return load_builtin_digits()
    if name == CIFAR10_NAME:
        return _load_cifar10(Path(root) if root is not None else default_data_dir(), download)
    if name not in _TORCHVISION_CLASS_NAMES:
        raise DatasetError(
            f"unknown data set {name!r}; choose one of: {', '.join(DATASET_NAMES)}, "
            "or folder:PATH for a folder of images"
        )
    return _load_torchvision(name, Path(root) if root is not None else default_data_dir(), download)


def load_image_folder(
    path: str | os.PathLike,
    size: int | None = None,
    colour: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: str | os.PathLike | None = None,
    stopped: Callable[[], bool] | None = None,
) -> ImageDataset:
    """A folder of images as the data set `folder:<absolute path>`, decoded once and cached (core.data.image_folder).

    size: side of the square images (a multiple of 4, 8–64); None: the images' median size, at most 64.
    colour: True RGB, False grey, None: colour if any image is. progress(done, total) is called from this thread.
    Unreadable files are skipped and summed up in the data set's `notice`. stopped() is asked between folders and
    files: once it is True the load ends in LoadStopped (Ctrl+C, the window's Stop).
    """
    from core.data.image_folder import FolderError, FolderLoadStopped, read_image_folder

    try:
        found = read_image_folder(
            path, size=size, colour=colour, progress=progress, cache_dir=cache_dir, stopped=stopped
        )
    except FolderLoadStopped as error:
        raise LoadStopped(str(error)) from error
    except FolderError as error:
        raise DatasetError(str(error)) from error
    return ImageDataset(found.name, ImageSplit(found.images, found.labels), None, found.classes, notice=found.notice)


def load_dataset_for_model(
    name: str,
    model_config: ModelConfig,
    root: str | os.PathLike | None = None,
    download: bool = True,
    progress: Callable[[int, int], None] | None = None,
    stopped: Callable[[], bool] | None = None,
) -> ImageDataset:
    """The data set a model was trained on, read as the model expects it (an image folder at its size and colour)."""
    if is_folder_dataset(name):
        colour = model_config.channels == 3
        return load_dataset(name, image_size=model_config.image_size, colour=colour, progress=progress, stopped=stopped)
    return load_dataset(name, root, download)


def load_builtin_digits() -> ImageDataset:
    """The 5,000 MNIST digits shipped with the package (see tools/make_digits_5k.py for their origin)."""
    with resources.files("core.data").joinpath("digits_5k.npz").open("rb") as handle, np.load(handle) as archive:
        images = torch.from_numpy(archive["images"].copy()).unsqueeze(1)
        labels = torch.from_numpy(archive["labels"].astype(np.int64))
    return ImageDataset(BUILTIN_DATASET, ImageSplit(images, labels), None, DIGIT_CLASSES)


def expected_files(name: str, root: str | os.PathLike) -> tuple[Path, list[str]]:
    """The raw folder torchvision reads for `name` under `root`, and the file names it needs there."""
    if name == CIFAR10_NAME:
        from core.data.cifar import cifar_files

        return cifar_files(root)
    cls = _torchvision_class(name)
    folder = Path(root) / cls.__name__ / "raw"
    return folder, [os.path.splitext(url)[0] for url, _ in cls.resources]


def _load_cifar10(root: Path, download: bool) -> ImageDataset:
    """CIFAR-10 in colour (core.data.cifar: every file's checksum is checked before anything is unpickled)."""
    from core.data.cifar import CifarError, read_cifar10

    _check_data_folder(root)
    try:
        arrays = read_cifar10(root, download)
    except CifarError as error:
        raise DatasetError(str(error)) from error
    return ImageDataset(CIFAR10_NAME, ImageSplit(*arrays.train), ImageSplit(*arrays.test), arrays.classes)


def _load_torchvision(name: str, root: Path, download: bool) -> ImageDataset:
    cls = _torchvision_class(name)
    folder, files = expected_files(name, root)
    _check_data_folder(root)
    if download:
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatasetError(f"cannot create the data folder {root}: {error.strerror or error}") from error
    splits = []
    for train in (True, False):
        try:
            source = cls(str(root), train=train, download=download)
        except Exception as error:  # torchvision raises RuntimeError, AssertionError, ValueError, OSError…
            if not all((folder / file).is_file() for file in files):
                detail = "could not be downloaded (no network?)" if download else "were not found"
                raise DatasetError(f"{name} files {detail}. Put {', '.join(files)} in {folder}.") from error
            raise DatasetError(  # the first sentence says it all: a window may show no more of it
                f"{name} files in {folder} are corrupt or not IDX files: delete {', '.join(files)} there and "
                f"download them again. ({type(error).__name__}: {error})"
            ) from error
        prefix = "train" if train else "t10k"
        images_file, labels_file = (
            next(f for f in files if f.startswith(f"{prefix}-{kind}")) for kind in ("images", "labels")
        )
        splits.append(
            _split_from_source(name, folder, (images_file, labels_file), source.data, source.targets, len(cls.classes))
        )
    try:
        return ImageDataset(name, splits[0], splits[1], tuple(cls.classes))
    except DatasetError as error:
        raise DatasetError(
            f"{name} files in {folder} do not belong together: {error}. Delete {', '.join(files)} there and "
            "download them again."
        ) from error


def _check_data_folder(root: Path) -> None:
    """A data folder that is a file (or lies inside one) is named as such, not reported as a failed download."""
    for folder in (root, *root.parents):
        if folder.is_dir():
            return
        if folder.exists():
            where = "is a file" if folder == root else f"cannot be created: {folder} is a file"
            raise DatasetError(
                f"the data folder {root} {where}, not a folder. Point {DATA_DIR_ENV} (or --data-dir) at a folder."
            )


def _split_from_source(
    name: str, folder: Path, files: tuple[str, str], data: torch.Tensor, targets: torch.Tensor, class_count: int
) -> ImageSplit:
    """One split as read by torchvision, checked: files[0] holds its images, files[1] its labels."""
    if data.dtype != torch.uint8 or data.ndim != 3 or targets.ndim != 1 or len(targets) != len(data):
        raise DatasetError(
            f"{name} files in {folder} hold unexpected shapes (images {tuple(data.shape)}, "
            f"labels {tuple(targets.shape)}). Delete them and download again."
        )
    if data.shape[1] != data.shape[2]:
        raise DatasetError(
            f"the {name} images in {folder / files[0]} are {data.shape[1]}×{data.shape[2]} pixels, not square: "
            "convae-explorer trains on square images only. Delete the file and download it again."
        )
    labels = targets.to(torch.int64)
    bad = _first_bad_label(labels, class_count)
    if bad is not None:
        raise DatasetError(
            f"the {name} labels in {folder / files[1]} are corrupt: image {bad[0]:,} has label {bad[1]}, but "
            f"{_class_range(class_count)}. Delete the file and download it again."
        )
    return ImageSplit(data.unsqueeze(1).contiguous(), labels)
