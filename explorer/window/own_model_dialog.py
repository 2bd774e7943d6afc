"""File › Open your own model…: the code file, its class and arguments, the weights and the data set, and the
question before the user's code runs.

The code file is Python: it runs only after the user said so, once per file content. The dialog shows the file and
asks; a yes is remembered in QSettings under the file's SHA-256, so an unchanged file is not asked about again and a
changed one is. The SHA-256 the user consented to is the one the model's source records: core checks the file
against it when it imports the file, so a file changed after the question is refused, never run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from core.settings import DATASET_NAMES, ModelSource, dataset_title

#: QSettings group of the code files the user agreed to run, by SHA-256 (the value: the path it had then).
TRUSTED_KEY = "trusted-model-code"
#: The most of a code file the question shows (a model definition is a few KB).
SHOWN_BYTES = 64 * 1024


@dataclass(frozen=True)
class OwnModelChoice:
    """What the dialog asks for."""

    code: Path
    class_name: str
    args_json: str
    weights: Path | None  # None when the module is to be trained here from its own initial weights
    dataset: str


class OwnModelDialog(QDialog):
    """The five fields; OK only with a code file, a class, JSON arguments and a weights file."""

    def __init__(self, parent: QWidget | None = None, start_folder: str = "", for_training: bool = False) -> None:
        super().__init__(parent)
        self.for_training = for_training  # the training form's "Your own model…": no weights, its data set
        self.setWindowTitle("Train your own model" if for_training else "Open your own model")
        self._folder = start_folder
        self.code = QLineEdit(placeholderText="model.py")
        self.class_name = QLineEdit(placeholderText="AutoEncoder")
        self.args = QLineEdit("{}")
        self.weights = QLineEdit(placeholderText="weights.safetensors, .pt, .pth or Lightning .ckpt")
        self.dataset = QComboBox()
        for name in DATASET_NAMES:
            self.dataset.addItem(dataset_title(name), name)
        form = QFormLayout(self)
        form.addRow("Code file", self._with_browse(self.code, "Python files (*.py)"))
        form.addRow("Class", self.class_name)
        form.addRow("Arguments (JSON)", self.args)
        if not for_training:  # a new run starts from the module's own initial weights, on the form's data set
            form.addRow("Weights", self._with_browse(self.weights, "Weights (*.safetensors *.pt *.pth *.ckpt)"))
            form.addRow("Data set", self.dataset)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for field in (self.code, self.class_name, self.args, self.weights):
            field.textChanged.connect(self._check)
        self._check()

    def _with_browse(self, field: QLineEdit, filter_text: str) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field)
        button = QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(field, filter_text))
        layout.addWidget(button)
        return row

    def _browse(self, field: QLineEdit, filter_text: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", self._folder, f"{filter_text};;All files (*)")
        if path:
            field.setText(path)

    def choice(self) -> OwnModelChoice | None:
        """The fields as a choice, or None while one is missing or the arguments are not a JSON object."""
        code, weights, name = self.code.text().strip(), self.weights.text().strip(), self.class_name.text().strip()
        try:
            args = json.loads(self.args.text() or "{}")
        except ValueError:
            return None
        if not (code and (weights or self.for_training) and name.isidentifier() and isinstance(args, dict)):
            return None
        return OwnModelChoice(
            Path(code).expanduser(), name, json.dumps(args, sort_keys=True),
            Path(weights).expanduser() if weights else None, str(self.dataset.currentData()),
        )  # fmt: skip

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.choice() is not None)


def code_digest(path: Path) -> tuple[str, str]:
    """(SHA-256, the text shown) of a code file; OSError when it cannot be read."""
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), data[:SHOWN_BYTES].decode("utf-8", errors="replace")


def is_trusted(settings: QSettings, digest: str) -> bool:
    return settings.value(f"{TRUSTED_KEY}/{digest}") is not None


def trust_question(parent: QWidget, path: Path, digest: str, text: str) -> QMessageBox:
    """Run this file? The file's text in the details; Yes is remembered for this content."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Run your model's code?",
        f"Opening this model runs the Python code in {path}. Run it only if you trust it.",
        buttons.Yes | buttons.No,
        parent,
    )
    box.setInformativeText(f"SHA-256 {digest[:16]}…: you are asked again only if the file changes.")
    box.setDetailedText(text)
    box.setDefaultButton(buttons.No)
    return box


def source_for(choice: OwnModelChoice, digest: str) -> ModelSource:
    """The model's source with the SHA-256 the user agreed to (a file changed since is refused when imported)."""
    return ModelSource(str(choice.code.resolve()), choice.class_name, choice.args_json, digest)


def code_to_ask_about(checkpoint: Path) -> tuple[Path, str, str] | None:
    """(code file, SHA-256, its text) when opening `checkpoint` would run a user's code that is still as recorded.

    None for a checkpoint of the lecture's networks, for one this app wrote after a yes or a --model-code (the
    per-user folder of opened models), and for a recorded file that is missing or changed: core refuses those when
    it imports them and names the file it needs, so there is nothing to ask. Reads the header alone (a few KB) of a
    regular file, so a FIFO named like a checkpoint cannot block the window.
    """
    from core.files.checkpoint_header import read_app_metadata
    from core.runs.own_model import own_models_folder

    checkpoint = Path(checkpoint)
    if not checkpoint.is_file() or checkpoint.resolve().parent == own_models_folder().resolve():
        return None
    meta = read_app_metadata(checkpoint)
    config = meta.get("model_config") if meta else None
    source = config.get("source") if isinstance(config, dict) else None
    if not isinstance(source, dict) or not isinstance(source.get("path"), str):
        return None
    code = Path(source["path"])
    try:
        if not code.is_file():
            return None
        digest, text = code_digest(code)
    except OSError:
        return None
    return (code, digest, text) if digest == source.get("sha256") else None
