"""One source of truth: the window's widgets and the command line are generated from core.settings and agree.
Also the window's side of reading what it did not write itself: settings files, pyqtgraph internals."""

from __future__ import annotations

import argparse
import logging

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings

from core.commands.main import build_parser
from core.settings import DATASETS, DEFAULT_DATASET, SETTINGS
from explorer.training.controls_panel import ControlsPanel
from explorer.utils.file_dialogs import with_suffix_kept
from explorer.window.main_window import MainWindow


def train_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["train"]


def test_widgets_cli_and_config_agree_on_every_range_and_default(qtbot) -> None:
    controls = ControlsPanel()
    qtbot.addWidget(controls)
    train = train_parser()
    defaults = train.parse_args([])
    for name, setting in SETTINGS.items():
        assert getattr(defaults, name) == setting.default, name
        high = setting.kind(setting.high)
        assert getattr(train.parse_args([setting.flag, str(high)]), name) == high
        with pytest.raises(SystemExit):
            train.parse_args([setting.flag, str(high + 1)])
        if not setting.in_window:
            continue
        box = controls.spins[name]
        assert box.value() == pytest.approx(setting.default), name
        assert box.maximum() == pytest.approx(setting.high), name
        assert box.minimum() == pytest.approx(setting.gui_low if setting.low_open else setting.low), name
        setting.check(setting.kind(box.minimum()))  # the smallest value the box offers is valid
    names = [controls.dataset.itemData(i) for i in range(controls.dataset.count())]
    assert names == list(DATASETS) and controls.dataset_name == DEFAULT_DATASET
    assert train.parse_args([]).dataset is None  # chosen at run time: DEFAULT_DATASET, or the checkpoint's


def test_a_bad_settings_value_is_dropped_with_a_log_line(qtbot, tmp_path, caplog) -> None:
    """`geometry=1` or a panel layout of `abc` once stopped the app at every launch."""
    path = str(tmp_path / "s.ini")
    settings = QSettings(path, QSettings.Format.IniFormat)
    for key, value in {
        "window/geometry": 1, "window/docks": "abc",
        "train/epochs": "many", "train/lr": "1e9", "train/seed": -5, "loss/log_scale": "perhaps",
    }.items():  # fmt: skip
        settings.setValue(key, value)
    settings.sync()
    with caplog.at_level(logging.WARNING):
        window = MainWindow(QSettings(path, QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window)
    window.show()
    assert window.controls.epochs.value() == SETTINGS["epochs"].default
    assert window.controls.lr.value() == pytest.approx(SETTINGS["lr"].default)
    assert window.controls.seed.value() == SETTINGS["seed"].default
    assert not window.loss.log_box.isChecked()
    logged = caplog.text
    for key in ("window/geometry", "window/docks", "loss/log_scale"):
        assert key in logged
    window.close()


def test_a_typed_name_keeps_its_dots_and_gains_the_suffix() -> None:
    from pathlib import Path

    assert with_suffix_kept(Path("/x/experiment.v2"), ".safetensors") == Path("/x/experiment.v2.safetensors")
    assert with_suffix_kept(Path("/x/model.SafeTensors"), ".safetensors") == Path("/x/model.SafeTensors")
    assert with_suffix_kept(Path("/x/loss"), ".csv") == Path("/x/loss.csv")


def test_the_pyqtgraph_internals_the_latent_panel_gates_are_there() -> None:
    """LatentPanel wraps GraphicsScene.sendHoverEvents(event, exitOnly) and reads the scene's hoverItems; a
    pyqtgraph release that renames them would silently bring back ~1 ms per mouse move, or switch off the path
    pins' highlight. pyproject.toml bounds the version too."""
    import inspect

    from pyqtgraph.GraphicsScene import GraphicsScene

    assert list(inspect.signature(GraphicsScene.sendHoverEvents).parameters) == ["self", "ev", "exitOnly"]
    assert hasattr(GraphicsScene(), "hoverItems")
    major, minor = (int(part) for part in pg.__version__.split(".")[:2])
    assert (0, 13) <= (major, minor) < (0, 15)


def test_a_suffix_added_after_the_dialog_never_replaces_a_file_unasked(qtbot, tmp_path, monkeypatch) -> None:
    """The user types `model`; `model.safetensors` exists but the dialog never showed it: we ask first."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

    from explorer.utils.file_dialogs import FileDialogs

    parent = QWidget()
    qtbot.addWidget(parent)
    dialogs = FileDialogs(parent, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    (tmp_path / "model.safetensors").write_text("another model")
    # the file dialog itself is the platform's; it answers with the name as typed
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "model"), ""))
    for button, expected in ((QMessageBox.StandardButton.No, None), (QMessageBox.StandardButton.Yes, "model")):

        def answer(button=button) -> None:
            box = getattr(dialogs, "question", None)
            if box is None or not box.isVisible():
                QTimer.singleShot(10, answer)
                return
            box.button(button).click()

        QTimer.singleShot(0, answer)
        chosen = dialogs.save_as("Save", "x.safetensors", "Checkpoints (*.safetensors)", ".safetensors")
        assert (chosen is None) if expected is None else chosen == tmp_path / "model.safetensors"
        dialogs.question = None
    assert (tmp_path / "model.safetensors").read_text() == "another model"  # asking wrote nothing
