"""The path pinned on the first run's latent plot, shown in the comparison run too (real mouse and key events): the
comparison's strip decodes the same path with its own snapshot, its plot draws the line, and clearing clears both."""

from __future__ import annotations

import numpy as np
from gui_testkit import start_small_run, wait_for_snapshot, wait_until_idle
from PySide6.QtCore import Qt

from explorer.bench.pointer import click_at, drag
from explorer.compare.path import same_images

SHIFT = Qt.KeyboardModifier.ShiftModifier


def _line_ends(line) -> np.ndarray:
    x, y = line.getData()
    return np.stack([x, y], axis=1)


def test_the_comparison_shows_the_pinned_path_decoded_with_its_own_snapshot(window, tiny_mnist, qtbot) -> None:
    comparison = window.comparison_run
    shown = window.comparison_path
    train_comparison = window.menus.action("train-comparison")
    pins = window.exploration.pins
    start_small_run(window, epochs=1, latent=4)  # latent 4: paths between two images join their full codes
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    main_view = window.session.view
    a, b = int(np.argmin(main_view.xy[:, 0])), int(np.argmax(main_view.xy[:, 0]))
    click_at(window.latent, *main_view.xy[a], SHIFT)  # pinned before the comparison exists: it follows later
    click_at(window.latent, *main_view.xy[b], SHIFT)
    qtbot.waitUntil(lambda: pins.last is not None, timeout=10_000)
    if [e.index for e in pins.ends] != [a, b]:  # another point drawn over it: pin what was clicked
        a, b = pins.ends[0].index, pins.ends[1].index
    assert None not in (a, b) and pins.last.path.full_codes

    window.controls.lr.setValue(window.controls.lr.value() * 3)  # another network on the same display images
    train_comparison.trigger()
    qtbot.waitUntil(lambda: comparison.session.running, timeout=10_000)
    qtbot.waitUntil(lambda: not comparison.session.running, timeout=120_000)
    qtbot.waitUntil(lambda: comparison.session.view is not None, timeout=10_000)
    other = comparison.session.view
    assert same_images(main_view, other)
    qtbot.waitUntil(lambda: shown.last is not None and shown.last.step == other.snapshot.step, timeout=10_000)

    # both ends images of both display sets, latent 4: the comparison's own full codes of those images
    steps = window.exploration.strip.frames.value()
    t = np.linspace(0, 1, steps)[:, None]
    codes = other.snapshot.codes.astype(np.float64)
    decoded = shown.last
    assert decoded.path.full_codes and len(decoded.frames) == steps
    np.testing.assert_allclose(decoded.frames, other.decode(((1 - t) * codes[a] + t * codes[b]).astype(np.float32)))
    np.testing.assert_allclose(decoded.frames[-1], other.reconstruct(b), atol=1e-5)
    assert not np.allclose(decoded.frames, pins.last.frames, atol=1e-3)  # two networks, two strips
    caption = shown.strip.caption.text()
    assert caption.startswith("Comparison run:") and "full codes" in caption and other.where in caption
    assert shown.strip.isVisible() and shown.strip.strip.pixmap() is not None
    assert shown.line.isVisible() and all(mark.isVisible() for mark in shown.marks)
    np.testing.assert_allclose(_line_ends(shown.line), other.xy[[a, b]], atol=1e-5)  # its own images' places

    # drag pin B to empty space: the same plane positions, decoded with the comparison's decoder
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    empty = (x0 + 0.97 * (x1 - x0), y0 + 0.97 * (y1 - y0))
    drag(window.latent, tuple(main_view.xy[b]), empty)
    qtbot.waitUntil(lambda: shown.last is not None and not shown.last.path.full_codes, timeout=10_000)
    decoded = shown.last
    xy = (1 - t) * np.asarray(pins.ends[0].xy, np.float64) + t * np.asarray(pins.ends[1].xy, np.float64)
    assert pins.ends[1].index is None
    np.testing.assert_allclose(decoded.path.xy, xy, atol=1e-5)
    np.testing.assert_allclose(decoded.frames, other.decode(other.plane.from_plane(xy)), atol=1e-6)
    for k in (0, steps // 2, steps - 1):
        np.testing.assert_allclose(decoded.frames[k], other.decode_at(*xy[k])[0], atol=1e-5)
    assert "along the view plane" in shown.strip.caption.text()
    np.testing.assert_allclose(_line_ends(shown.line), xy[[0, -1]], atol=1e-5)

    # fewer frames in the first run's strip: the comparison's follows
    window.exploration.strip.frames.setValue(8)
    qtbot.waitUntil(lambda: shown.last is not None and len(shown.last.frames) == 8, timeout=10_000)

    # Esc clears both
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert pins.ends == [] and not pins.line.isVisible()
    assert shown.last is None and not shown.line.isVisible() and not shown.strip.isVisible()
    assert not any(mark.isVisible() for mark in shown.marks)

    # one new pin: the comparison waits for the second
    click_at(window.latent, *empty, SHIFT)
    assert len(pins.ends) == 1 and shown.strip.isVisible() and not shown.strip.strip.isVisible()
    assert "first run" in shown.strip.caption.text() and not shown.line.isVisible()

    # a comparison with another seed: another display set, so two pinned images give the same plane positions
    window.controls.seed.setValue(window.controls.seed.value() + 1)
    train_comparison.trigger()
    qtbot.waitUntil(lambda: comparison.session.running, timeout=10_000)
    qtbot.waitUntil(lambda: not comparison.session.running, timeout=120_000)
    qtbot.waitUntil(
        lambda: comparison.session.view is not None and comparison.session.view is not other, timeout=10_000
    )
    other = comparison.session.view
    assert not same_images(main_view, other)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    click_at(window.latent, *main_view.xy[a], SHIFT)
    click_at(window.latent, *main_view.xy[b], SHIFT)
    qtbot.waitUntil(lambda: shown.last is not None and shown.last.step == other.snapshot.step, timeout=10_000)
    assert pins.last.path.full_codes and [e.index for e in pins.ends] == [a, b]
    decoded, t = shown.last, np.linspace(0, 1, 8)[:, None]
    xy = (1 - t) * main_view.xy[a].astype(np.float64) + t * main_view.xy[b].astype(np.float64)
    assert not decoded.path.full_codes and all(end.index is None for end in decoded.ends)
    np.testing.assert_allclose(decoded.frames, other.decode(other.plane.from_plane(xy)), atol=1e-6)
    caption = shown.strip.caption.text()
    assert "along the view plane" in caption and "display images differ" in caption
