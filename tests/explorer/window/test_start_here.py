"""The empty window says where to start: three clickable first steps over the empty latent plot, the first of which
trains the lecture's network on the built-in digits; the empty docks say what will appear in them.

Real window, real clicks; the one real run is stopped as soon as it has begun.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QFileDialog

from core.settings import BUILTIN_DATASET
from explorer.training.grids_panel import EMPTY_TEXT
from explorer.training.loss_panel import EMPTY_SUMMARY


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())


def test_the_empty_window_says_where_to_start(qtbot, window) -> None:
    card = window.start_here
    qtbot.waitUntil(card.isVisible)
    plot = window.latent.plot
    assert QRect(0, 0, plot.width(), plot.height()).contains(card.geometry()), "the card leaves the plot"
    for button in (card.train_button, card.open_button, card.own_button):
        assert button.isVisible() and card.rect().contains(button.geometry()), f"{button.text()} is cut"
    assert card.train_button.text() == "Train the lecture's network"
    assert card.train_button.isDefault()
    assert window.grids.view.text() == EMPTY_TEXT
    assert window.loss.summary.text() == EMPTY_SUMMARY


def test_start_here_trains_the_lecture_network_on_the_built_in_digits(qtbot, window) -> None:
    controls = window.controls
    controls.model.setCurrentIndex(controls.model.findData("variational"))
    controls.latent_dim.setValue(5)
    click(qtbot, window.start_here.train_button)
    qtbot.waitUntil(lambda: window.session.info is not None, timeout=60_000)
    info = window.session.info
    assert (info.dataset, info.model_config.kind, info.model_config.latent_dim) == (BUILTIN_DATASET, "autoencoder", 2)
    assert window.session.training
    qtbot.waitUntil(lambda: not window.start_here.isVisible())
    window.stop_training()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert not window.start_here.isVisible(), "the card came back over a trained model"


def test_start_here_opens_a_model_or_offers_your_own_images(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (asked.append("open"), ("", ""))[1])
    click(qtbot, window.start_here.open_button)
    assert asked == ["open"]
    pets = tmp_path / "pets"
    pets.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(pets))
    click(qtbot, window.start_here.own_button)
    assert window.controls.dataset_name == f"folder:{pets}"
    assert window.controls.dataset.currentText() == "Folder: pets"
    assert window.start_here.isVisible(), "choosing data trains nothing yet: the card stays"
