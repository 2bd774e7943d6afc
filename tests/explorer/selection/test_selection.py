"""The selection in the real window, driven by real mouse and key events: a class chosen from the legend stays on
the same images across snapshots, recorded frames and into the comparison run; the Selection dock's tiles ring
their points and make them the clicked point; a lasso and a rectangle select exactly the points inside them."""

from __future__ import annotations

import numpy as np
from gui_testkit import start_small_run, wait_for_snapshot, wait_until_idle
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPolygonF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from core.latent.selection_set import of_class
from explorer.bench import pointer
from explorer.latent.latent_panel import SelectTool
from explorer.selection.tiles import INDEX_ROLE


def drawn_selection(run) -> tuple[np.ndarray, np.ndarray]:
    """The display indices a RunView's panel draws as selected (ringed, on top) and where it draws them."""
    cloud = run.latent.points
    count = cloud._ringed
    indices = cloud._drawn[len(cloud._drawn) - count :]
    xy = np.stack([cloud._x[len(cloud._x) - count :], cloud._y[len(cloud._y) - count :]], axis=1)
    order = np.argsort(indices)
    return indices[order], xy[order]


def legend_label(panel, label: int) -> QLabel:
    return panel.legend.widget().findChildren(QLabel, "legendText")[label]


def ctrl_click(widget, modifiers=Qt.KeyboardModifier.ControlModifier) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, modifiers, widget.rect().center())


def test_a_class_chosen_in_the_legend_stays_on_its_images_across_snapshots_and_frames(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=3)
    wait_for_snapshot(qtbot, window)
    first = window.session.view
    labels = first.snapshot.labels
    chosen = int(labels[0])
    ctrl_click(legend_label(window.latent, chosen))
    expected = of_class(labels, chosen)
    np.testing.assert_array_equal(window.selection.indices, expected)
    assert window.select.dock.isVisible()
    summary = window.select.panel.summary.text()
    assert summary.startswith(f"{len(expected):,} of {len(labels):,} images selected")
    assert f"{first.snapshot.classes[chosen]} {len(expected):,}" in summary

    # a later snapshot: the same images are drawn selected, where that snapshot puts them
    qtbot.waitUntil(lambda: window.session.view.snapshot.step > first.snapshot.step, timeout=120_000)
    wait_until_idle(qtbot, window, timeout=120_000)
    view = window.session.view
    indices, xy = drawn_selection(window.run)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(xy, view.xy[expected], atol=1e-6)
    assert window.select.panel.model.rowCount() == len(expected)

    # a recorded frame (the time-lapse's first): still those images, at that frame's positions
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)
    frame = window.session.view
    assert frame.snapshot.step == 0
    indices, xy = drawn_selection(window.run)
    np.testing.assert_array_equal(indices, expected)
    np.testing.assert_allclose(xy, frame.xy[expected], atol=1e-6)
    np.testing.assert_array_equal(window.selection.indices, expected)


