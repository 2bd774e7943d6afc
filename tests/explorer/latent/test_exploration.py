"""The exploration tools in the real window, driven with real mouse and key events: the decoded map, pinned paths,
the nearest images with the off-the-data meter, and class focus."""

from __future__ import annotations

import numpy as np
import pytest
from gui_testkit import export_and_wait, hover_at, shown_tile, start_small_run, wait_for_snapshot, wait_until_idle
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from core.latent.atlas import strip
from explorer.bench.pointer import click_at, drag

SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def trained(window, tiny_mnist, qtbot):
    """The window on a finished small run: one snapshot, which everything shown comes from."""
    start_small_run(window, epochs=1)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    _settle_layout(qtbot, window)
    return window


def _settle_layout(qtbot, window) -> None:
    """Hover once so the preview and neighbours lay themselves out for images (the plot may narrow then); later
    moves land where they are aimed."""
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    _hover(qtbot, window, (x0 + x1) / 2, (y0 + y1) / 2)
    qtbot.waitUntil(lambda: window.neighbours.last_meter is not None, timeout=5_000)
    sizes = [window.latent.plot.size()]
    for k in range(20):  # the run's end relays out captions: until the plot keeps its size over three hovers
        _hover(qtbot, window, x0 + (x1 - x0) * k / 20, y0)
        sizes.append(window.latent.plot.size())
        if len(sizes) > 3 and sizes[-1] == sizes[-2] == sizes[-3]:
            return
    raise AssertionError(f"the plot keeps changing size as the mouse moves: {sizes}")


def _map_shown_for(window) -> bool:
    shown = window.exploration.map.shown
    return shown is not None and not window.exploration.map.worker.busy


def _hover(qtbot, window, x: float, y: float):
    """Move the real mouse to (x, y) and wait until the preview shows that position."""
    hover_at(qtbot, window, x, y)
    return window.preview.last_image


