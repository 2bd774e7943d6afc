"""CIFAR-10 in colour (3×32×32) through torchvision, with every file checked against the official checksums before
anything reads it.

CIFAR-10's files are Python pickles, and unpickling a file runs whatever code it names: a file that is not the
official one must never be opened by `pickle`. This module first hashes every file itself
(torchvision.datasets.utils.check_integrity, which only reads bytes), to refuse a missing or altered one by name;
then torchvision's CIFAR10, whose own check stays on, hashes all six batches again before it unpickles any (and
`batches.meta` before it unpickles that: tests/core/data/test_cifar.py asserts this of torchvision too). Nothing here
calls
pickle. It returns tensors and raises CifarError; core.data.datasets makes them an ImageDataset (or a DatasetError).

The official archive `cifar-10-python.tar.gz` alone is enough: placed in the data folder and matching its official
checksum, it is unpacked there (no network needed); with downloads allowed it is fetched when missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

_TITLE = "CIFAR-10"


class CifarError(Exception):
    """CIFAR-10 cannot be loaded; the message names the folder and the files (core.data.datasets makes it a
    DatasetError:
    this module does not import core.data.datasets, which imports it)."""


@dataclass(frozen=True)
class CifarArrays:
    """What the files hold: each split as (uint8 N×3×32×32 images, int64 labels), and the class names."""

    train: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    classes: tuple[str, ...]


def _cifar_class():
    from torchvision.datasets import CIFAR10

    return CIFAR10


def cifar_files(root: str | Path) -> tuple[Path, list[str]]:
    """The folder torchvision reads CIFAR-10 from under `root`, and the file names it needs there."""
    cls = _cifar_class()
    names = [name for name, _ in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    return Path(root) / cls.base_folder, names


def archive_path(root: str | Path) -> Path:
    """Where the official archive goes: directly in the data folder."""
    return Path(root) / _cifar_class().filename


def _checksums() -> dict[str, str]:
    """Each file's official MD5, as torchvision lists it (read at call time: tests may replace torchvision's list)."""
    cls = _cifar_class()
    return {**{name: md5 for name, md5 in cls.train_list + cls.test_list}, cls.meta["filename"]: cls.meta["md5"]}


def unverified_files(folder: Path) -> tuple[list[str], list[str]]:
    """(missing, altered): the files of `folder` that are absent, and those whose MD5 is not the official one.

    Only hashes the bytes; never unpickles anything.
    """
    from torchvision.datasets.utils import check_integrity

    missing, altered = [], []
    for name, md5 in _checksums().items():
        path = folder / name
        if not path.is_file():
            missing.append(name)
        elif not check_integrity(str(path), md5):
            altered.append(name)
    return missing, altered


def read_cifar10(root: Path, download: bool) -> CifarArrays:
    """CIFAR-10's 50,000 training and 10,000 test images as uint8 N×3×32×32, with the class names of its meta file.

    Raises CifarError naming the folder and the files when they are missing, corrupt or altered; an altered file is
    never unpickled.
    """
    folder, files = cifar_files(root)
    missing, altered = unverified_files(folder)
    if missing or altered:
        _unpack_or_download(root, download, altered)
        missing, altered = unverified_files(folder)
        if missing or altered:
            raise CifarError(_problem(root, folder, missing, altered))
    cls = _cifar_class()
    splits = []
    for train in (True, False):
        try:  # torchvision checks every file's MD5 again before it unpickles any
            source = cls(str(root), train=train, download=False)
        except Exception as error:  # RuntimeError (checksums), or a file that changed since we checked it
            raise CifarError(
                f"{_TITLE} files in {folder} could not be read: {type(error).__name__}: {error}. Delete "
                f"{', '.join(files)} there and download them again."
            ) from error
        splits.append(_split(folder, source.data, source.targets, len(source.classes)))
    return CifarArrays(splits[0], splits[1], tuple(str(name) for name in source.classes))


def _unpack_or_download(root: Path, download: bool, altered: list[str]) -> None:
    """Unpack the official archive if it lies in `root` (its checksum checked first); else, if downloads are allowed
    and no file there is altered, download it (again, over an archive that is not the official one, e.g. an
    interrupted download) and unpack it. Altered files are not downloaded over: the message says so (as for MNIST)."""
    from torchvision.datasets.utils import download_and_extract_archive, extract_archive

    archive = archive_path(root)
    official = archive.is_file() and _archive_ok(archive)
    if not official and (not download or altered):
        return  # _problem names what is missing or altered, and an archive that is not the official one
    try:
        if official:
            extract_archive(str(archive), str(root))
        else:
            root.mkdir(parents=True, exist_ok=True)
            cls = _cifar_class()
            download_and_extract_archive(cls.url, str(root), filename=cls.filename, md5=cls.tgz_md5)
    except Exception as error:  # no network (URLError), a full disk (OSError), a corrupt download (RuntimeError)
        what = f"unpacked from {archive}" if official else "downloaded (no network?)"
        raise CifarError(f"{_TITLE} could not be {what}: {error}. {_where_to_put(root)}") from error


def _problem(root: Path, folder: Path, missing: list[str], altered: list[str]) -> str:
    """The message for files still missing or altered: which ones, where, and what to put there."""
    archive = archive_path(root)
    parts = []
    if altered:
        parts.append(
            f"{_TITLE} files in {folder} do not match the official checksums (corrupt, incomplete or altered), so "
            f"they were not read: {', '.join(altered)}. Delete them and put the official files there"
        )
    if missing:
        _, files = cifar_files(root)
        which = f"in {folder}" if len(missing) == len(files) else f"in {folder}: {', '.join(missing)} are missing"
        parts.append(f"{_TITLE} files were not found {which}")
    message = ". ".join(parts) + "."
    if archive.is_file() and not _archive_ok(archive):
        message += f" The archive {archive} does not match the official checksum: it was not unpacked."
    return f"{message} {_where_to_put(root)}"


def _where_to_put(root: Path) -> str:
    folder, files = cifar_files(root)
    return (
        f"Put {', '.join(files)} in {folder} — or just the official archive {_cifar_class().filename} in {root} "
        "(it is enough: it is checked and unpacked there)."
    )


def _archive_ok(archive: Path) -> bool:
    from torchvision.datasets.utils import check_integrity

    return check_integrity(str(archive), _cifar_class().tgz_md5)


def _split(folder: Path, data: np.ndarray, targets: list[int], class_count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """One split as torchvision returns it (N×32×32×3 uint8, a list of labels) as uint8 N×3×32×32 and int64 labels."""
    data = np.asarray(data)
    if data.dtype != np.uint8 or data.ndim != 4 or data.shape[3] != 3 or len(targets) != len(data):
        raise CifarError(
            f"{_TITLE} files in {folder} hold unexpected shapes (images {data.shape}, {len(targets)} labels). "
            "Delete them and download again."
        )
    labels = torch.as_tensor(np.asarray(targets, dtype=np.int64))
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= class_count):
        raise CifarError(
            f"{_TITLE} labels in {folder} are corrupt: they must lie between 0 and {class_count - 1}. Delete the files "
            "and download them again."
        )
    images = torch.from_numpy(np.ascontiguousarray(data.transpose(0, 3, 1, 2)))
    return images, labels
