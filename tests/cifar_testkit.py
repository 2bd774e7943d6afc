"""CIFAR-10 files written in the real format (for the core and GUI tests), and torchvision's checksum list pointed at
them where a test must load them.

The real files are Python 2 pickles (protocol 2) of dicts whose keys and strings are Python 2 `str`, written with
the SHORT_BINSTRING / BINSTRING opcodes; `data` is a numpy uint8 array of N×3072 (1,024 red, then green, then blue
values, rows top to bottom), `labels` a list of ints. Python 3's pickler never writes those opcodes for bytes, so
`Py2Pickler` does, as Python 2 did: the files then read as the real ones do (`encoding="latin1"` gives str keys,
`encoding="bytes"` gives b'data').
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
FOLDER, ARCHIVE = "cifar-10-batches-py", "cifar-10-python.tar.gz"


class Py2Pickler(pickle._Pickler):  # the pure-Python pickler: its dispatch table can be extended
    """Writes bytes as Python 2 `str` (SHORT_BINSTRING / BINSTRING), as the pickles of CIFAR-10 hold them."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj: object) -> bytes:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class CifarFiles:
    root: Path
    train_images: np.ndarray  # N×3×32×32 uint8, in file order
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    @property
    def folder(self) -> Path:
        return self.root / FOLDER

    def names(self) -> list[str]:
        return [*TRAIN_BATCHES, "test_batch", "batches.meta"]


def coloured_images(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    """N×3×32×32 uint8: noise over a class colour, so channels differ (a grey mix-up of channels shows)."""
    hues = np.array([[c * 25 % 256, (c * 97 + 60) % 256, (c * 151 + 120) % 256] for c in range(10)], np.int32)
    noise = rng.integers(-40, 41, (len(labels), 3, 32, 32))
    images = np.clip(hues[labels][:, :, None, None] + noise, 0, 255).astype(np.uint8)
    images[:, :, :4, :4] = rng.integers(0, 256, (len(labels), 3, 4, 4), dtype=np.uint8)  # 0 and 255 occur
    return images


def _batch(images: np.ndarray, labels: np.ndarray, name: str) -> dict:
    return {
        b"batch_label": name.encode(),
        b"labels": [int(v) for v in labels],
        b"data": images.reshape(len(images), 3072),  # rows of R(1024) G(1024) B(1024), as CIFAR-10's
        b"filenames": [f"image_{i:05d}.png".encode() for i in range(len(images))],
    }


def write_cifar(root: Path, per_batch: int = 20, seed: int = 0) -> CifarFiles:
    """root/cifar-10-batches-py with five training batches, a test batch and batches.meta, `per_batch` images each."""
    rng = np.random.default_rng(seed)
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    labels = rng.integers(0, 10, 6 * per_batch)
    labels[:10] = np.arange(10)  # every class occurs
    images = coloured_images(rng, labels)
    for i, name in enumerate((*TRAIN_BATCHES, "test_batch")):
        part = slice(i * per_batch, (i + 1) * per_batch)
        (folder / name).write_bytes(py2_pickle(_batch(images[part], labels[part], f"batch {i + 1} of 5")))
    meta = {b"num_cases_per_batch": per_batch, b"label_names": [c.encode() for c in CLASSES], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(py2_pickle(meta))
    cut = 5 * per_batch
    return CifarFiles(root, images[:cut], labels[:cut], images[cut:], labels[cut:])


def write_archive(files: CifarFiles) -> Path:
    """The folder packed as the official archive is (cifar-10-python.tar.gz holding cifar-10-batches-py/…)."""
    archive = files.root / ARCHIVE
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(files.folder, arcname=FOLDER)
    return archive


def trust_these_files(monkeypatch: pytest.MonkeyPatch, files: CifarFiles, archive: Path | None = None) -> None:
    """Point torchvision's list of official checksums at these test files (only in tests that must load them)."""
    from torchvision.datasets import CIFAR10

    folder = files.folder
    monkeypatch.setattr(CIFAR10, "train_list", [[name, md5(folder / name)] for name in TRAIN_BATCHES])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5(folder / "test_batch")]])
    meta = {**CIFAR10.meta, "md5": md5(folder / "batches.meta")}
    monkeypatch.setattr(CIFAR10, "meta", meta)
    if archive is not None:
        monkeypatch.setattr(CIFAR10, "tgz_md5", md5(archive))
