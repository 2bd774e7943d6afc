"""Fixtures for GUI tests: real widgets on Qt's offscreen platform, tiny real MNIST files, no leftover threads."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from core_testkit import write_idx_set
from PySide6.QtCore import QSettings

from core.data.datasets import load_builtin_digits
from explorer.app import create_application
from explorer.window.main_window import MainWindow


def write_tiny_mnist(root: Path, train: int = 256, test: int = 64) -> Path:
    """Real digits (from the built-in set) as MNIST IDX files under root/MNIST/raw, as torchvision expects."""
    digits = load_builtin_digits().train
    images, labels = digits.images[:, 0].numpy(), digits.labels.numpy().astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(images))
    first, rest = order[:train], order[train : train + test]
    write_idx_set(root, "MNIST", (images[first], labels[first]), (images[rest], labels[rest]))
    return root


@pytest.fixture(scope="session")
def qapp_cls():
    return None


@pytest.fixture(scope="session")
def qapp():
    """The application exactly as the product creates it (style, pyqtgraph options)."""
    return create_application([])


@pytest.fixture
def tiny_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_tiny_mnist(tmp_path / "data")
    monkeypatch.setenv("CONVAE_DATA_DIR", str(root))
    return root


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def window(qapp, qtbot, tmp_path: Path, settings_path: Path) -> Iterator[MainWindow]:
    """A shown main window with its own settings file and autosave path; it must leave no thread behind."""
    win = MainWindow(QSettings(str(settings_path), QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    win.resize(1280, 860)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    assert win.session.runner.thread is None, "a training thread outlived its window"
