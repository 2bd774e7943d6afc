"""Two RunViews (the run and the comparison run) sharing one cursor, driven by real mouse moves: the panel under
the mouse and the other one decode the same plane position, each with its own view, and say so in one record."""

from __future__ import annotations

import numpy as np
import pytest
from gui_testkit import start_small_run, wait_for_snapshot, wait_until_idle

from explorer.bench import pointer


class Records:
    """The Hovered records a RunView's decoder emits."""

    def __init__(self, run) -> None:
        self.seen: list = []
        run.hover.decoded.connect(self.seen.append)


def test_a_mouse_move_over_either_panel_decodes_the_same_position_in_both_runs(qtbot, window, tiny_mnist) -> None:
    start_small_run(window, epochs=1)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    window.controls.seed.setValue(window.controls.seed.value() + 1)  # another network for the comparison
    window.menus.action("train-comparison").trigger()
    other = window.comparison_run
    qtbot.waitUntil(lambda: other.session.running, timeout=10_000)
    qtbot.waitUntil(lambda: not other.session.running and other.session.view is not None, timeout=120_000)
    first_records, other_records = Records(window.run), Records(other)

    # over the comparison's panel
    window.comparison.dock.raise_()
    (u0, u1), (v0, v1) = other.latent.view_box.viewRange()
    with qtbot.waitSignal(window.cursor.moved, timeout=5_000):
        pointer.move_mouse_to(other.latent, u0 + 0.6 * (u1 - u0), v0 + 0.45 * (v1 - v0))
    assert len(first_records.seen) == len(other_records.seen) == 1
    mine, theirs = other_records.seen[0], first_records.seen[0]
    assert mine.xy == theirs.xy == window.cursor.position
    assert mine.view is other.session.view and theirs.view is window.session.view  # each run's own view
    np.testing.assert_allclose(mine.image, other.session.view.decode_at(*mine.xy)[0])
    np.testing.assert_allclose(theirs.image, window.session.view.decode_at(*theirs.xy)[0])
    assert not np.allclose(mine.image, theirs.image)  # two networks, two pictures
    np.testing.assert_allclose(window.preview.last_image, theirs.image)
    np.testing.assert_allclose(other.preview.last_image, mine.image)
    assert window.latent.v_line.isVisible()  # the first panel draws the shared cursor
    assert (window.latent.v_line.value(), window.latent.h_line.value()) == pytest.approx(mine.xy)
    # the first run has a nearest-images panel: its record carries them; the comparison's asks for none
    assert theirs.nearest is not None and theirs.meter is not None and mine.nearest is None
    assert window.neighbours.shown_indices == theirs.nearest.indices.tolist()

    # and over the first run's panel
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    with qtbot.waitSignal(window.cursor.moved, timeout=5_000):
        pointer.move_mouse_to(window.latent, x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    assert len(first_records.seen) == len(other_records.seen) == 2
    assert first_records.seen[-1].xy == other_records.seen[-1].xy == window.cursor.position
    assert (other.latent.v_line.value(), other.latent.h_line.value()) == pytest.approx(window.cursor.position)
