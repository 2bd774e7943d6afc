"""A colour model (CIFAR-10 files in the real format, 3×32×32) in the real window: everything that shows images shows
them in colour, red as red: the grids, the hover preview, the clicked point, the nearest images, the map's tiles, the
path strip and its export, a scrubbed time-lapse frame and the comparison run. Pixels are read back from the widgets'
pixmaps (or the map's rendered image) and compared to the images they show, channel by channel."""

from __future__ import annotations

import numpy as np
import pytest
from cifar_testkit import trust_these_files, write_cifar
from gui_testkit import (
    close_message_boxes,
    export_and_wait,
    hover_at,
    save_and_wait,
    shown_tile,
    shown_warning,
    wait_for_snapshot,
    wait_until_idle,
)
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtTest import QTest

from core.latent.atlas import mosaic, strip, to_uint8
from explorer.bench.pointer import click_at

SHIFT = Qt.KeyboardModifier.ShiftModifier


def rgb_of(picture: QPixmap | QImage) -> np.ndarray:
    """A pixmap's or image's pixels as an H×W×3 uint8 array (red, green, blue)."""
    image = picture.toImage() if isinstance(picture, QPixmap) else picture
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * height)
    return rows.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()


def hwc(image: np.ndarray) -> np.ndarray:
    """C×H×W (floats 0–1 or uint8) as the H×W×3 uint8 a screen shows."""
    array = image if image.dtype == np.uint8 else to_uint8(image)
    return array.transpose(1, 2, 0)


