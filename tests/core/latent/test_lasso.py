"""points_in_polygon: the lasso's test, against shapes whose insides are known and a point-by-point reference."""

from __future__ import annotations

import numpy as np

from core.latent.lasso import points_in_polygon


def _pnpoly(point: tuple[float, float], polygon: np.ndarray) -> bool:
    """W. R. Franklin's PNPOLY, one point at a time: the textbook crossing test, written independently."""
    x, y = point
    inside = False
    j = len(polygon) - 1
    for i in range(len(polygon)):
        xi, yi = polygon[i]
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def test_a_circle_holds_the_points_within_its_radius():
    rng = np.random.default_rng(1)
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.column_stack([np.cos(angles), np.sin(angles)]) * 2 + [0.5, -1]
    points = rng.uniform(-3, 4, (20_000, 2))
    distance = np.hypot(points[:, 0] - 0.5, points[:, 1] + 1)
    mask = points_in_polygon(points, circle)
    clear = np.abs(distance - 2) > 1e-3  # the 400-gon lies within 1e-4 of the circle
    assert np.array_equal(mask[clear], (distance < 2)[clear])


def test_a_concave_shape_and_a_bow_tie_follow_the_even_odd_rule():
    c_shape = np.array([[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3]], float)
    points = np.array([[0.5, 1.5], [2, 1.5], [2, 0.5], [2, 2.5], [4, 1], [-1, 1]])
    assert points_in_polygon(points, c_shape).tolist() == [True, False, True, True, False, False]
    bow_tie = np.array([[0, 0], [2, 2], [2, 0], [0, 2]], float)  # crosses itself at (1, 1)
    points = np.array([[0.2, 1.0], [1.8, 1.0], [1.0, 0.2], [1.0, 1.8]])
    assert points_in_polygon(points, bow_tie).tolist() == [True, True, False, False]


def test_random_lassos_agree_with_the_point_by_point_reference():
    rng = np.random.default_rng(7)
    for vertices in (3, 12, 150):
        angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
        radii = rng.uniform(0.2, 1.0, vertices)
        polygon = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
        if vertices == 150:
            polygon = rng.uniform(-1, 1, (vertices, 2))  # a scribble that crosses itself everywhere
        points = rng.uniform(-1.2, 1.2, (3000, 2))
        expected = [_pnpoly((x, y), polygon) for x, y in points]
        assert points_in_polygon(points, polygon).tolist() == expected, vertices


def test_degenerate_input_selects_nothing_and_nan_points_are_outside():
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    assert not points_in_polygon(np.array([[0.5, 0.5]]), square[:2]).any()
    assert points_in_polygon(np.zeros((0, 2)), square).shape == (0,)
    mask = points_in_polygon(np.array([[np.nan, 0.5], [0.5, np.nan], [0.5, 0.5]]), square)
    assert mask.tolist() == [False, False, True]
    # vertices with NaN (a mouse position off the plot) are dropped, not spread as NaN through the test
    with_nan = np.vstack([square[:2], [[np.nan, np.nan]], square[2:]])
    assert points_in_polygon(np.array([[0.5, 0.5]]), with_nan).tolist() == [True]
