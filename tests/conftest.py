"""Shared fixtures for the core tests: tiny real data sets (built-in digits, IDX files on disk), subprocess setup.

No Qt here: the GUI tests keep their own conftest. Plain helper functions live in core_testkit.py.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.data.datasets import ImageDataset, ImageSplit, load_builtin_digits

# pytest may import this file as `tests.conftest`; make the helper module importable by its plain name either way.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from core_testkit import REPO_ROOT, spread_indices, write_idx_set


@pytest.fixture(scope="session")
def digits() -> ImageDataset:
    """The built-in 5,000 digits: real images, loaded once (fast, and needs no network)."""
    return load_builtin_digits()


@pytest.fixture(scope="session")
def digits_subset(digits: ImageDataset) -> Callable[[int], ImageDataset]:
    """Make a small, evenly spread sample of digits-5k (it is sorted by class) that keeps the name, so
    checkpoints of it resume on it."""

    def make(count: int) -> ImageDataset:
        pick = spread_indices(len(digits.train), count)
        return ImageDataset(
            digits.name, ImageSplit(digits.train.images[pick], digits.train.labels[pick]), None, digits.classes
        )

    return make


@pytest.fixture(scope="session")
def idx_root(tmp_path_factory: pytest.TempPathFactory, digits: ImageDataset) -> Path:
    """A data folder holding MNIST as real IDX files: 128 training and 32 test images taken from digits-5k."""
    root = tmp_path_factory.mktemp("idx-data")
    pick = spread_indices(len(digits.train), 160)
    images = digits.train.images[pick, 0].numpy()
    labels = digits.train.labels[pick].numpy().astype(np.uint8)
    write_idx_set(root, "MNIST", (images[:128], labels[:128]), (images[128:], labels[128:]))
    return root


@pytest.fixture(scope="session")
def subprocess_env() -> dict[str, str]:
    """Environment for child Pythons: unbuffered, the repo importable, no data dir leaking in from the user."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("CONVAE_DATA_DIR", None)
    return env
