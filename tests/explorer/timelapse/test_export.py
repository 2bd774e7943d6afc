"""File › Export time-lapse and shown frame: written off the GUI thread through the real menu actions and file
dialogs; a failure is said, never "Exporting…" forever; a window closed while an export writes waits for it."""

from __future__ import annotations

import threading
from pathlib import Path

from gui_testkit import start_small_run, wait_for_snapshot
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog


def trained(qtbot, window) -> int:
    """A short run, ended; the number of frames it recorded."""
    start_small_run(window, epochs=2)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    frames = window.timelapse.frames
    assert frames is not None and len(frames) >= 3  # the start and each epoch's end
    return len(frames)


def export_to(qtbot, window, monkeypatch, action_id: str, path: Path) -> None:
    """Trigger File › `action_id` with the save dialog answering `path`, and wait until its task has ended."""
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    action = window.findChild(QAction, action_id)
    with qtbot.waitSignal(window.tasks.ended, timeout=120_000):
        action.trigger()


def test_the_time_lapse_and_the_shown_frame_are_written(qtbot, window, tiny_mnist, tmp_path, monkeypatch):
    count = trained(qtbot, window)
    gif = tmp_path / "run.gif"
    export_to(qtbot, window, monkeypatch, "export-timelapse", gif)
    assert window.statusBar().currentMessage() == f"Exported the time-lapse ({count:,} frames) to {gif}"
    with Image.open(gif) as image:
        assert image.n_frames == count

    window.timelapse.choose(0)
    png = tmp_path / "first.png"
    export_to(qtbot, window, monkeypatch, "export-frame", png)
    assert window.statusBar().currentMessage() == f"Exported frame 1 to {png}"
    with Image.open(png) as image:
        assert image.size == (800, 600)


def test_a_failed_export_is_said(qtbot, window, tiny_mnist, tmp_path, monkeypatch):
    trained(qtbot, window)
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "run.gif"
    export_to(qtbot, window, monkeypatch, "export-timelapse", target)
    assert window.statusBar().currentMessage().startswith("Could not export")
    assert str(target) in window.statusBar().currentMessage()
    assert not target.exists()


def test_closing_the_window_waits_for_an_export_under_way(qtbot, window, tiny_mnist, tmp_path, monkeypatch):
    """The export is a real one, held inside its background task until the window has begun to close; the close
    returns only once the file is whole."""
    import core.timelapse.pictures as pictures

    count = trained(qtbot, window)
    writing, release = threading.Event(), threading.Event()
    real_draw_frame = pictures.draw_frame

    def held_draw_frame(*args, **kwargs):  # the frames are drawn as the writer streams them
        writing.set()
        assert release.wait(60), "the close never began"
        return real_draw_frame(*args, **kwargs)

    monkeypatch.setattr(pictures, "draw_frame", held_draw_frame)
    gif = tmp_path / "at-close.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(gif), ""))
    window.findChild(QAction, "export-timelapse").trigger()
    qtbot.waitUntil(writing.is_set, timeout=60_000)
    assert not gif.exists()
    window.close_hooks.add("the test lets the export go on", release.set)  # runs as the close begins
    window.close()
    assert window.tasks.running() == []
    with Image.open(gif) as image:
        assert image.n_frames == count


def test_an_export_that_outlives_the_close_is_named_and_still_written(
    qtbot, window, tiny_mnist, tmp_path, monkeypatch, caplog
):
    """The close waits a while, not forever: an export still writing then is named in the log, and (its thread is no
    daemon) goes on until its file is whole."""
    import core.timelapse.pictures as pictures
    import explorer.window.main_window as main_window

    count = trained(qtbot, window)
    writing, release = threading.Event(), threading.Event()
    real_draw_frame = pictures.draw_frame

    def held_draw_frame(*args, **kwargs):  # the frames are drawn as the writer streams them
        writing.set()
        assert release.wait(60), "the test never let the export go on"
        return real_draw_frame(*args, **kwargs)

    monkeypatch.setattr(pictures, "draw_frame", held_draw_frame)
    monkeypatch.setattr(main_window, "CLOSE_WAIT_S", 0.1)
    gif = tmp_path / "after-close.gif"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(gif), ""))
    window.findChild(QAction, "export-timelapse").trigger()
    qtbot.waitUntil(writing.is_set, timeout=60_000)
    window.close()
    assert "still at work" in caplog.text and "after-close.gif" in caplog.text
    assert window.tasks.running() == ["export after-close.gif"]
    release.set()
    assert window.tasks.join(60) == []
    with Image.open(gif) as image:
        assert image.n_frames == count
