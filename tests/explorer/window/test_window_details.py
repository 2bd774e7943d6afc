"""The details a careful user notices: the clicked point marked and forgotten with its model, tooltips, the title
and recent files, the shortcut sheet, equal scales, latent size 1, epoch lines of a checkpoint stopped mid-epoch,
and Continue saying it keeps the model's latent size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from gui_testkit import start_small_run, wait_for_snapshot, wait_until_idle
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QComboBox, QLabel

from core.files.checkpoint import load_checkpoint
from core.latent.plane import format_share
from explorer.window.main_window import MainWindow

REPO = Path(__file__).resolve().parents[3]


def train(window: MainWindow, epochs: int = 1, latent: int = 2) -> None:
    start_small_run(window, epochs, latent)


def test_the_clicked_point_is_ringed_and_forgotten_with_its_model(qtbot, window, tiny_mnist, tmp_path):
    train(window)
    wait_until_idle(qtbot, window)
    view = window.session.view
    window.run.show_point(7)
    ring = window.latent.marker
    assert ring.isVisible() and np.allclose([ring.pos().x(), ring.pos().y()], view.xy[7])
    assert not window.preview.picked_original.pixmap().isNull()
    path = window.session.autosave_file
    window.open_checkpoint(path)  # another model (the same file, opened): nothing of the last one stays
    wait_until_idle(qtbot, window)
    assert not window.latent.marker.isVisible() and window.latent.marked is None
    assert window.preview.picked_original.pixmap().isNull()
    assert window.preview.picked_label.text().startswith("Click a point")


def test_every_control_explains_itself(window):
    controls = window.controls
    widgets = [*controls.findChildren(QAbstractButton), *controls.findChildren(QComboBox)]
    widgets += list(controls.spins.values())
    widgets += [window.loss.log_box, window.latent.fit_button]
    missing = [w.text() if hasattr(w, "text") else type(w).__name__ for w in widgets if not w.toolTip()]
    assert missing == []
    assert isinstance(window.loss.log_box, QCheckBox)


def test_the_title_and_recent_files_name_the_open_checkpoint(qtbot, window, tiny_mnist, tmp_path):
    train(window)
    wait_until_idle(qtbot, window)
    assert window.windowTitle() == "new model — convae-explorer"
    saved = tmp_path / "experiment.v2.safetensors"
    window.save_checkpoint_to(saved)
    qtbot.waitUntil(lambda: window.windowTitle() == "experiment.v2.safetensors — convae-explorer", timeout=30_000)
    entries = [a.text() for a in window.menus.menu("recent").actions()]
    assert entries and entries[0].endswith("experiment.v2.safetensors")
    window.menus.menu("recent").actions()[0].trigger()  # reopening it from File › Open recent
    wait_until_idle(qtbot, window)
    assert window.session.current_file == saved.resolve()
    assert window.session.model.step == load_checkpoint(saved).progress.step


def test_the_shortcut_sheet_lists_every_key(qtbot, window):
    window.show_shortcuts()
    text = window.shortcuts.findChild(QLabel, "shortcutSheet").text()
    keys = [a.shortcut().toString() for a in window.menus.with_keys()]
    assert len(keys) >= 8 and all(key in text for key in keys)
    assert "Wheel" in text and "Click a point" in text
    window.shortcuts.close()


def test_principal_components_get_equal_scales_and_small_shares_read_truly(qtbot, window, tiny_mnist):
    assert [format_share(s) for s in (0.99, 0.041, 0.004, 0.00004, 0.0)] == ["99%", "4%", "0.4%", "0.004%", "0%"]
    train(window, latent=8)
    wait_until_idle(qtbot, window)
    wait_for_snapshot(qtbot, window)
    assert window.latent.view_box.state["aspectLocked"] == 1.0
    assert window.menus.action("equal-scales").isChecked()
    window.menus.action("equal-scales").trigger()  # the user may turn it off
    assert not window.latent.view_box.state["aspectLocked"]
    title = window.latent.plot.getPlotItem().getAxis("left").labelText
    assert "% of variance" in title and "(0% of" not in title


def test_latent_size_one_draws_a_band_not_an_axis_of_millionths(qtbot, window, tiny_mnist):
    train(window, latent=1)
    wait_until_idle(qtbot, window)
    wait_for_snapshot(qtbot, window)
    (y0, y1) = window.latent.view_box.viewRange()[1]
    assert (y0, y1) == (-1.0, 1.0)
    assert not window.latent.plot.getPlotItem().getAxis("left").style["showValues"]


def test_epoch_lines_of_a_checkpoint_stopped_mid_epoch(qtbot, window, tiny_mnist, tmp_path, subprocess_env=None):
    """256 images at batch 32: 8 steps an epoch. A run stopped at step 11 (epoch 1 done, 3 steps into the second)
    once drew its epoch line at step 11 (steps ÷ epochs); it belongs at step 8."""
    from core.data.datasets import load_dataset
    from core.events import BatchEnd
    from core.files.checkpoint import Checkpoint, save_checkpoint
    from core.training.engine import TrainConfig, Trainer, TrainingControl

    trainer = Trainer(load_dataset("mnist", download=False), TrainConfig(epochs=3, display_size=64, device="cpu"))
    control = TrainingControl()
    for event in trainer.run(control, snapshots=False):
        if isinstance(event, BatchEnd) and event.step == 11:
            control.stop()
    path = save_checkpoint(tmp_path / "mid.safetensors", Checkpoint.from_trainer(trainer))
    assert trainer.progress.step == 11 and trainer.progress.epoch == 1
    window.open_checkpoint(path)
    wait_until_idle(qtbot, window)
    assert [mark.value() for mark in window.loss._epoch_marks] == [8]


def test_continue_says_it_keeps_the_models_latent_size(qtbot, window, tiny_mnist):
    train(window, epochs=1, latent=2)
    wait_until_idle(qtbot, window)
    window.controls.epochs.setValue(2)
    window.controls.latent_dim.setValue(8)
    window.continue_training()
    assert window.notice.isVisible() and "keeps its latent size (2)" in window.notice.text()
    wait_until_idle(qtbot, window)
    assert window.session.info.model_config.latent_dim == 2


def test_a_missing_checkpoint_on_the_command_line_is_refused_before_any_window(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "explorer.__main__", str(tmp_path / "nope.safetensors")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 2 and "does not exist" in done.stderr


def test_at_1024_by_700_the_coordinates_sit_below_the_preview_inside_its_panel(qtbot, window, tiny_mnist):
    from PySide6.QtCore import QPoint, QRect

    from explorer.bench.pointer import move_mouse_to

    window.resize(1024, 700)
    window.notice.setText("A banner takes height too: the layout must still hold.")
    window.notice.show()
    train(window, latent=8)  # principal components: two lines of coordinates
    wait_until_idle(qtbot, window)
    wait_for_snapshot(qtbot, window)
    window.notice.show()
    qtbot.wait(50)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    move_mouse_to(window.latent, (x0 + x1) / 2, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: window.preview.coordinates.text().startswith("PC = ("), timeout=5_000)
    grab = window.grab().toImage()

    def rect_of(widget) -> QRect:
        return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())

    panel, image, coordinates = (
        rect_of(window.preview),
        rect_of(window.preview.image),
        rect_of(window.preview.coordinates),
    )
    assert window.preview.coordinates.isVisible() and window.preview.isVisible()
    assert panel.contains(coordinates), (panel, coordinates)
    assert coordinates.top() >= image.bottom(), (image, coordinates)
    from PySide6.QtCore import Qt

    label = window.preview.coordinates
    needed = label.fontMetrics().boundingRect(
        QRect(0, 0, label.contentsRect().width(), 10_000), int(Qt.TextFlag.TextWordWrap), label.text()
    )
    assert needed.height() <= label.contentsRect().height(), "the wrapped text fits: nothing is clipped"
    ratio = grab.width() / window.width()
    dark = sum(
        grab.pixelColor(int(x * ratio), int(y * ratio)).lightness() < 100
        for x in range(coordinates.left(), coordinates.right(), 2)
        for y in range(coordinates.top(), coordinates.bottom(), 2)
    )
    assert dark > 20, "the coordinates are drawn, in dark text on the panel"


def test_the_loss_curve_redraws_at_the_runs_pacing(qtbot, window, tiny_mnist):
    """core.training.pacing decides per run; the window's curve takes the rate the run was given."""
    train(window, epochs=1)
    qtbot.waitUntil(lambda: window.session.info is not None, timeout=60_000)
    pacing = window.session.info.pacing
    assert window.loss.redraw_gap_ms == round(1000 / pacing.curve_hz)
    wait_until_idle(qtbot, window)
