"""View › Projection › UMAP in the real window: the learned view is laid out in the background and shown whole once
ready; the hover then decodes the code its inverse gives at the cursor; the window stays responsive while the layout
computes during training; and the window shows the same layout of a file as `render --view umap`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pytest
from core_testkit import recorded_run
from gui_testkit import (
    DecodeCounter,
    gap_bound,
    hover_at,
    idle_timer_gap,
    start_small_run,
    wait_for_snapshot,
)

pytest.importorskip("umap")
from core.commands.render import load_view
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.latent.learned_view import LearnedPlane
from explorer.bench.gui import TimerGapMeter

#: A backstop only: numba compiles UMAP's kernels on a process's first layout (seconds on a quiet machine, minutes
#: with both cores busy elsewhere); the tests wait on states, this only ends a hung run.
pytestmark = pytest.mark.timeout(1200)
LATENT = 8
#: Waiting for a layout: the first one in a process compiles numba.
LAYOUT_WAIT_MS = 900_000


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    """A latent-8 model with a short recorded history, saved as the window saves."""
    trainer, history, _ = recorded_run(digits_subset(300), latent=LATENT, epochs=1, batch_size=100)
    path = tmp_path_factory.mktemp("learned-window") / "learned8.safetensors"
    return save_checkpoint(path, Checkpoint.from_trainer(trainer, history))


def learned_shown(window) -> bool:
    view = window.session.view
    return view is not None and isinstance(view.plane, LearnedPlane)


def drawn_points(window) -> np.ndarray:
    """The latent panel's points as drawn, back in the order of the display set."""
    cloud = window.latent.points
    xy = np.zeros((cloud.count, 2), np.float32)
    xy[cloud._order, 0], xy[cloud._order, 1] = cloud._x, cloud._y
    return xy


def in_range(window, x: float, y: float) -> bool:
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    return x0 < x < x1 and y0 < y < y1


def open_in_learned_view(qtbot, window, model: Path) -> None:
    window.open_checkpoint(model)
    qtbot.waitUntil(lambda: window.session.view is not None and not window.running, timeout=60_000)
    assert not learned_shown(window)
    action = window.menus.action("projection-umap")
    assert action.isCheckable() and not action.isChecked()
    action.trigger()  # as the menu does
    assert action.isChecked() and not window.menus.action("projection-pca").isChecked()
    qtbot.waitUntil(lambda: learned_shown(window), timeout=LAYOUT_WAIT_MS)


def test_the_learned_views_hover_decodes_its_inverses_code_at_the_cursor(qtbot, window, model) -> None:
    open_in_learned_view(qtbot, window, model)
    view = window.session.view
    caption = window.latent.caption.text()
    assert "hover decodes through the learned view's inverse" in caption
    records = DecodeCounter(window)
    # between two images of the layout: a position that is no image's own
    x, y = (view.xy[3] + view.xy[11]) / 2
    qtbot.waitUntil(lambda: in_range(window, x, y), timeout=5_000)  # the plot fits the new layout
    hover_at(qtbot, window, float(x), float(y))
    record = records.last
    assert record is not None and record.view is view
    at = np.array([window.cursor.position], np.float64)
    expected = view.decode(view.plane.from_plane(at))[0]  # the decoder applied to the inverse's code, directly
    np.testing.assert_allclose(record.image, expected, atol=1e-5)
    np.testing.assert_allclose(window.preview.last_image, expected, atol=1e-5)
    np.testing.assert_allclose(record.code, view.plane.from_plane(at)[0], atol=1e-5)

    # back to PCA through the menu: shown at once, and the caption says so
    window.menus.action("projection-pca").trigger()
    assert not learned_shown(window)
    assert "hover decodes through the PCA plane" in window.latent.caption.text()


def test_the_learned_view_is_laid_out_in_a_process_that_ends_with_the_window(qtbot, window, model) -> None:
    open_in_learned_view(qtbot, window, model)
    pid = window.session.shown.layouts.pid
    assert pid is not None and pid != os.getpid()
    window.close()
    assert window.session.shown.layouts.pid is None

    def ended() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    qtbot.waitUntil(ended, timeout=60_000)


def test_the_window_shows_the_layout_render_draws_of_the_same_file(qtbot, window, model) -> None:
    open_in_learned_view(qtbot, window, model)
    shown = window.session.view
    rendered = load_view(argparse.Namespace(checkpoint=model, data_dir=None, no_download=True, view="umap"))
    np.testing.assert_array_equal(shown.snapshot.codes, rendered.snapshot.codes)
    np.testing.assert_array_equal(shown.xy, rendered.xy)
    probe = rendered.xy[:7] + 0.3
    np.testing.assert_allclose(shown.plane.from_plane(probe), rendered.plane.from_plane(probe), atol=1e-5)


