"""The window's questions and notes that need an answer or a read: unsaved model, About."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from core import __version__


def unsaved_model_question(parent: QWidget, reason: str) -> QMessageBox:
    """Save / Discard / Cancel for a model that exists nowhere else (its autosave failed for `reason`)."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Unsaved model",
        f"The current model could not be saved automatically ({reason}). Save it before it is replaced?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        parent,
    )
    box.setDefaultButton(buttons.Save)
    return box


def show_about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        "About convae-explorer",
        f"<b>convae-explorer {__version__}</b><p>Train a convolutional autoencoder while you watch, then explore "
        "what it learned by moving the mouse through its latent space.</p><p>Network: the convolutional "
        "autoencoder of Sebastian Raschka's lecture L16. Built-in digits: 5,000 MNIST images "
        "(LeCun, Cortes, Burges; CC BY-SA 3.0).</p>",
    )
