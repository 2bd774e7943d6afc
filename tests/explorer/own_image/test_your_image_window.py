"""Your own image in the window: drawn with real mouse events or dropped as a real file, pinned as a star where its
code lies, re-encoded at every snapshot; bad files leave a message and the last picture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from core_testkit import REPO_ROOT
from gui_testkit import save_and_wait, start_small_run, wait_for_snapshot, wait_until_idle
from PIL import Image, ImageDraw
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from explorer.bench import pointer
from explorer.own_image.canvas import SIDE
from explorer.own_image.feature import NO_ENCODER

VERTICAL_ONE = [(SIDE / 2, 0.18 * SIDE), (SIDE / 2, 0.82 * SIDE)]  # a "1": one vertical stroke down the middle


@pytest.fixture(scope="session")
def trained_digits(tmp_path_factory: pytest.TempPathFactory, subprocess_env: dict[str, str]) -> Path:
    """A digits-5k model trained by the real CLI well enough for the classes to cluster (two epochs, one cycle),
    once per test session: the window opens it as a user's checkpoint."""
    out = tmp_path_factory.mktemp("trained") / "digits.safetensors"
    command = [sys.executable, "-m", "core", "train", "--dataset", "digits-5k", "--epochs", "2"]
    command += ["--preset", "fast", "--threads", "1", "--no-history", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=REPO_ROOT, env=subprocess_env)
    assert result.returncode == 0, result.stderr
    return out


def show_own_image_dock(window):
    own = window.own_image
    own.dock.toggleViewAction().trigger()  # View › Your image, as the menu does it
    assert own.dock.isVisible()
    return own


def wait_for_pin(qtbot, own, after_step: int | None = None, timeout: int = 60_000) -> None:
    qtbot.waitUntil(
        lambda: own.pinned is not None and (after_step is None or own.pinned.step > after_step) and not own.worker.busy,
        timeout=timeout,
    )


