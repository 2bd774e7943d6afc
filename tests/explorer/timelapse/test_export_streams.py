"""File › Export time-lapse streams its frames (issue 24, defect 6, the window's side): each frame is drawn when the
writer asks for it and let go once written, so a long recording at any width never sits in memory whole."""

from __future__ import annotations

import weakref

import pytest
from gui_testkit import start_small_run, wait_for_snapshot
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

import core.timelapse.pictures as pictures


@pytest.mark.parametrize("name", ["run.gif", "frame.png"])
def test_the_export_holds_at_most_two_drawn_frames_at_once(qtbot, window, tiny_mnist, tmp_path, monkeypatch, name):
    start_small_run(window, epochs=5)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    count = len(window.timelapse.frames)
    assert count >= 6  # the start and each epoch's end

    drawn: list[weakref.ref] = []
    peak = [0]
    real_draw = pictures.draw_frame

    def counted_draw(*args, **kwargs):
        """The real drawing; the number of drawn frames still alive (held by someone) when each is drawn."""
        image = real_draw(*args, **kwargs)
        drawn.append(weakref.ref(image))
        peak[0] = max(peak[0], sum(ref() is not None for ref in drawn))
        return image

    monkeypatch.setattr(pictures, "draw_frame", counted_draw)
    path = tmp_path / name
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    action_id = "export-timelapse" if name.endswith(".gif") else "export-frame"
    with qtbot.waitSignal(window.tasks.ended, timeout=120_000) as ended:
        window.findChild(QAction, action_id).trigger()
    assert ended.args[1] == ""
    with Image.open(path) as image:
        assert getattr(image, "n_frames", 1) == (count if name.endswith(".gif") else 1)
    assert len(drawn) == (count if name.endswith(".gif") else 1)
    assert peak[0] <= 2, f"{peak[0]} of {count} drawn frames were held at once"
