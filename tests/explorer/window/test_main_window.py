"""The explorer window driven like a user would: real widgets, the real engine on tiny real data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gui_testkit import (
    DecodeCounter,
    close_message_boxes,
    gap_bound,
    idle_timer_gap,
    move_mouse_to,
    shown_warning,
    start_small_run,
    wait_for_losses,
    wait_for_snapshot,
)
from PySide6.QtCore import QSettings

from core.files.checkpoint import load_checkpoint
from explorer.bench.gui import TimerGapMeter
from explorer.window.main_window import MainWindow

REPO = Path(__file__).resolve().parents[3]


def test_training_shows_progress_and_a_growing_loss_curve(qtbot, window, tiny_mnist):
    start_small_run(window)
    wait_for_losses(qtbot, window, 3)
    first = len(window.loss.losses)
    wait_for_losses(qtbot, window, first + 3)
    assert window.progress_bar.value() >= first
    assert "Epoch 1/3" in window.progress_label.text() or "Epoch 2/3" in window.progress_label.text()
    assert "img/s" in window.progress_label.text() and "ETA" in window.progress_label.text()
    wait_for_snapshot(qtbot, window)
    assert window.latent.points.count == 64  # the tiny test split
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)


def test_pause_freezes_the_batch_counter_and_resume_continues(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=50)
    wait_for_losses(qtbot, window, 2)
    window.toggle_pause()
    assert window.controls.pause_button.text() == "Resume"
    qtbot.waitUntil(lambda: window.session.runner.control.waiting, timeout=30_000)  # the step in flight has finished
    qtbot.wait(100)  # and its loss has reached the window
    frozen = len(window.loss.losses)
    qtbot.wait(800)
    assert len(window.loss.losses) == frozen
    window.toggle_pause()
    wait_for_losses(qtbot, window, frozen + 2, timeout=30_000)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)


def test_stop_ends_the_thread_and_keeps_the_model(qtbot, window, tiny_mnist, tmp_path):
    start_small_run(window, epochs=50)
    wait_for_losses(qtbot, window, 2)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running and window.session.runner.thread is None, timeout=30_000)
    assert window.session.model is not None
    assert "stopped" in window.statusBar().currentMessage().lower()
    autosaved = load_checkpoint(window.session.autosave_file)
    assert window.session.autosave_file.parent == tmp_path / "autosave"
    assert autosaved.progress.step == window.session.model.step > 0


def test_close_during_training_leaves_no_thread(qtbot, qapp, tiny_mnist, tmp_path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    win.show()
    start_small_run(win, epochs=50)
    wait_for_losses(qtbot, win, 1)
    win.close()
    assert win.session.runner.thread is None
    (saved,) = (tmp_path / "autosave").glob("run-*.safetensors")
    assert load_checkpoint(saved).progress.step > 0  # the work was kept
    win.deleteLater()


def test_hover_decodes_the_cursor_position_with_the_snapshot_decoder(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    wait_for_snapshot(qtbot, window)
    decodes = DecodeCounter(window)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    for fx, fy in ((0.3, 0.6), (0.7, 0.2)):
        before = decodes.count
        local = move_mouse_to(window, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
        qtbot.waitUntil(lambda before=before: decodes.count > before, timeout=5_000)
        # the position the view reports for that pixel, decoded directly with the same snapshot's decoder
        point = window.latent.view_box.mapSceneToView(window.latent.plot.mapToScene(local.toPoint()))
        snapshot = window.session.view.snapshot
        latent = np.array([[point.x(), point.y()]], np.float32)  # a 2-D model's plane is its latent space
        with torch.inference_mode():
            expected = snapshot.decoder(torch.from_numpy(latent)).numpy()[0]
        latent = latent[0]
        assert np.allclose(window.preview.last_image, expected, atol=1e-6)
        assert window.preview.coordinates.text() == f"z = ({latent[0]:+.3f}, {latent[1]:+.3f})"
        assert window.latent.v_line.isVisible() and abs(window.latent.v_line.value() - point.x()) < 1e-9


def test_hover_keeps_working_while_training_and_names_the_snapshot_step(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=50)
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: window.session.view.snapshot.step > 0, timeout=60_000)
    decodes = DecodeCounter(window)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    move_mouse_to(window, (x0 + x1) / 2, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: decodes.count > 0, timeout=5_000)
    assert f"step {window.session.view.snapshot.step:,}" in window.preview.snapshot_info.text()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)


def test_fast_mouse_moves_are_coalesced_into_one_decode(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    decodes = DecodeCounter(window)
    for i in range(50):  # no event processing in between: a burst, as from a fast mouse
        move_mouse_to(window, x0 + (x1 - x0) * (0.2 + i * 0.01), (y0 + y1) / 2)
    qtbot.waitUntil(lambda: decodes.count > 0, timeout=5_000)
    # one more move, after the burst: once it is decoded, anything the burst still held would have been too
    end_x = x0 + (x1 - x0) * 0.8
    move_mouse_to(window, end_x, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: decodes.count > 1, timeout=5_000)
    assert decodes.count == 2 and decodes.last.xy[0] == pytest.approx(end_x, abs=(x1 - x0) / 100)


def test_latent_size_above_two_shows_principal_components(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1, latent=8)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    wait_for_snapshot(qtbot, window)
    assert window.session.view.plane.is_pca
    assert "principal component 1" in window.latent.plot.getPlotItem().getAxis("bottom").labelText
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    decodes = DecodeCounter(window)
    move_mouse_to(window, (x0 + x1) / 2, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: decodes.count > 0, timeout=5_000)
    assert window.preview.coordinates.text().startswith("PC = (")


def test_clicking_a_point_shows_its_image_reconstruction_and_label(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    snapshot = window.session.view.snapshot
    window.run.show_point(5)
    label = snapshot.classes[int(snapshot.labels[5])]
    assert window.preview.picked_label.text().startswith(f"Label: {label}")
    assert not window.preview.picked_original.pixmap().isNull()


def test_timer_sees_no_long_gap_while_training(qtbot, window, tiny_mnist):
    idle = idle_timer_gap(qtbot)
    meter = TimerGapMeter()
    start_small_run(window, epochs=50)
    wait_for_losses(qtbot, window, 1)
    first = len(window.session.losses)
    meter.start()
    qtbot.wait(2_000)
    wait_for_losses(qtbot, window, first + 11, timeout=120_000)  # measured over at least 11 steps, however slow
    worst = meter.stop()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    bound = gap_bound(100, idle)
    print(f"\nlargest gap of a 10 ms QTimer while training: {worst:.1f} ms over {len(meter.gaps)} ticks "
          f"(idle window: {idle:.1f} ms; bound {bound:.0f} ms)")  # fmt: skip
    assert worst < bound


def test_invalid_values_cannot_be_entered(window):
    controls = window.controls
    controls.latent_dim.setValue(1000)
    controls.epochs.setValue(0)
    controls.lr.setValue(-1.0)
    assert controls.latent_dim.value() == 64
    assert controls.epochs.value() == 1
    assert controls.lr.value() > 0
    assert controls.train_config().lr > 0


def test_settings_and_layout_are_remembered(qapp, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    path = str(tmp_path / "settings.ini")
    first = MainWindow(QSettings(path, QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    first.controls.latent_dim.setValue(5)
    first.controls.lr.setValue(0.001)
    first.controls.dataset.setCurrentIndex(first.controls.dataset.findData("kmnist"))
    first.loss.log_box.setChecked(True)
    first.show()
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["preview"])  # moved beside the controls
    first.docks["grids"].close()  # and the reconstructions hidden
    first.close()
    second = MainWindow(QSettings(path, QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    second.show()
    assert second.controls.latent_dim.value() == 5
    assert second.controls.lr.value() == pytest.approx(0.001)
    assert second.controls.dataset_name == "kmnist"
    assert second.loss.log_box.isChecked()
    assert second.dockWidgetArea(second.docks["preview"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert not second.docks["grids"].isVisible() and second.docks["loss"].isVisible()
    second.close()
    for win in (first, second):
        win.deleteLater()


def test_missing_data_set_falls_back_to_builtin_digits_with_a_notice(qtbot, window, tmp_path, monkeypatch):
    from torchvision.datasets import KMNIST

    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr(KMNIST, "mirrors", ["http://127.0.0.1:9/"])  # refuses at once: no network
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("kmnist"))
    window.start_training()
    qtbot.waitUntil(lambda: window.notice.isVisible(), timeout=30_000)
    assert "built-in 5,000 digits" in window.notice.text()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)


def test_opening_a_cli_checkpoint_shows_latent_plot_and_grids_without_training(qtbot, window, tiny_mnist, tmp_path):
    out = tmp_path / "cli.safetensors"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "train",
            "--dataset",
            "mnist",
            "--no-download",
            "--epochs",
            "1",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert window.open_checkpoint(out)
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    saved = load_checkpoint(out)
    assert window.latent.points.count == 64
    assert window.grids.rows is not None and window.grids.rows[0].shape == (15, 1, 28, 28)
    assert len(window.loss.losses) == len(window.session.losses) == saved.progress.step
    assert window.session.model.step == saved.progress.step  # nothing was trained


def test_a_bad_checkpoint_is_refused_and_the_current_model_stays(qtbot, window, tiny_mnist, tmp_path):
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    view, model = window.session.view, window.session.model
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    window.open_checkpoint(bad)  # read in the background: the refusal arrives as a message
    qtbot.waitUntil(lambda: shown_warning(window) is not None and not window.running, timeout=30_000)
    title, text = shown_warning(window)
    assert title == "Cannot open checkpoint"
    assert "bad.safetensors" in text
    close_message_boxes()
    assert window.session.view is view and window.session.model is model


def test_exports_write_png_and_csv(qtbot, window, tiny_mnist, tmp_path):
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    png, svg, csv = tmp_path / "latent.png", tmp_path / "latent.svg", tmp_path / "loss.csv"
    window.files.export_latent_png(png)
    window.files.export_latent_png(svg)
    window.files.export_loss_csv(csv)
    qtbot.waitUntil(lambda: png.exists() and svg.exists() and csv.exists(), timeout=30_000)  # written atomically
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    from explorer.latent.plot_export import PNG_SCALE

    assert QImage(str(png)).width() >= PNG_SCALE * window.latent.plot.width() - 2  # drawn at twice the screen size
    drawing = svg.read_text()
    assert drawing.lstrip().startswith("<?xml") and "<svg" in drawing
    assert "latent size 2" in drawing and "epoch 1.00" in drawing  # the title says what the picture is
    assert all(name in drawing for name in window.session.view.snapshot.classes)  # and the legend is there
    lines = csv.read_text().splitlines()
    comments = [line for line in lines if line.startswith("#")]
    assert lines[: len(comments)] == comments and any("batch size 32" in line for line in comments)
    assert lines[len(comments)] == "step,epoch,loss,running_average"
    assert len(lines) == len(comments) + 1 + len(window.session.losses)


@pytest.mark.parametrize("grab_whole_window", [False, True])
def test_points_are_drawn_where_the_axes_say(qtbot, grab_whole_window: bool) -> None:
    """The raster lands under its coordinates, the right way up, on screen and in a window grab (PNG export).

    An L of two classes and a blob of a third: each is looked for at the pixel the view maps its coordinates to,
    and an empty spot must stay background. A flipped or shifted raster fails at least one of these.
    """
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QColor

    from core.latent.plane import fit_plane
    from explorer.latent.latent_panel import LatentPanel
    from explorer.utils.palette import class_color

    host = MainWindow() if grab_whole_window else LatentPanel()
    qtbot.addWidget(host)
    host.resize(1100, 750) if grab_whole_window else host.resize(700, 500)
    host.show()
    panel = host.latent if grab_whole_window else host
    bar = np.stack([np.zeros(400), np.linspace(0, 10, 400)], 1)  # class 0: x = 0, y from 0 up to 10
    top = np.stack([np.linspace(0, 5, 300), np.full(300, 10.0)], 1)  # class 1: along the top, y = 10
    blob = np.random.default_rng(0).normal([8, 0], 0.05, size=(200, 2))  # class 3: bottom right
    xy = np.concatenate([bar, top, blob]).astype(np.float32)
    labels = np.array([0] * 400 + [1] * 300 + [3] * 200)
    panel.show_points(xy, labels, tuple("0123456789"), fit_plane(xy))
    qtbot.wait(200)
    image = host.grab().toImage()

    def pixel_at(x: float, y: float) -> QColor:
        scene = panel.view_box.mapViewToScene(QPointF(x, y))
        local = panel.plot.mapFromScene(scene)
        point = panel.plot.viewport().mapTo(host, local) if grab_whole_window else panel.plot.mapTo(host, local)
        ratio = image.width() / host.width()
        return image.pixelColor(round(point.x() * ratio), round(point.y() * ratio))

    def near(color: QColor, expected: QColor) -> bool:
        return max(abs(color.red() - expected.red()), abs(color.green() - expected.green()),
                   abs(color.blue() - expected.blue())) <= 40  # fmt: skip

    assert near(pixel_at(0, 2), class_color(0)), "the vertical bar (class 0) is not at x = 0"
    assert near(pixel_at(2.5, 10), class_color(1)), "the top bar (class 1) is not at y = 10: flipped or shifted"
    assert near(pixel_at(8, 0), class_color(3)), "the blob (class 3) is not at (8, 0)"
    assert near(pixel_at(5, 3), QColor("white")), "an empty spot is not background"
