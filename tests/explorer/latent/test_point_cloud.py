"""The point cloud paints only inside its bounding rect: Qt repaints (erases) only what that rect covers, so any
pixel painted outside it stays on screen after the points move (issue 25, item 13: playback left stray fragments)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from core.latent.plane import fit_plane
from explorer.latent.latent_panel import LatentPanel
from explorer.utils.palette import argb_table

CLASSES = tuple(str(n) for n in range(10))


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
    plane = fit_plane(np.zeros((2, 2), np.float32))  # 2-D codes: the codes themselves
    for spread in (1.0, 0.4, 2.5):  # the points move as in playback, the view fixed meanwhile
        xy = rng.normal(0, spread, (400, 2)).astype(np.float32)
        xy[:4] = [[-3, -3], [3, -3], [-3, 3], [3, 3]]  # points in the view's corners
        panel.show_points(xy, rng.integers(0, 10, 400), CLASSES, plane)
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
