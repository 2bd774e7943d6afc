"""Helpers shared by the core tests (plain functions; the fixtures that use them live in conftest.py)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from core.data.datasets import ImageDataset
from core.events import Snapshot
from core.model.autoencoder import ModelConfig
from core.timelapse.recording import HistoryRecorder, RunHistory
from core.training.engine import TrainConfig, Trainer

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE_MAGIC = 0x00000803  # IDX: unsigned byte, 3 dimensions
LABEL_MAGIC = 0x00000801  # IDX: unsigned byte, 1 dimension
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
#: torchvision's folder name for each of our MNIST-family data set names.
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """An IDX file's bytes: big-endian magic, one big-endian u32 per dimension, then the raw uint8 data."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_set(
    root: Path, folder: str, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]
) -> Path:
    """Write the four IDX files torchvision reads into root/folder/raw; return that raw folder."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, (images, labels) in (("train", train), ("t10k", test)):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images, IMAGE_MAGIC))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels, LABEL_MAGIC))
    return raw


def spread_indices(total: int, count: int) -> torch.Tensor:
    """`count` indices spread evenly over `total`, so a small slice of a class-sorted set holds every class."""
    return torch.linspace(0, total - 1, count).round().long()


def fast_config(**overrides: object) -> TrainConfig:
    """A TrainConfig sized for tests: CPU, a small display set, few samples, one torch thread.

    One thread: on this 2-core machine a 2-thread torch step slows ~6× whenever another process (a parallel test
    run, a benchmark) competes for the cores, and only ~1.5× the other way round.
    """
    values: dict[str, object] = {
        "display_size": 64, "sample_count": 4, "epochs": 1, "device": "cpu", "num_threads": 1,
    }  # fmt: skip
    values.update(overrides)
    return TrainConfig(**values)  # type: ignore[arg-type]


def state_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    """Bit-for-bit equality of two state dicts (same keys, dtypes, shapes and values)."""
    return a.keys() == b.keys() and all(a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in a)


def gzip_archives(raw: Path, into: Path) -> list[tuple[str, str]]:
    """The IDX files of `raw` as .gz archives in `into`, and their (name, MD5) list as torchvision's `resources`."""
    import gzip
    import hashlib

    into.mkdir(parents=True, exist_ok=True)
    checksums = []
    for name in (*TRAIN_FILES, *TEST_FILES):
        packed = gzip.compress((raw / name).read_bytes())
        (into / f"{name}.gz").write_bytes(packed)
        checksums.append((f"{name}.gz", hashlib.md5(packed).hexdigest()))
    return checksums


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """A real HTTP server on this machine serving `folder` (a mirror standing in for the internet): its base URL."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def recorded_run(
    dataset: ImageDataset, latent: int = 2, epochs: int = 3, budget: int = 200 << 20, batch_size: int = 32
) -> tuple[Trainer, RunHistory, list[Snapshot]]:
    """A real run with a snapshot after every step, each recorded and each with its own errors."""
    config = fast_config(
        epochs=epochs, snapshot_interval_s=1e-6, snapshot_budget=1.0, errors_budget=1.0, batch_size=batch_size
    )
    trainer = Trainer(dataset, config, ModelConfig(latent_dim=latent))
    history = RunHistory(budget_bytes=budget)
    recorder = HistoryRecorder(history, trainer.model_config)
    snapshots = []
    for event in trainer.run():
        recorder.consume(event)
        if isinstance(event, Snapshot):
            snapshots.append(event)
    return trainer, history, snapshots
