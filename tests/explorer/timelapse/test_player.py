"""The time-lapse in the real window: scrub to a recorded frame, hover there, replay, follow live, Pause/Stop."""

from __future__ import annotations

import re

import numpy as np
import torch
from gui_testkit import DecodeCounter, move_mouse_to, start_small_run, wait_for_losses, wait_for_snapshot
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from core.model.autoencoder import ConvAutoEncoder


def drawn_points(window) -> np.ndarray:
    """The latent panel's points as drawn, back in the order of the display set."""
    cloud = window.latent.points
    xy = np.zeros((cloud.count, 2), np.float32)
    xy[cloud._order, 0], xy[cloud._order, 1] = cloud._x, cloud._y
    return xy


def trained_window(qtbot, window, latent: int = 2, epochs: int = 3):
    start_small_run(window, epochs=epochs, latent=latent)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    frames = window.timelapse.frames
    assert frames is not None and len(frames) >= epochs + 1  # the start and each epoch's end at least
    return frames


def test_a_scrubbed_frame_shows_that_snapshots_points_and_grids(qtbot, window, tiny_mnist):
    frames = trained_window(qtbot, window, latent=3)
    slider = window.timelapse.scrubber.slider
    assert slider.value() == slider.maximum() == len(frames) - 1  # following the live end
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)  # a real key press: to the first frame
    QTest.keyClick(slider, Qt.Key.Key_Right)
    frame = frames.frames[1]
    view = window.session.view
    assert view.snapshot.step == frame.step
    np.testing.assert_array_equal(view.snapshot.codes, frame.codes)
    np.testing.assert_allclose(drawn_points(window), frame.plane.to_plane(frame.codes), atol=1e-6)
    assert f"step {frame.step:,}" in window.latent.caption.text()
    assert f"at step {frame.step:,}" in window.grids.caption.text()
    assert window.timelapse.cursor.value() == frame.step and window.timelapse.cursor.isVisible()
    assert "Frame 2 of" in window.timelapse.scrubber.label.text()
    # Live goes back to the newest state
    QTest.mouseClick(window.timelapse.scrubber.live_button, Qt.MouseButton.LeftButton)
    assert window.session.view is window.session.shown.live and window.session.shown.following_live
    assert "Hover to decode" in window.latent.caption.text()  # the live caption again
    assert slider.value() == slider.maximum()


def test_hovering_at_frame_k_decodes_with_frame_ks_decoder(qtbot, window, tiny_mnist):
    frames = trained_window(qtbot, window)
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)
    QTest.keyClick(slider, Qt.Key.Key_Right)
    k = 1
    decodes = DecodeCounter(window)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    local = move_mouse_to(window, x0 + 0.4 * (x1 - x0), y0 + 0.6 * (y1 - y0))
    qtbot.waitUntil(lambda: decodes.count > 0, timeout=5_000)
    point = window.latent.view_box.mapSceneToView(window.latent.plot.mapToScene(local.toPoint()))
    # decoded directly: a decoder built here from frame k's recorded weights
    decoder = ConvAutoEncoder(frames.display.model_config).decoder.eval()
    decoder.load_state_dict({key: value.float() for key, value in frames.frames[k].decoder_state.items()})
    with torch.inference_mode():
        expected = decoder(torch.tensor([[point.x(), point.y()]], dtype=torch.float32)).numpy()[0]
    np.testing.assert_allclose(window.preview.last_image, expected, atol=1e-5)
    assert f"step {frames.frames[k].step:,}" in window.preview.snapshot_info.text()
    # the newest frame's decoder draws something else at that point: the frame's own decoder was used
    with torch.inference_mode():
        newest = window.session.shown.live.snapshot.decoder(torch.tensor([[point.x(), point.y()]])).numpy()[0]
    assert np.abs(newest - expected).max() > 1e-3


