"""Training settings and the Train / Pause / Stop buttons. Widgets bound their values: nothing invalid can be typed."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.config import DATASET_NAMES, TrainConfig

DATASET_LABELS = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "kmnist": "KMNIST",
    "digits-5k": "Built-in digits (5,000)",
}


def available_devices() -> list[str]:
    """Devices torch can train on here (imports torch: call it once torch is loaded)."""
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


class ControlsPanel(QWidget):
    trainRequested = Signal()
    continueRequested = Signal()
    pauseToggled = Signal()
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TrainConfig()
        self.dataset = QComboBox()
        for name in DATASET_NAMES:
            self.dataset.addItem(DATASET_LABELS.get(name, name), name)
        self.latent_dim = self._spin(1, 64, 2, "Size of the code each image is squeezed into (2 can be drawn directly)")
        self.epochs = self._spin(1, 10_000, defaults.epochs, "Passes over the training images")
        self.batch_size = self._spin(1, 4096, defaults.batch_size, "Images per optimizer step")
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(6)
        self.lr.setRange(0.000001, 10.0)
        self.lr.setSingleStep(0.0001)
        self.lr.setValue(defaults.lr)
        self.lr.setToolTip("Adam's learning rate (the lecture used 0.0005)")
        self.seed = self._spin(
            0, 2_147_483_647, defaults.seed, "Fixes initial weights and shuffling: same seed, same run"
        )
        self.device = QComboBox()
        for name in ("auto", "cpu"):  # GPUs are added by add_devices() once torch has loaded
            self.device.addItem(name, name)

        form = QFormLayout()
        form.addRow("Data set", self.dataset)
        form.addRow("Latent size", self.latent_dim)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Learning rate", self.lr)
        form.addRow("Seed", self.seed)
        form.addRow("Device", self.device)

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("primaryButton")
        self.train_button.setToolTip("Train a new model with these settings")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Keep training the current model up to the number of epochs above")
        self.continue_button.clicked.connect(self.continueRequested)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.train_button.clicked.connect(self.trainRequested)
        self.pause_button.clicked.connect(self.pauseToggled)
        self.stop_button.clicked.connect(self.stopRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(form)
        for pair in ((self.train_button, self.continue_button), (self.pause_button, self.stop_button)):
            row = QHBoxLayout()
            for button in pair:
                row.addWidget(button)
            layout.addLayout(row)
        self.set_running(False, paused=False)
        self.set_can_continue(False)

    @staticmethod
    def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        box.setGroupSeparatorShown(True)
        return box

    _can_continue = False

    def add_devices(self, names: list[str], settings: QSettings | None = None) -> None:
        """Offer the devices found once torch has loaded, and re-select the remembered one."""
        for name in names:
            if self.device.findData(name) < 0:
                self.device.addItem(name, name)
        if settings is not None:
            index = self.device.findData(settings.value("train/device"))
            if index >= 0:
                self.device.setCurrentIndex(index)

    def set_running(self, running: bool, paused: bool) -> None:
        for widget in (self.dataset, self.latent_dim, self.epochs, self.batch_size, self.lr, self.seed, self.device):
            widget.setEnabled(not running)
        self.train_button.setEnabled(not running)
        self.continue_button.setEnabled(not running and self._can_continue)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")

    def set_can_continue(self, possible: bool) -> None:
        self._can_continue = possible
        self.continue_button.setEnabled(possible and self.train_button.isEnabled())

    def show_run_settings(self, dataset: str, latent_dim: int, config: TrainConfig) -> None:
        """Reflect an opened model's settings, so Continue and Train start from what the user sees."""
        index = self.dataset.findData(dataset)
        if index >= 0:
            self.dataset.setCurrentIndex(index)
        self.latent_dim.setValue(latent_dim)
        self.epochs.setValue(config.epochs)
        self.batch_size.setValue(config.batch_size)
        self.lr.setValue(config.lr)
        self.seed.setValue(config.seed)

    def train_config(self, **extra) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs.value(),
            batch_size=self.batch_size.value(),
            lr=self.lr.value(),
            seed=self.seed.value(),
            device=self.device.currentData(),
            **extra,
        )

    @property
    def dataset_name(self) -> str:
        return self.dataset.currentData()

    def save(self, settings: QSettings) -> None:
        settings.setValue("train/dataset", self.dataset_name)
        settings.setValue("train/device", self.device.currentData())
        for key in ("latent_dim", "epochs", "batch_size", "seed"):
            settings.setValue(f"train/{key}", getattr(self, key).value())
        settings.setValue("train/lr", self.lr.value())

    def restore(self, settings: QSettings) -> None:
        for combo, key in ((self.dataset, "train/dataset"), (self.device, "train/device")):
            index = combo.findData(settings.value(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        for key in ("latent_dim", "epochs", "batch_size", "seed"):
            value = settings.value(f"train/{key}")
            if value is not None:
                with contextlib.suppress(TypeError, ValueError):
                    getattr(self, key).setValue(int(value))
        value = settings.value("train/lr")
        if value is not None:
            with contextlib.suppress(TypeError, ValueError):
                self.lr.setValue(float(value))