def test_a_tile_rings_its_point_when_hovered_and_becomes_the_clicked_point(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    view = window.session.view
    chosen = int(view.snapshot.labels[5])
    ctrl_click(legend_label(window.latent, chosen))
    tiles = window.select.panel.tiles
    qtbot.waitExposed(tiles)
    index = tiles.model().index(2, 0)
    image = int(tiles.model().data(index, INDEX_ROLE))
    centre = tiles.visualRect(index).center()
    QTest.mouseMove(tiles.viewport(), centre)
    qtbot.waitUntil(lambda: window.latent.ring.isVisible(), timeout=5_000)
    assert window.latent.ringed == image
    ring = window.latent.ring.pos()
    assert (ring.x(), ring.y()) == tuple(float(v) for v in view.xy[image])
    QTest.mouseClick(tiles.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert window.latent.marked == image
    assert f"image #{image}" in window.preview.picked_label.text()
    QTest.mouseMove(tiles.viewport(), QPoint(-5, -5))
    QTest.mouseMove(window.latent.plot.viewport(), window.latent.plot.viewport().rect().center())
    qtbot.waitUntil(lambda: not window.latent.ring.isVisible(), timeout=5_000)


def test_the_selection_is_highlighted_on_the_same_images_in_the_comparison_run(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    view = window.session.view
    ctrl_click(legend_label(window.latent, int(view.snapshot.labels[0])))
    ctrl_click(legend_label(window.latent, int(view.snapshot.labels[1])), _shift_ctrl())  # Ctrl+Shift adds
    selected = window.selection.indices
    assert len(np.unique(view.snapshot.labels[selected])) == 2
    # another seed: another order of the display images in the comparison run
    window.controls.seed.setValue(window.controls.seed.value() + 1)
    window.menus.action("train-comparison").trigger()
    other = window.comparison_run
    qtbot.waitUntil(lambda: other.session.running, timeout=10_000)
    qtbot.waitUntil(lambda: not other.session.running and other.session.view is not None, timeout=120_000)
    theirs = other.session.view.snapshot.display_images
    assert not np.array_equal(theirs, view.snapshot.display_images)  # the same images, in another order
    indices, xy = drawn_selection(other)
    wanted = {view.snapshot.display_images[i].tobytes() for i in selected}
    assert {theirs[i].tobytes() for i in indices} == wanted and len(indices) == len(selected)
    np.testing.assert_allclose(xy, other.session.view.xy[indices], atol=1e-6)
    # a rectangle drawn on the comparison's panel selects, in the first run, the images inside it there
    window.select.set_tool(SelectTool.RECTANGLE)
    points = other.session.view.xy
    window.comparison.dock.raise_()
    qtbot.waitExposed(other.latent)
    x0, y0 = on_pixel(other.latent, *np.percentile(points, 20, axis=0))
    x1, y1 = on_pixel(other.latent, *np.percentile(points, 80, axis=0))
    pointer.plane_stroke(other.latent, [(x0, y0), (x1, y0), (x1, y1)])
    inside = np.flatnonzero((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1))
    picked = {theirs[i].tobytes() for i in inside}
    assert {view.snapshot.display_images[i].tobytes() for i in window.selection.indices} == picked


def on_pixel(panel, x: float, y: float) -> tuple[float, float]:
    """The plane position of the whole pixel nearest (x, y): where a real mouse can be, and where the lasso's corner
    then is."""
    plot, box = panel.plot, panel.view_box
    where = box.mapSceneToView(plot.mapToScene(plot.mapFromScene(box.mapViewToScene(QPointF(x, y)))))
    return where.x(), where.y()


def _shift_ctrl() -> Qt.KeyboardModifier:
    return Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def inside_polygon(xy: np.ndarray, polygon: list[tuple[float, float]]) -> np.ndarray:
    """The points inside `polygon` by Qt's own even-odd test: independent of the code under test."""
    shape = QPolygonF([QPointF(x, y) for x, y in polygon])
    return np.array([shape.containsPoint(QPointF(float(x), float(y)), Qt.FillRule.OddEvenFill) for x, y in xy])


def test_a_lasso_selects_exactly_the_points_inside_it_and_shift_and_alt_add_and_remove(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    xy = window.session.view.xy
    (u0, u1), (v0, v1) = window.latent.view_box.viewRange()

    def at(fx: float, fy: float) -> tuple[float, float]:
        return on_pixel(window.latent, u0 + fx * (u1 - u0), v0 + fy * (v1 - v0))

    window.menus.action("select-lasso").trigger()
    assert window.latent.tool is SelectTool.LASSO
    # a concave lasso (an L), traced as a user would
    lasso = [at(0.1, 0.1), at(0.6, 0.1), at(0.6, 0.45), at(0.35, 0.45), at(0.35, 0.9), at(0.1, 0.9)]
    pointer.plane_stroke(window.latent, lasso)
    expected = np.flatnonzero(inside_polygon(xy, lasso))
    assert 0 < len(expected) < len(xy)
    np.testing.assert_array_equal(window.selection.indices, expected)
    np.testing.assert_array_equal(drawn_selection(window.run)[0], expected)

    # Shift adds a second lasso's points
    second = [at(0.5, 0.5), at(0.95, 0.5), at(0.95, 0.95), at(0.5, 0.95)]
    pointer.plane_stroke(window.latent, second, Qt.KeyboardModifier.ShiftModifier)
    added = np.union1d(expected, np.flatnonzero(inside_polygon(xy, second)))
    np.testing.assert_array_equal(window.selection.indices, added)

    # Alt removes a third's
    third = [at(0.0, 0.0), at(0.4, 0.0), at(0.4, 1.0), at(0.0, 1.0)]
    pointer.plane_stroke(window.latent, third, Qt.KeyboardModifier.AltModifier)
    left = np.setdiff1d(added, np.flatnonzero(inside_polygon(xy, third)))
    np.testing.assert_array_equal(window.selection.indices, left)

    # a click (no drag) in the lasso tool still makes a point the clicked one; the view did not pan meanwhile
    assert window.latent.view_box.viewRange() == [[u0, u1], [v0, v1]]
    target = int(left[0]) if len(left) else 0
    pointer.click_at(window.latent, *xy[target])
    assert window.latent.marked is not None

    # back to Pan: a drag pans again and selects nothing new
    window.menus.action("select-pan").trigger()
    before = window.selection.indices.copy()
    pointer.plane_stroke(window.latent, [at(0.5, 0.5), at(0.6, 0.6), at(0.7, 0.7)])
    assert window.latent.view_box.viewRange() != [[u0, u1], [v0, v1]]
    np.testing.assert_array_equal(window.selection.indices, before)