def test_the_learned_views_map_dims_tiles_far_from_the_points_as_render_map_does(qtbot, window, model) -> None:
    from core.latent.atlas import decode_map, mosaic, shown_tiles

    open_in_learned_view(qtbot, window, model)
    shown = window.session.view
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    # room around the points: part of the plot lies far from every one of them
    window.latent.view_box.setRange(xRange=(x0, x1 + 2 * (x1 - x0)), yRange=(y0, y1), padding=0)
    window.exploration.map_action.trigger()
    layer = window.exploration.map
    qtbot.waitUntil(lambda: layer.shown is not None and not layer.worker.busy, timeout=60_000)
    decoded = layer.shown.decoded
    assert decoded.dims and "dimmed" in window.exploration.map_controls.caption.text()
    rendered = load_view(argparse.Namespace(checkpoint=model, data_dir=None, no_download=True, view="umap"))
    rows, columns = decoded.centres.shape[:2]
    headless = decode_map(rendered, decoded.area, columns, rows)
    np.testing.assert_array_equal(mosaic(shown_tiles(headless)), layer.shown.picture)
    assert shown.snapshot.step == decoded.step


def test_a_scrubbed_frame_is_shown_in_the_learned_frames_layout(qtbot, window, model) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from core.timelapse.learned_frames import LearnedFrames

    open_in_learned_view(qtbot, window, model)
    frames = window.timelapse.frames
    assert frames is not None and len(frames) >= 2
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)  # real key presses: to the second frame
    QTest.keyClick(slider, Qt.Key.Key_Right)
    step = frames.frames[1].step

    def frame_shown() -> bool:
        view = window.session.view
        return learned_shown(window) and view.snapshot.step == step

    qtbot.waitUntil(frame_shown, timeout=LAYOUT_WAIT_MS)
    # the layout `render timelapse --view umap` draws of this frame: frames laid out in order, each aligned
    expected = LearnedFrames(frames).plane(1)
    np.testing.assert_array_equal(window.session.view.xy, expected.layout)
    assert "learned view's inverse" in window.latent.caption.text()
    # back to live: the live learned view again, at once (kept)
    live = window.session.shown.live
    QTest.mouseClick(window.timelapse.scrubber.live_button, Qt.MouseButton.LeftButton)
    assert learned_shown(window) and window.session.view.snapshot is live.snapshot


def test_the_projection_is_remembered(qtbot, window, model, settings_path) -> None:
    window.menus.action("projection-umap").trigger()
    window.settings.sync()
    from PySide6.QtCore import QSettings

    from explorer.latent.projection import PROJECTION_KEY

    assert QSettings(str(settings_path), QSettings.Format.IniFormat).value(PROJECTION_KEY) == "umap"


def test_switching_to_the_learned_view_while_training_keeps_the_window_responsive(
    qtbot, window, tiny_mnist, monkeypatch
) -> None:
    # live points after every step (an interval of 0): an epoch of the tiny files may end, with its full snapshot,
    # before any real interval has run out, and the check of partial updates below must not depend on that
    import dataclasses

    import core.runs.records as records
    from core.training.pacing import window_pacing

    monkeypatch.setattr(
        records, "window_pacing", lambda *args: dataclasses.replace(window_pacing(*args), live_points_s=0.0)
    )
    idle = idle_timer_gap(qtbot)
    start_small_run(window, epochs=200, latent=LATENT)
    wait_for_snapshot(qtbot, window)
    meter = TimerGapMeter()
    meter.start()
    window.menus.action("projection-umap").trigger()
    qtbot.waitUntil(lambda: learned_shown(window), timeout=LAYOUT_WAIT_MS)
    largest = meter.stop()
    assert window.running, "training ended before the layout: the gap was not measured while training"
    assert largest <= gap_bound(500, idle), f"the GUI thread stalled {largest:.0f} ms (idle: {idle:.0f} ms)"
    # partial live updates are PCA positions: while the learned view is shown they leave its points alone
    with qtbot.waitSignal(window.session.livePoints, timeout=60_000):
        pass
    assert "partial update" not in window.latent.caption.text()
    assert learned_shown(window)
    np.testing.assert_array_equal(drawn_points(window), window.session.view.xy)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
