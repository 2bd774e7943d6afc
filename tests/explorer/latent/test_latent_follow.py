"""The latent view follows the points: at every snapshot, and at live updates only when they outgrow it.

Why the live rule: a view refitted at every live update redrew both axes each time, a fifth of what the window's
thread spent while training took every core (core.training.pacing).
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest

from core.latent.plane import fit_plane
from explorer.latent.latent_panel import LatentPanel

CLASSES = tuple(str(i) for i in range(10))


@pytest.fixture
def panel(qapp, qtbot) -> LatentPanel:
    widget = LatentPanel()
    widget.resize(600, 500)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cloud(scale: float, count: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-scale, scale, size=(count, 2)).astype(np.float32)
    xy[0], xy[1] = (-scale, -scale), (scale, scale)  # the corners: the bounds are exactly ±scale
    return xy, rng.integers(0, 10, count)


def settled_range(qapp, panel: LatentPanel) -> list[list[float]]:
    """The view range once layout and auto-range have done their work (the legend appearing re-lays out the plot)."""
    last = None
    for _ in range(50):
        qapp.processEvents()
        now = panel.view_box.viewRange()
        if now == last:
            return now
        last = now
    raise AssertionError("the view never settled")


def test_live_updates_inside_the_view_leave_it_still(qapp, panel) -> None:
    xy, labels = cloud(2.0)
    plane = fit_plane(xy)
    panel.show_points(xy, labels, CLASSES, plane)
    fitted = settled_range(qapp, panel)
    assert fitted[0][0] < -2.0 and fitted[0][1] > 2.0  # the snapshot: fitted with padding
    jittered = xy * 0.9  # the points moved a little, all inside: the view stays where it is
    panel.show_points(jittered, labels, CLASSES, plane, live=True)
    assert settled_range(qapp, panel) == fitted
    # and the moved points are the ones drawn
    drawn = np.zeros_like(xy)
    drawn[panel.points._order, 0], drawn[panel.points._order, 1] = panel.points._x, panel.points._y
    np.testing.assert_array_equal(drawn, jittered)


def test_live_updates_that_leave_or_shrink_well_inside_the_view_move_it(qapp, panel) -> None:
    xy, labels = cloud(2.0)
    plane = fit_plane(xy)
    panel.show_points(xy, labels, CLASSES, plane)
    fitted = settled_range(qapp, panel)
    panel.show_points(xy * 1.5, labels, CLASSES, plane, live=True)  # outgrew it
    grown = settled_range(qapp, panel)
    assert grown[0][0] < -3.0 and grown[0][1] > 3.0 and grown[1][1] > 3.0
    panel.show_points(xy * 0.5, labels, CLASSES, plane, live=True)  # shrank to a third of the bounds kept
    shrunk = settled_range(qapp, panel)
    assert shrunk[0][1] < fitted[0][1] and shrunk[0][1] > 1.0


def test_a_snapshot_fits_exactly_again_after_live_updates(qapp, panel) -> None:
    xy, labels = cloud(2.0)
    plane = fit_plane(xy)
    panel.show_points(xy, labels, CLASSES, plane)
    fitted = settled_range(qapp, panel)
    panel.show_points(xy * 0.9, labels, CLASSES, plane, live=True)
    assert settled_range(qapp, panel) == fitted
    panel.show_points(xy * 0.9, labels, CLASSES, plane)  # the next snapshot: fitted to its own points
    refitted = settled_range(qapp, panel)
    assert refitted[0][1] < fitted[0][1]


def test_after_the_user_zooms_live_updates_do_not_move_the_view(qapp, qtbot, panel) -> None:
    xy, labels = cloud(2.0)
    plane = fit_plane(xy)
    panel.show_points(xy, labels, CLASSES, plane)
    settled_range(qapp, panel)
    viewport = panel.plot.viewport()
    centre = viewport.rect().center()
    QTest.mouseMove(viewport, centre)
    wheel = QWheelEvent(
        QPointF(centre),
        QPointF(viewport.mapToGlobal(centre)),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    qapp.sendEvent(viewport, wheel)  # a real wheel event: zoomed in, following stops
    zoomed = settled_range(qapp, panel)
    panel.show_points(xy * 3.0, labels, CLASSES, plane, live=True)
    assert settled_range(qapp, panel) == zoomed
