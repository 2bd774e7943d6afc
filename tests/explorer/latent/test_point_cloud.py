"""The latent panel's points and cursor (issue 25, item 13): the point cloud paints only inside its bounding rect (Qt
erases only what that rect covers, so pixels painted outside it stayed on screen after playback moved the points),
and a refit under a still mouse moves the hovered position to what is under it now."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from core.latent.plane import fit_plane
from explorer.bench.pointer import move_mouse_to
from explorer.latent.latent_panel import LatentPanel
from explorer.utils.palette import argb_table

CLASSES = tuple(str(n) for n in range(10))
PLANE = fit_plane(np.zeros((2, 2), np.float32))  # 2-D codes: the codes themselves


def coloured_pixels(panel: LatentPanel) -> np.ndarray:
    """(x, y) of the plot's pixels drawn in a class colour, in viewport pixels."""
    image = panel.plot.viewport().grab().toImage()
    colours = {QColor.fromRgba(int(argb)).rgb() & 0xFFFFFF for argb in argb_table(len(CLASSES))}
    found = [
        (x, y) for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) & 0xFFFFFF in colours
    ]
    return np.array(found)


def test_the_points_paint_nothing_outside_their_bounding_rect(qtbot) -> None:
    panel = LatentPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 360)
    panel.show()
    qtbot.waitExposed(panel)
    rng = np.random.default_rng(0)
    for spread in (1.0, 0.4, 2.5):  # the points move as in playback, the view fixed meanwhile
        xy = rng.normal(0, spread, (400, 2)).astype(np.float32)
        xy[:4] = [[-3, -3], [3, -3], [-3, 3], [3, 3]]  # points in the view's corners
        panel.show_points(xy, rng.integers(0, 10, 400), CLASSES, PLANE)
        panel.view_box.setRange(xRange=(-4, 4), yRange=(-4, 4), padding=0)
        qtbot.waitUntil(lambda: panel.view_box.viewRange()[0] == [-4.0, 4.0])
        item = panel.points
        bounds = panel.plot.mapFromScene(item.mapRectToScene(item.boundingRect())).boundingRect()
        pixels = coloured_pixels(panel)
        assert len(pixels)
        inside = (
            (pixels[:, 0] >= bounds.left())
            & (pixels[:, 0] <= bounds.right())
            & (pixels[:, 1] >= bounds.top())
            & (pixels[:, 1] <= bounds.bottom())
        )
        assert inside.all(), f"{(~inside).sum()} pixels painted outside {bounds}: {pixels[~inside][:5].tolist()}"


def test_a_refit_under_a_still_mouse_hovers_the_position_now_under_it(qtbot) -> None:
    """Issue 25, item 13: after Fit (or a snapshot the view follows) the preview kept the old plane position, though
    the mouse, unmoved, now points at another."""
    panel = LatentPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 360)
    panel.show()
    qtbot.waitExposed(panel)
    rng = np.random.default_rng(1)
    panel.show_points(rng.normal(0, 1, (300, 2)).astype(np.float32), rng.integers(0, 10, 300), CLASSES, PLANE)
    panel.view_box.setRange(xRange=(-8, 8), yRange=(-8, 8), padding=0)  # panned and zoomed out by the user
    qtbot.waitUntil(lambda: panel.view_box.viewRange()[0] == [-8.0, 8.0])
    hovered: list[tuple[float, float]] = []
    panel.hovered.connect(lambda x, y: hovered.append((x, y)))
    with qtbot.waitSignal(panel.hovered, timeout=5_000):
        widget_at = move_mouse_to(panel, 2.0, 2.0)
    assert hovered[-1] == pytest.approx((2.0, 2.0), abs=0.05)

    with qtbot.waitSignal(panel.hovered, timeout=5_000):
        qtbot.mouseClick(panel.fit_button, Qt.MouseButton.LeftButton)  # the view refits to the points
    scene_at = panel.plot.mapToScene(widget_at.toPoint())
    now = panel.view_box.mapSceneToView(scene_at)
    assert abs(now.x() - 2.0) > 0.1, "the refit should put another position under the mouse"
    assert hovered[-1] == pytest.approx((now.x(), now.y()), abs=1e-6)
    assert (panel.v_line.value(), panel.h_line.value()) == pytest.approx(hovered[-1])