def block_centres(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """A picture enlarged by nearest neighbour (explorer.utils.images: output pixel i shows source pixel i·h // H)
    sampled
    back at the first screen pixel of each source pixel."""
    rows = -(-np.arange(height) * pixels.shape[0] // height)
    columns = -(-np.arange(width) * pixels.shape[1] // width)
    return pixels[rows][:, columns]


def coloured(pixels: np.ndarray) -> bool:
    """Channels that really differ somewhere: not grey drawn three times."""
    p = pixels.astype(int)
    return max(np.abs(p[..., 0] - p[..., 1]).max(), np.abs(p[..., 1] - p[..., 2]).max()) > 20


def assert_shows(pixmap: QPixmap, image: np.ndarray) -> None:
    """The pixmap is `image` (C×H×W) enlarged, every source pixel in its own colour."""
    expected = hwc(image)
    shown = block_centres(rgb_of(pixmap), *expected.shape[:2])
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 1
    assert coloured(expected)


@pytest.fixture
def tiny_cifar(tmp_path, monkeypatch):
    """CIFAR-10 files in the real format as the data folder, their checksums trusted for this test only."""
    files = write_cifar(tmp_path / "data", per_batch=40)
    trust_these_files(monkeypatch, files)
    monkeypatch.setenv("CONVAE_DATA_DIR", str(files.root))
    return files


def start_colour_run(window, epochs: int = 3, latent: int = 2) -> None:
    """CIFAR-10 chosen in the data-set box, a learning rate that learns the colours in a few steps, then Train."""
    controls = window.controls
    controls.dataset.setCurrentIndex(controls.dataset.findData("cifar-10"))
    controls.epochs.setValue(epochs)
    controls.latent_dim.setValue(latent)
    controls.lr.setValue(5e-3)
    window.start_training()


@pytest.fixture
def colour_window(window, tiny_cifar, qtbot):
    start_colour_run(window)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    view = window.session.view
    assert view.snapshot.display_images.shape[1:] == (3, 32, 32), "the run fell back to grey digits"
    return window


def _hover(qtbot, window, x: float, y: float) -> None:
    hover_at(qtbot, window, x, y)


def test_grids_preview_clicked_point_and_nearest_images_are_in_colour(colour_window, qtbot):
    window = colour_window
    view = window.session.view
    # grids: originals over reconstructions, as laid out, in the picture the panel scales
    grids = window.grids
    originals = grids.rows[0]
    assert originals.shape[1:] == (3, 32, 32)
    tiled = rgb_of(grids._tiled)
    assert coloured(tiled)
    np.testing.assert_array_equal(tiled[:32, :32], hwc(originals[0]))  # the first original, top left
    assert coloured(rgb_of(grids.view.pixmap()))  # and as shown on screen
    # hover: the decoded image under the cursor
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    _hover(qtbot, window, (x0 + x1) / 2, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: window.preview.last_image is not None, timeout=5_000)
    assert window.preview.last_image.shape == (3, 32, 32)
    assert_shows(window.preview.image.pixmap(), window.preview.last_image)
    # the nearest images to the cursor's code: display images, in their colours
    neighbours = window.neighbours
    qtbot.waitUntil(lambda: len(neighbours.shown_indices) > 0, timeout=5_000)
    first = neighbours.shown_indices[0]
    assert_shows(neighbours.images[0].pixmap(), view.snapshot.display_images[first])
    # a clicked point: its original and its reconstruction
    index = int(np.argmax(np.ptp(view.snapshot.display_images.reshape(len(view.xy), 3, -1).mean(2), axis=1)))
    click_at(window.latent, *view.xy[index])
    index = window.latent.marked  # another point drawn over it: what was clicked
    assert_shows(window.preview.picked_original.pixmap(), view.snapshot.display_images[index])
    assert_shows(window.preview.picked_reconstruction.pixmap(), view.reconstruct(index))


def test_map_tiles_and_path_strip_are_in_colour_and_export_as_rgb(colour_window, qtbot, tmp_path):
    window = colour_window
    view = window.session.view
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_M)
    layer = window.exploration.map
    qtbot.waitUntil(lambda: layer.shown is not None and not layer.worker.busy, timeout=30_000)
    picture = layer.shown.picture
    assert picture.shape[2] == 3 and np.array_equal(picture, mosaic(layer.shown.decoded.tiles))
    tile, centre = shown_tile(layer, 1, 2)
    np.testing.assert_allclose(tile, view.decode_at(*centre)[0], atol=1e-5)
    assert coloured(picture)
    # the image item draws those pixels as they are (row 0 of the mosaic at the top, largest y)
    layer.image.render()
    drawn = rgb_of(layer.image.qimage)
    np.testing.assert_array_equal(drawn, picture[::-1])

    pins = window.exploration.pins
    a, b = int(np.argmin(view.xy[:, 0])), int(np.argmax(view.xy[:, 0]))
    click_at(window.latent, *view.xy[a], SHIFT)
    click_at(window.latent, *view.xy[b], SHIFT)
    qtbot.waitUntil(lambda: pins.last is not None, timeout=10_000)
    frames = pins.last.frames
    assert frames.shape[1:] == (3, 32, 32)
    label = window.exploration.strip.strip
    assert label.height() >= label.pixmap().height()  # all of it shows
    shown = rgb_of(label.pixmap())
    expected = strip(frames)
    assert expected.shape == (32, 32 * len(frames), 3)
    np.testing.assert_array_equal(block_centres(shown, *expected.shape[:2]), expected)
    assert coloured(expected)
    out = tmp_path / "strip.png"
    export_and_wait(qtbot, window, window.exploration.export_strip, out)
    with Image.open(out) as png:
        assert png.mode == "RGB" and np.array_equal(np.asarray(png), expected)


def test_a_scrubbed_frame_and_the_comparison_run_are_in_colour(colour_window, qtbot):
    window = colour_window
    frames = window.timelapse.frames
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_End)
    QTest.keyClick(slider, Qt.Key.Key_Left)  # a recorded frame, not the live state
    frame = frames.frames[len(frames) - 2]
    assert window.session.view.snapshot.step == frame.step
    reconstructions = window.grids.rows[1]
    np.testing.assert_array_equal(reconstructions, frame.reconstructions)
    assert reconstructions.shape[1:] == (3, 32, 32)
    assert coloured(rgb_of(window.grids._tiled))
    QTest.mouseClick(window.timelapse.scrubber.live_button, Qt.MouseButton.LeftButton)

    comparison = window.comparison_run
    window.menus.action("train-comparison").trigger()  # the same form: CIFAR-10 again, another network beside it
    qtbot.waitUntil(lambda: comparison.session.running, timeout=10_000)
    qtbot.waitUntil(lambda: not comparison.session.running, timeout=120_000)
    qtbot.waitUntil(lambda: comparison.session.view is not None, timeout=10_000)
    other = comparison.session.view
    assert other.snapshot.display_images.shape[1:] == (3, 32, 32)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    _hover(qtbot, window, (x0 + x1) / 2, (y0 + y1) / 2)  # one cursor: the comparison decodes there too
    preview = comparison.preview
    qtbot.waitUntil(lambda: preview.last_image is not None, timeout=5_000)
    assert preview.last_image.shape == (3, 32, 32)
    assert_shows(preview.image.pixmap(), preview.last_image)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [(32, 32), (64, 40), (20, 30)])
