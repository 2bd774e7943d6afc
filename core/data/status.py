"""What each known data set needs on disk, what is there, and how to get the rest: the window's "Data sets…" view.

For every name in core.settings.DATASETS (whatever other modules add there) it reads the torchvision class behind it
and says which folder and files it needs, which are present, and whether the downloaded archives are enough.

The truth about archives (torchvision 0.2x, datasets/mnist.py and cifar.py): torchvision *reads* only the unpacked
files (`train-images-idx3-ubyte`, …; CIFAR's `data_batch_1`, …). When it may download, it first looks for each
archive (`train-images-idx3-ubyte.gz`, `cifar-10-python.tar.gz`) in the folder and, if that file's MD5 checksum is
the official one, unpacks it without touching the network. So the `.gz` archives are enough as long as they are the
official files and downloads are allowed (the window always allows them; `--no-download` does not).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import urlparse

from core.settings import BUILTIN_DATASET, DATASETS


class State(Enum):
    BUILT_IN = "built in"
    INSTALLED = "installed"
    ARCHIVES = "archives here: unpacked on first use"
    INCOMPLETE = "incomplete"
    MISSING = "not installed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Archive:
    """One file a download fetches: where it goes, its official checksum, and the addresses that serve it."""

    folder: Path
    name: str
    md5: str
    urls: tuple[str, ...]

    @property
    def path(self) -> Path:
        return self.folder / self.name


@dataclass(frozen=True)
class DataSetStatus:
    name: str
    label: str
    state: State
    folder: Path | None = None  # where the unpacked files go
    files: tuple[str, ...] = ()  # the unpacked files it reads
    missing: tuple[str, ...] = ()  # of those, the ones not there
    archives: tuple[Archive, ...] = ()  # what a download fetches (and what is enough in its place)
    archives_present: tuple[str, ...] = ()  # archives there with the official checksum

    @property
    def installed(self) -> bool:
        return self.state in (State.BUILT_IN, State.INSTALLED, State.ARCHIVES)

    @property
    def downloadable(self) -> bool:
        return bool(self.archives) and self.state is not State.INSTALLED

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(urlparse(url).hostname or url for a in self.archives for url in a.urls))

    def details(self) -> str:
        """Sentences naming the folder and the files, and whether the archives are enough."""
        if self.state is State.BUILT_IN:
            return "Ships with convae-explorer: 5,000 MNIST digits, no files or network needed."
        if self.state is State.UNKNOWN:
            return "convae-explorer does not know which files this data set needs."
        archive_names = ", ".join(a.name for a in self.archives)
        archive_folder = self.archives[0].folder if self.archives else self.folder
        lines = []
        if self.state is State.INSTALLED:
            lines.append(f"Installed in {self.folder}.")
        elif self.state is State.ARCHIVES:
            lines.append(
                f"The official archives are in {archive_folder}: they are unpacked into {self.folder} on first "
                "use, with no network."
            )
        else:
            lines.append(f"Needs {', '.join(self.files)} in {self.folder}.")
            if self.state is State.INCOMPLETE:
                lines.append(f"Missing: {', '.join(self.missing)}.")
        if self.state is not State.INSTALLED and self.archives:
            lines.append(
                f"The downloaded archives are enough instead ({archive_names} in {archive_folder}), if they are "
                "the official files (their checksums are checked)."
            )
        return " ".join(lines)


def status_of(name: str, root: Path) -> DataSetStatus:
    """What data set `name` needs under the data folder `root`, and what is there."""
    label = DATASETS.get(name, name)
    if name == BUILTIN_DATASET:
        return DataSetStatus(name, label, State.BUILT_IN)
    source = _torchvision_source(name)
    if source is None:
        return DataSetStatus(name, label, State.UNKNOWN)
    folder, files, archives = _needs(source, Path(root))
    missing = tuple(f for f in files if not (folder / f).is_file())
    present = tuple(a.name for a in archives if _official(a))
    if not missing:
        state = State.INSTALLED
    elif archives and len(present) == len(archives):
        state = State.ARCHIVES
    elif len(missing) < len(files):
        state = State.INCOMPLETE
    else:
        state = State.MISSING
    return DataSetStatus(name, label, state, folder, tuple(files), missing, tuple(archives), present)


def all_statuses(root: Path) -> list[DataSetStatus]:
    """status_of for every data set the app knows, in the window's order."""
    return [status_of(name, root) for name in DATASETS]


def network_reaches(status: DataSetStatus, timeout_s: float = 3.0) -> bool:
    """Whether one of the hosts `status` downloads from answers a connection within `timeout_s` (off the GUI)."""
    addresses = []
    for url in (url for archive in status.archives for url in archive.urls):
        parts = urlparse(url)
        address = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        if address not in addresses:  # each host once: a firewalled one costs `timeout_s`
            addresses.append(address)
    for address in addresses:
        try:
            with socket.create_connection(address, timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def archives_of(name: str, root: Path) -> tuple[Archive, ...]:
    source = _torchvision_source(name)
    return () if source is None else _needs(source, Path(root))[2]


def _torchvision_source(name: str):
    """The torchvision class that reads `name`, or None when it is not read through torchvision."""
    from core.data import datasets

    if name not in getattr(datasets, "_TORCHVISION_CLASS_NAMES", {}):
        return None
    return datasets._torchvision_class(name)


def _needs(cls, root: Path) -> tuple[Path, list[str], tuple[Archive, ...]]:
    """(folder of the unpacked files, their names, the archives a download fetches) for a torchvision class."""
    if hasattr(cls, "resources") and hasattr(cls, "mirrors"):  # MNIST and its kin: root/Class/raw, one .gz a file
        folder = root / cls.__name__ / "raw"
        files = [Path(name).stem for name, _ in cls.resources]
        archives = tuple(
            Archive(folder, name, md5, tuple(f"{mirror}{name}" for mirror in cls.mirrors))
            for name, md5 in cls.resources
        )
        return folder, files, archives
    if hasattr(cls, "base_folder") and hasattr(cls, "train_list"):  # CIFAR: one .tar.gz unpacked into root
        folder = root / cls.base_folder
        files = [name for name, _ in (*cls.train_list, *cls.test_list)] + [cls.meta["filename"]]
        return folder, files, (Archive(root, cls.filename, cls.tgz_md5, (cls.url,)),)
    return root, [], ()


def _official(archive: Archive) -> bool:
    if not archive.path.is_file():
        return False
    from torchvision.datasets.utils import check_integrity

    return bool(check_integrity(str(archive.path), archive.md5))