def test_the_map_key_lays_decoded_tiles_each_equal_to_decoding_its_cell_centre(trained, qtbot):
    window = trained
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert window.exploration.map_action.isChecked() and window.exploration.map_controls.toggle.isChecked()
    qtbot.waitUntil(lambda: _map_shown_for(window), timeout=30_000)
    layer, view = window.exploration.map, window.session.view
    decoded = layer.shown.decoded
    rows, columns = decoded.centres.shape[:2]
    assert 10 <= rows <= 30 and 10 <= columns <= 30
    assert decoded.step == view.snapshot.step
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    assert (decoded.area.x0, decoded.area.x1, decoded.area.y0, decoded.area.y1) == pytest.approx((x0, x1, y0, y1))
    for row, column in [(0, 0), (rows // 2, columns // 3), (rows - 1, columns - 1)]:
        tile, centre = shown_tile(layer, row, column)
        np.testing.assert_allclose(tile, view.decode_at(*centre)[0], atol=1e-5)
        # the mouse at the cell's centre (to the nearest screen pixel): the preview shows what the tile shows
        shown = _hover(qtbot, window, *centre)
        hx, hy = window.cursor.position
        cell_w, cell_h = (x1 - x0) / columns, (y1 - y0) / rows
        assert abs(hx - centre[0]) < cell_w / 4 and abs(hy - centre[1]) < cell_h / 4
        np.testing.assert_allclose(shown, view.decode_at(hx, hy)[0], atol=1e-6)
        np.testing.assert_allclose(shown, tile, atol=5e-3)
        # drawn where it belongs: the image pixel under the cell's centre is a pixel of this tile
        pixel = layer.image.mapFromView(QPointF(*centre))
        height, width = tile.shape[-2:]
        total = layer.image.image.shape[0]
        assert (int(pixel.x()) // width, (total - 1 - int(pixel.y())) // height) == (column, row)
    rect = layer.image.mapRectToView(layer.image.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx((x0, x1, y0, y1), rel=1e-4)
    assert np.array_equal(layer.image.image[::-1], layer.shown.picture)
    assert "tiles at step" in window.exploration.map_controls.caption.text()


def test_the_map_follows_a_zoom_and_drops_stale_requests(trained, qtbot):
    window = trained
    window.exploration.map_action.trigger()
    qtbot.waitUntil(lambda: _map_shown_for(window), timeout=30_000)
    layer = window.exploration.map
    asked: list[str] = []  # the map says "Decoding …" each time it asks for a map
    layer.changed.connect(lambda caption: asked.append(caption) if caption.startswith("Decoding") else None)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    for shrink in (0.9, 0.7, 0.5):  # three quick zoom steps: one decode once it settles
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * shrink, (y1 - y0) * shrink
        window.latent.view_box.setRange(xRange=(cx - w / 2, cx + w / 2), yRange=(cy - h / 2, cy + h / 2), padding=0)
    qtbot.waitUntil(lambda: bool(asked) and _map_shown_for(window), timeout=30_000)
    assert len(asked) == 1
    area = layer.shown.decoded.area
    (nx0, nx1), (ny0, ny1) = window.latent.view_box.viewRange()
    assert (area.x0, area.x1, area.y0, area.y1) == pytest.approx((nx0, nx1, ny0, ny1))
    window.exploration.map_controls.opacity.setValue(30)
    assert layer.image.opacity() == pytest.approx(0.3)
    window.exploration.map_controls.toggle.setChecked(False)
    assert not layer.image.isVisible() and not window.exploration.map_action.isChecked()


def test_shift_clicks_pin_a_path_whose_frames_decode_the_interpolated_codes(trained, qtbot, tmp_path):
    window = trained
    view = window.session.view
    pins = window.exploration.pins
    a = int(np.argmin(view.xy[:, 0]))
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    empty = (x0 + 0.97 * (x1 - x0), y0 + 0.97 * (y1 - y0))
    click_at(window.latent, *view.xy[a], SHIFT)
    assert [e.index for e in pins.ends] == [a]
    assert "Shift+click another place" in window.exploration.strip.caption.text()
    click_at(window.latent, *empty, SHIFT)
    qtbot.waitUntil(lambda: pins.last is not None, timeout=10_000)
    assert pins.ends[1].index is None and pins.line.isVisible()
    decoded = pins.last
    steps = window.exploration.strip.frames.value()
    t = np.linspace(0, 1, steps)[:, None]
    pinned = np.asarray(pins.ends[1].xy)  # where the click landed, to the nearest screen pixel
    x_per_px, y_per_px = window.latent.view_box.viewPixelSize()
    assert abs(pinned[0] - empty[0]) <= x_per_px and abs(pinned[1] - empty[1]) <= abs(y_per_px)
    xy = (1 - t) * view.xy[a].astype(np.float64) + t * pinned
    np.testing.assert_allclose(decoded.path.codes, view.plane.from_plane(xy), atol=1e-5)
    for k in (0, steps // 2, steps - 1):
        np.testing.assert_allclose(decoded.frames[k], view.decode_at(*xy[k])[0], atol=1e-5)
    assert "along the view plane" in window.exploration.strip.caption.text()
    assert window.exploration.strip.strip.pixmap() is not None
    # the mouse over pin B highlights it (it can be dragged); away from it, the highlight goes
    pin_b = pins.pins[1]
    hover_at(qtbot, window, *pinned)
    assert pin_b.mouseHovering
    hover_at(qtbot, window, (x0 + x1) / 2, (y0 + y1) / 2)
    assert not pin_b.mouseHovering
    # a normal click still inspects a point (no pin)
    click_at(window.latent, *view.xy[a])
    assert len(pins.ends) == 2 and window.latent.marked == a
    # export: the strip at the images' own size
    out = tmp_path / "strip.png"
    export_and_wait(qtbot, window, window.exploration.export_strip, out)
    assert np.array_equal(np.asarray(Image.open(out)), strip(decoded.frames))
    # drag pin B onto the image: the path then ends on that image
    b = int(np.argmax(view.xy[:, 0]))
    drag(window.latent, empty, tuple(view.xy[b]))
    qtbot.waitUntil(lambda: pins.last is not None and pins.last.ends[1].index == b, timeout=10_000)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert pins.ends == [] and not pins.line.isVisible()


def test_a_path_between_two_images_runs_between_their_full_codes_above_2d(window, tiny_mnist, qtbot):
    start_small_run(window, epochs=1, latent=4)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    view, pins = window.session.view, window.exploration.pins
    a, b = 3, 40
    click_at(window.latent, *view.xy[a], SHIFT)
    click_at(window.latent, *view.xy[b], SHIFT)
    qtbot.waitUntil(lambda: pins.last is not None, timeout=10_000)
    if [e.index for e in pins.ends] != [a, b]:  # another point drawn over it: pin what was clicked
        a, b = pins.ends[0].index, pins.ends[1].index
    assert None not in (a, b) and pins.last.path.full_codes
    codes = view.snapshot.codes.astype(np.float64)
    middle = pins.last.path.codes[len(pins.last.path.codes) // 2]
    t = np.linspace(0, 1, len(pins.last.path.codes))[len(pins.last.path.codes) // 2]
    np.testing.assert_allclose(middle, (1 - t) * codes[a] + t * codes[b], atol=1e-5)
    np.testing.assert_allclose(pins.last.frames[-1], view.reconstruct(b), atol=1e-5)
    assert "full codes" in window.exploration.strip.caption.text()
    # the map above 2-D: the plane's points mapped back to codes, and the caption says so
    window.exploration.map_action.trigger()
    qtbot.waitUntil(lambda: _map_shown_for(window), timeout=30_000)
    assert "mapped back to full codes" in window.exploration.map_controls.caption.text()
    tile, centre = shown_tile(window.exploration.map, 1, 2)
    np.testing.assert_allclose(tile, view.decode_at(*centre)[0], atol=1e-5)


def test_neighbours_follow_the_hover_and_equal_a_brute_force_search(trained, qtbot):
    window = trained
    view, panel = window.session.view, window.neighbours
    codes = view.snapshot.codes.astype(np.float64)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    for fx, fy in [(0.3, 0.4), (0.6, 0.7), (0.5, 0.2)]:
        x, y = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
        _hover(qtbot, window, x, y)
        latent = view.plane.from_plane(np.array([window.cursor.position]))[0].astype(np.float64)  # where it landed
        distances = np.sqrt(((codes - latent) ** 2).sum(axis=1))
        assert panel.shown_indices == np.argsort(distances, kind="stable")[:5].tolist()
        assert f"{distances.min():.2f}" in panel.texts[0].text()
    # on a point: "on the data"; far outside the cloud: "far from any image"
    _hover(qtbot, window, *view.xy[7])
    assert panel.last_meter.words == "on the data" and "on the data" in panel.meter.text()
    span = max(x1 - x0, y1 - y0)
    window.latent.view_box.setRange(xRange=(x0, x1 + 40 * span), yRange=(y0, y1 + 40 * span), padding=0)
    _hover(qtbot, window, x1 + 35 * span, y1 + 35 * span)
    assert panel.last_meter.words == "far from any image" and panel.last_meter.ratio > 4


def test_clicking_a_class_in_the_legend_focuses_it_and_the_tools_keep_working(trained, qtbot):
    window = trained
    legend, points = window.latent.legend, window.latent.points
    labels = legend.widget().findChildren(type(legend.widget().findChild(object, "legendText")), "legendText")
    qtbot.mouseClick(labels[3], Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    assert points.focus == 3 and legend.focus == 3
    # the focused class is drawn over the dimmed others: a point of it is still found by a click
    view = window.session.view
    index = int(np.flatnonzero(view.snapshot.labels == 3)[0])
    click_at(window.latent, *view.xy[index])
    assert window.latent.marked is not None
    x, y = view.xy[index]
    _hover(qtbot, window, x, y)
    assert window.neighbours.shown_indices[0] == index
    window.exploration.map_action.trigger()
    qtbot.waitUntil(lambda: _map_shown_for(window), timeout=30_000)
    qtbot.mouseClick(labels[3], Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
    assert points.focus is None and legend.focus is None


def test_the_new_keys_are_listed_in_the_shortcut_sheet(window):
    keys = [action.shortcut().toString() for action in window.menus.with_keys()]
    assert "M" in keys and "Esc" in keys
    window.show_shortcuts()
    sheet = window.shortcuts.findChild(type(window.progress_label), "shortcutSheet").text()
    assert "Decoded map" in sheet.replace("&", "") and "Shift+click" in sheet
    window.shortcuts.close()


def _luminance(image, x: int, y: int) -> int:
    colour = image.pixelColor(x, y)
    return (299 * colour.red() + 587 * colour.green() + 114 * colour.blue()) // 1000


def test_the_crosshair_stands_out_over_the_decoded_map(trained, qtbot):
    """Along the vertical crosshair over the map, nearly every row has a pixel within it that differs clearly from
    the map a few pixels to the side (a grey dashed line alone: only its dashes, where the map was not grey)."""
    window = trained
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: _map_shown_for(window), timeout=30_000)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    _hover(qtbot, window, x0 + (x1 - x0) * 0.37, y0 + (y1 - y0) * 0.5)
    image = window.latent.plot.grab().toImage()
    plot = window.latent.plot
    line = plot.mapFromScene(window.latent.view_box.mapViewToScene(QPointF(window.latent.v_line.value(), y0)))
    box = plot.mapFromScene(window.latent.view_box.sceneBoundingRect()).boundingRect()
    column = line.x()
    rows = [y for y in range(box.top() + 4, box.bottom() - 4) if abs(y - plot.mapFromScene(
        window.latent.view_box.mapViewToScene(QPointF(x0, window.latent.h_line.value()))).y()) > 4]  # fmt: skip
    standing_out = sum(
        max(abs(_luminance(image, column + dx, y) - _luminance(image, column + 7, y)) for dx in (-1, 0, 1)) >= 60
        for y in rows
    )
    assert standing_out >= 0.95 * len(rows), f"{standing_out} of {len(rows)} rows"