def test_pixmaps_show_grey_or_red_green_blue_at_any_size(qapp, channels: int, size: tuple[int, int]) -> None:
    """to_qimage, to_pixmap and to_sized_pixmap (every image the window shows goes through them): one channel is
    grey, three are red, green and blue in that order, alpha is not drawn; enlarged, each pixel keeps its colour."""
    from explorer.utils.images import to_pixmap, to_qimage, to_sized_pixmap

    rng = np.random.default_rng(channels)
    image = rng.integers(0, 256, (channels, 16, 20), dtype=np.uint8)
    rgb = np.repeat(image[0][..., None], 3, axis=2) if channels < 3 else image[:3].transpose(1, 2, 0)
    np.testing.assert_array_equal(rgb_of(to_qimage(image)), rgb)
    np.testing.assert_array_equal(rgb_of(to_qimage(image.astype(np.float32) / 255)), rgb)  # floats 0–1 too
    np.testing.assert_array_equal(block_centres(rgb_of(to_pixmap(image, 3)), 16, 20), rgb)
    height, width = size
    sized = rgb_of(to_sized_pixmap(image, width, height))
    assert sized.shape == (height, width, 3)
    np.testing.assert_array_equal(block_centres(sized, 16, 20), rgb)


def test_a_colour_model_reopens_in_colour_and_is_refused_clearly_without_its_data(
    colour_window, qtbot, tmp_path, monkeypatch
):
    window = colour_window
    path = tmp_path / "colour.safetensors"
    save_and_wait(qtbot, window, path)
    window.open_checkpoint(path)  # with its data set here: shown as it was saved
    qtbot.waitUntil(lambda: window.session.view is not None and not window.running, timeout=30_000)
    qtbot.waitUntil(lambda: window.grids.rows is not None and window.grids.rows[0].shape[1] == 3, timeout=30_000)
    assert coloured(rgb_of(window.grids._tiled))

    elsewhere = tmp_path / "not-a-folder"
    elsewhere.write_text("a data folder that cannot hold CIFAR-10: no download is tried")
    monkeypatch.setenv("CONVAE_DATA_DIR", str(elsewhere))
    view, model = window.session.view, window.session.model
    close_message_boxes()
    window.open_checkpoint(path)
    qtbot.waitUntil(lambda: shown_warning(window) is not None and not window.running, timeout=30_000)
    title, message = shown_warning(window)
    assert title == "Cannot open checkpoint"
    assert "3×32×32" in message and "CIFAR-10" in message and "cannot stand in" in message
    assert f"{elsewhere} is a file" in message
    assert window.session.view is view and window.session.model is model  # the current model stays


def test_the_path_strip_scale_suits_each_image_size() -> None:
    from explorer.latent.path_strip import STRIP_HEIGHT, strip_scale

    assert STRIP_HEIGHT == 56
    assert strip_scale(12, 28, 28, 700) == 2.0  # MNIST: two screen pixels per image pixel, as before
    assert strip_scale(12, 32, 32, 700) == 1.75  # CIFAR-10: the strip's height, not 32 pixels in a 56-pixel box
    assert strip_scale(12, 16, 16, 700) == 3.0
    assert strip_scale(12, 64, 64, 700) == 1.0  # never fewer screen pixels than image pixels
    assert strip_scale(12, 32, 32, 300) == 1.0  # a narrow panel: whole frames, the label clips what is left
    assert strip_scale(8, 32, 32, 400) == 400 / 256  # the width decides
