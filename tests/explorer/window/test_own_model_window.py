"""The window on a user's own module: a checkpoint of one opens with its points, grids and hover, as the lecture's
network's do (File › Open, and `open --model-code`, which writes such a checkpoint and opens it)."""

from __future__ import annotations

import numpy as np
import torch
from gui_testkit import DecodeCounter, hover_at, wait_for_snapshot
from own_model_kit import MLP, write_module
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.model.own_code import build_module, source_of
from core.model.own_module import probe
from core.settings import TrainConfig
from core.training.engine import Trainer


def test_a_checkpoint_of_a_users_module_opens_with_points_grids_and_hover(qtbot, window, tmp_path):
    data = load_builtin_digits()
    config = probe(source_of(write_module(tmp_path, "mlp", MLP), "MLP"), data.train.images, beta=1.0)
    trainer = Trainer(data, TrainConfig(epochs=1, device="cpu", num_threads=1, display_size=200), config)
    for _ in trainer.run(snapshots=False):
        pass
    path = save_checkpoint(tmp_path / "own.safetensors", Checkpoint.from_trainer(trainer))
    asked = []

    def answer(reply):
        def act(box) -> None:
            asked.append(box.text())
            box.button(reply).click()

        return act

    # opening it runs the module's file: the window asks first, and a No opens nothing
    _when_shown(qtbot, lambda: getattr(window.files, "trust_question", None), answer(QMessageBox.StandardButton.No))
    assert not window.open_checkpoint(path)
    assert len(asked) == 1 and "mlp" in asked[0] and window.session.model is None
    window.files.trust_question = None
    _when_shown(qtbot, lambda: window.files.trust_question, answer(QMessageBox.StandardButton.Yes))
    assert window.open_checkpoint(path)
    assert len(asked) == 2
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.latent.points.count > 0
    assert window.grids.rows is not None and window.grids.rows[0].shape[1:] == (1, 28, 28)
    decoded = DecodeCounter(window)
    x, y = window.session.view.xy[0]
    hover_at(qtbot, window, float(x), float(y))
    qtbot.waitUntil(lambda: decoded.last is not None, timeout=10_000)
    net = trainer.model.net.eval()  # the hover's image is the module's own decode of the hovered code
    with torch.no_grad():
        own = net.decode(torch.from_numpy(np.asarray(decoded.last.code, np.float32))[None])[0].numpy()
    np.testing.assert_allclose(decoded.last.image, own, atol=1e-5)
    window.files.trust_question = None  # the same file content again: not asked (its SHA-256 is remembered)
    assert window.open_checkpoint(path)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.files.trust_question is None and len(asked) == 2


def _when_shown(qtbot, find, act) -> None:
    """Run `act` on the modal widget `find()` returns, once it is shown (a dialog's exec() holds the test's call)."""

    def attempt() -> None:
        widget = find()
        if widget is None or not widget.isVisible():
            QTimer.singleShot(20, attempt)
            return
        act(widget)

    QTimer.singleShot(0, attempt)


def test_file_open_your_own_model_asks_once_per_file_content_then_opens_it(qtbot, window, tmp_path):
    code = write_module(tmp_path, "mlp", MLP)
    data = load_builtin_digits()
    net = build_module(source_of(code, "MLP"))
    torch.save({"state_dict": {f"model.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "last.ckpt")
    files = window.files
    asked = []

    def fill(dialog) -> None:
        dialog.code.setText(str(code))
        dialog.class_name.setText("MLP")
        dialog.weights.setText(str(tmp_path / "last.ckpt"))
        dialog.dataset.setCurrentIndex(dialog.dataset.findData(data.name))
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def agree(box) -> None:
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    _when_shown(qtbot, lambda: getattr(files, "own_model_dialog", None), fill)
    _when_shown(qtbot, lambda: getattr(files, "trust_question", None), agree)
    window.menus.action("open-own-model").trigger()
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert len(asked) == 1 and str(code) in asked[0]
    assert window.session.info.model_config.source.class_name == "MLP"
    codes = window.session.view.snapshot.codes
    with torch.no_grad():
        own = net.eval().encode(torch.from_numpy(window.session.view.snapshot.display_images).float() / 255)
    np.testing.assert_allclose(codes, own.numpy(), atol=1e-5)

    files.trust_question = None  # the same file again: no question (its SHA-256 is remembered)
    files.own_model_dialog = None
    _when_shown(qtbot, lambda: files.own_model_dialog, fill)
    window.menus.action("open-own-model").trigger()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert files.trust_question is None and len(asked) == 1


def test_the_training_forms_your_own_model_trains_the_users_module_here(qtbot, window, tiny_mnist, tmp_path):
    """Model › "Your own model…" (real keys on the box), the module's file and class, the question, then Train: the
    run trains the user's module on the form's data set, its latent size the module's own."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    code = write_module(tmp_path, "mlp", MLP)
    controls, files = window.controls, window.files
    asked = []

    def fill(dialog) -> None:
        assert dialog.for_training and not dialog.weights.isVisible()  # trained here: no weights to name
        dialog.code.setText(str(code))
        dialog.class_name.setText("MLP")
        dialog.args.setText('{"latent": 3}')
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    def agree(box) -> None:
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Yes).click()

    controls.dataset.setCurrentIndex(controls.dataset.findData("mnist"))
    controls.epochs.setValue(1)
    _when_shown(qtbot, lambda: getattr(files, "own_model_dialog", None), fill)
    _when_shown(qtbot, lambda: getattr(files, "trust_question", None), agree)
    controls.model.setFocus()
    while controls.model.currentData() != "own":  # the last entry: Down until it is chosen, as a user would
        QTest.keyClick(controls.model, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: controls.own_source is not None, timeout=10_000)
    assert len(asked) == 1 and "MLP" in controls.model.currentText() and not controls.latent_dim.isEnabled()
    QTest.mouseClick(controls.train_button, Qt.MouseButton.LeftButton)
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    config = window.session.info.model_config
    assert config.source.class_name == "MLP" and config.latent_dim == 3
    assert window.session.view.snapshot.codes.shape[1] == 3