def test_playback_glides_on_fixed_axes_and_ends_on_the_last_frame(qtbot, window, tiny_mnist):
    frames = trained_window(qtbot, window)
    player = window.timelapse
    window.timelapse.scrubber.speed.setCurrentIndex(0)  # ¼×: the slowest, so ticks fall between frames
    between = []  # (position, points as drawn) at ticks that fell between two frames
    ticks = []

    def on_tick() -> None:  # connected after the player's own tick: the points are drawn for this position
        ticks.append(player.position)
        if player.position != int(player.position):
            between.append((player.position, drawn_points(window)))

    player.timer.timeout.connect(on_tick)
    play = player.scrubber.play_button
    QTest.mouseClick(play, Qt.MouseButton.LeftButton)
    assert player.timer.isActive()
    axes = window.latent.view_box.viewRange()

    def glided_to_the_end() -> bool:
        """Playback ended having drawn a position between two frames; a busy host's ticks may all land on whole
        frames, so play again until one did (a state to wait for, not a time)."""
        if player.timer.isActive():
            return False
        if not between:
            QTest.mouseClick(play, Qt.MouseButton.LeftButton)
            return False
        return True

    qtbot.waitUntil(glided_to_the_end, timeout=120_000)
    assert window.latent.view_box.viewRange() == axes  # the axes never moved
    position, drawn = between[0]  # drawn between frame k and k + 1, linearly, in frame k's plane
    k = int(position)
    here = frames.frames[k].xy
    there = frames.frames[k].plane.to_plane(frames.frames[k + 1].codes)
    np.testing.assert_allclose(drawn, here + (there - here) * np.float32(position - k), atol=1e-5)
    assert ticks == sorted(ticks)  # forward only
    assert player.index == len(frames) - 1
    np.testing.assert_allclose(drawn_points(window), frames.frames[-1].xy, atol=1e-5)


def test_pause_and_stop_show_the_weights_they_stop_at(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=200)
    wait_for_snapshot(qtbot, window)
    wait_for_losses(qtbot, window, 3)
    window.toggle_pause()
    qtbot.waitUntil(lambda: window.session.runner.control.waiting, timeout=30_000)
    qtbot.waitUntil(lambda: window.session.view.snapshot.step == len(window.session.losses), timeout=30_000)
    paused_at = len(window.session.losses)
    assert f"step {paused_at:,}" in window.latent.caption.text()
    window.toggle_pause()
    wait_for_losses(qtbot, window, paused_at + 3)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.session.view.snapshot.step == len(window.session.losses) == window.session.model.step


def test_live_points_move_between_snapshots_and_say_so(qtbot, window):
    """On the built-in digits the display images are training images: within the first epoch the batches have
    moved every display point (core.training.batch_codes), so a partial update comes however fast the host is (on
    tiny files an epoch can end, with its full snapshot, before any live interval has run out)."""
    seen = []  # the window as the user sees it right after each partial update was drawn

    def look(update):
        view = window.session.view
        if view is not None and update.plane_step == view.snapshot.step:
            seen.append((window.latent.caption.text(), drawn_points(window), np.array(view.xy)))

    window.session.livePoints.connect(look)  # after the run view's own slot: it runs once that one has drawn
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("digits-5k"))
    window.controls.epochs.setValue(200)
    window.start_training()
    qtbot.waitUntil(lambda: bool(seen), timeout=120_000)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    caption, drawn, full = seen[0]
    assert "Live:" in caption and "partial update" in caption
    said = int(re.search(r"Live: ([\d,]+) of", caption).group(1).replace(",", ""))
    moved = ~np.isclose(drawn, full, atol=1e-6).all(axis=1)
    assert 0 < moved.sum() <= said  # points moved, no more than the caption says; the rest: the full snapshot's


def test_the_slider_follows_live_unless_moved(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=200)
    player = window.timelapse
    qtbot.waitUntil(lambda: player.frames is not None and len(player.frames) >= 3, timeout=120_000)
    slider = player.scrubber.slider
    assert slider.value() == slider.maximum()
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)
    count = len(player.frames)
    qtbot.waitUntil(lambda: len(player.frames) > count, timeout=120_000)
    assert slider.value() == 0 and window.session.view.snapshot.step == 0  # stayed where the user put it
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)


def test_a_saved_run_opens_with_its_recording_ready_to_replay(qtbot, window, tiny_mnist, tmp_path):
    from gui_testkit import save_and_wait

    from core.files.checkpoint import load_checkpoint

    frames = trained_window(qtbot, window, epochs=2)
    path = tmp_path / "run.safetensors"
    save_and_wait(qtbot, window, path)
    assert len(load_checkpoint(path).history) == len(frames)
    window.open_checkpoint(path)
    qtbot.waitUntil(lambda: not window.running and window.session.current_file == path, timeout=60_000)
    opened = window.timelapse.frames
    assert opened is not None and [f.step for f in opened.frames] == [f.step for f in frames.frames]
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)
    np.testing.assert_array_equal(window.session.view.snapshot.codes, frames.frames[0].codes)