def drop_file(widget, path: Path) -> None:
    """A real drag-and-drop of a local file onto `widget`: enter, then drop, with the file's URL as mime data."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    at = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(
        QPoint(int(at.x()), int(at.y())), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        at, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )  # fmt: skip
    QApplication.sendEvent(widget, drop)


def test_a_drawn_one_lands_among_the_ones(qtbot, window, trained_digits: Path) -> None:
    assert window.open_checkpoint(trained_digits)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    own = show_own_image_dock(window)
    assert not own.star.isVisible()
    with qtbot.waitSignal(own.panel.canvas.drawn, timeout=10_000):  # the stroke ended: the picture changed
        pointer.stroke(own.panel.canvas, VERTICAL_ONE, steps=12)
    wait_for_pin(qtbot, own)

    view, pinned = window.session.view, own.pinned
    codes, labels = view.snapshot.codes, view.snapshot.labels
    one = view.snapshot.classes.index("1")
    nearest = np.argsort(np.linalg.norm(codes - pinned.code, axis=1))[:10]  # in the full latent space
    assert np.sum(labels[nearest] == one) >= 6, [view.label_of(i) for i in nearest]
    centroids = np.stack([codes[labels == c].mean(axis=0) for c in range(len(view.snapshot.classes))])
    assert np.argmin(np.linalg.norm(centroids - pinned.code, axis=1)) == one
    # the star is drawn where the code lies on the view plane, and says what it is
    assert own.star.isVisible() and own.star.toolTip() == "your image"
    assert (own.star.pos().x(), own.star.pos().y()) == pytest.approx(tuple(view.plane.to_plane(pinned.code[None])[0]))
    # the dock shows the picture as the network sees it (white on black, 28×28) and its reconstruction at this step
    assert pinned.image.shape == (1, 28, 28) and pinned.image[0, 0].max() == 0 and pinned.image.max() > 200
    assert not own.panel.reconstruction.pixmap().isNull() and not own.panel.seen.pixmap().isNull()
    assert f"step {view.snapshot.step:,}" in own.panel.reconstruction_title.text()
    assert own.panel.closest.text().startswith("closest: 1")
    # closing the dock takes the star off; Clear forgets the picture
    own.dock.toggleViewAction().trigger()
    assert not own.star.isVisible()
    own.dock.toggleViewAction().trigger()
    assert own.star.isVisible()
    own.panel.clear_button.click()
    assert own.pinned is None and not own.star.isVisible() and own.panel.canvas.blank


def test_the_star_moves_with_every_snapshot_and_with_recorded_frames(qtbot, window, tiny_mnist, tmp_path) -> None:
    start_small_run(window, epochs=3)
    wait_for_snapshot(qtbot, window)
    own = show_own_image_dock(window)
    pointer.stroke(own.panel.canvas, VERTICAL_ONE)
    wait_for_pin(qtbot, own)
    first = own.pinned
    wait_until_idle(qtbot, window)
    wait_for_pin(qtbot, own, after_step=first.step)  # re-encoded with a later snapshot's encoder
    last = own.pinned
    assert last.step == window.session.view.snapshot.step
    assert not np.allclose(last.code, first.code)
    assert (own.star.pos().x(), own.star.pos().y()) == pytest.approx(last.xy)
    # a recorded frame of this run keeps its encoder: the star goes where the drawing lay at that step
    window.timelapse.choose(0)
    frame_step = window.session.view.snapshot.step
    qtbot.waitUntil(lambda: own.pinned.step == frame_step and not own.worker.busy, timeout=30_000)
    assert (own.star.pos().x(), own.star.pos().y()) == pytest.approx(own.pinned.xy)
    assert own.star.isVisible()
    # frames read back from a checkpoint keep decoders only: the dock says so and the star goes, until live again
    path = tmp_path / "run.safetensors"
    save_and_wait(qtbot, window, path)
    window.open_checkpoint(path)
    qtbot.waitUntil(lambda: not window.running and window.session.current_file == path, timeout=60_000)
    qtbot.waitUntil(  # the opened model's own snapshot has its encoder
        lambda: own.pinned is not None and own.pinned.where == window.session.view.where and not own.worker.busy,
        timeout=30_000,
    )
    assert window.timelapse.frames is not None and len(window.timelapse.frames) > 1
    window.timelapse.choose(0)
    qtbot.waitUntil(lambda: own.pinned is None and not own.worker.busy, timeout=30_000)
    assert own.panel.message.text() == NO_ENCODER and not own.star.isVisible()
    window.timelapse.go_live()
    wait_for_pin(qtbot, own)
    assert own.star.isVisible()


def test_a_dropped_picture_is_pinned_and_a_bad_file_leaves_a_message(
    qtbot, window, trained_digits, tmp_path, monkeypatch
) -> None:
    own = show_own_image_dock(window)
    # before any model: the picture is shown and the dock says what is missing
    paper = Image.new("RGB", (90, 120), "white")  # dark ink on white paper, not square, in colour
    ImageDraw.Draw(paper).line([(45, 15), (45, 105)], fill=(20, 20, 60), width=9)
    png = tmp_path / "my one.png"
    paper.save(png)
    drop_file(own.panel.canvas, png)
    qtbot.waitUntil(lambda: not own.panel.canvas.blank and not own.worker.busy, timeout=30_000)
    assert "Train a model or open a checkpoint" in own.panel.message.text()
    assert own.pinned is None and not own.star.isVisible()

    assert window.open_checkpoint(trained_digits)
    wait_for_pin(qtbot, own)  # the new view places the dropped picture
    wait_until_idle(qtbot, window)
    wait_for_pin(qtbot, own)
    pinned = own.pinned
    assert pinned.image.shape == (1, 28, 28)
    assert pinned.image[0, :, :3].max() == 0 and pinned.image.max() > 200  # inverted: white on black, framed
    assert own.star.isVisible()

    corrupt = tmp_path / "broken.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a picture")
    drop_file(own.panel.canvas, corrupt)
    qtbot.waitUntil(lambda: "broken.png" in own.panel.message.text() and not own.worker.busy, timeout=30_000)
    assert "Your last picture is kept" in own.panel.message.text()
    assert own.pinned is pinned and own.star.isVisible() and own.reading is None

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    chosen = []

    def fake_dialog(*args, **kwargs):
        chosen.append(args)
        return str(text), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake_dialog))
    own.panel.open_button.click()
    assert chosen
    qtbot.waitUntil(lambda: "notes.txt is not a picture" in own.panel.message.text(), timeout=30_000)
    assert own.pinned is pinned


def test_the_star_follows_the_pen_before_the_stroke_ends(qtbot, window, trained_digits: Path) -> None:
    assert window.open_checkpoint(trained_digits)
    wait_for_snapshot(qtbot, window)
    wait_until_idle(qtbot, window)
    own = show_own_image_dock(window)
    canvas = own.panel.canvas
    strokes: list[None] = []
    canvas.drawn.connect(lambda: strokes.append(None))

    def send(kind: QEvent.Type, y: float, buttons: Qt.MouseButton) -> None:
        at = QPointF(SIDE / 2, y)
        button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
        event = QMouseEvent(kind, at, canvas.mapToGlobal(at), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(canvas, event)

    send(QEvent.Type.MouseButtonPress, 40, Qt.MouseButton.LeftButton)
    for y in range(44, 120, 4):
        send(QEvent.Type.MouseMove, y, Qt.MouseButton.LeftButton)
    wait_for_pin(qtbot, own)  # placed mid-stroke, the button still down
    assert strokes == [] and own.star.isVisible()
    half = own.pinned
    for y in range(124, 190, 4):
        send(QEvent.Type.MouseMove, y, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, 190, Qt.MouseButton.NoButton)
    qtbot.waitUntil(lambda: own.pinned is not half and not own.worker.busy, timeout=30_000)
    assert len(strokes) == 1
    assert own.pinned.image.sum() != half.image.sum()  # the whole stroke now, not the half drawn then
