"""Hostile input in the window (issue 24, the window's halves): a folder load that Stop ends, a FIFO named like a
picture, export failures that reach the user, huge weights refused. Real files, real threads, real signals."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from core.settings import FOLDER_PREFIX, TrainConfig
from explorer.training.worker import TrainingRunner


def write_many_pngs(root: Path, count: int) -> Path:
    """`count` tiny real PNGs in two class folders: thousands of files take seconds to decode."""
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
    for index in range(count):
        pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
        Image.fromarray(pixels, "L").save(root / ("a", "b")[index % 2] / f"{index:05d}.png")
    return root


def test_stop_during_a_folder_load_ends_the_run_at_once_and_saves_nothing(qtbot, qapp, tmp_path, monkeypatch):
    """Stop as a folder of thousands of files begins to load: the load ends (the stop flag reaches core's loader:
    the folder is never read whole, so nothing is cached), quietly (no refusal, no failure: the user asked for it),
    and no checkpoint of an untrained run is kept. Stop comes at once, not after a fixed wait: the load polls the
    flag between files, so it may come at any point of the load and must end it there."""
    monkeypatch.setenv("CONVAE_CACHE_DIR", str(tmp_path / "cache"))
    folder = write_many_pngs(tmp_path / "pictures", 3000)
    autosave = tmp_path / "autosave" / "run.safetensors"

    def factory(notify, stopped):
        from core.runs.start import new_run

        return new_run(FOLDER_PREFIX + str(folder), 2, TrainConfig(epochs=1, device="cpu"), notify, stopped=stopped)

    runner = TrainingRunner()
    refusals, failures = [], []

    def listen(worker, _thread):
        worker.refused.connect(refusals.append)
        worker.failed.connect(lambda message, _trace: failures.append(message))

    runner.start(factory, train=True, autosave_to=autosave, listen=listen)
    try:
        runner.control.stop()
        qtbot.waitUntil(lambda: not runner.running, timeout=60_000)
    finally:
        runner.shutdown()
    assert refusals == [] and failures == []
    assert runner.outcome.model is None
    assert not autosave.exists()
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == [], "the whole folder was read after Stop"


def test_stop_in_the_window_during_a_folder_load_ends_the_load(qtbot, window, tmp_path, monkeypatch):
    """Train on a folder of thousands of files, Stop as it is read: the window is idle again with nothing read
    whole (no cache of the folder written), and no checkpoint of a run that never trained."""
    monkeypatch.setenv("CONVAE_CACHE_DIR", str(tmp_path / "cache"))
    folder = write_many_pngs(tmp_path / "pictures", 3000)
    window.data_choice.use_image_folder(folder)
    window.start_training()
    assert window.running
    window.stop_training()  # at once: the load polls the flag between files, wherever it has got to
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached == [], "the whole folder was read after Stop"
    assert not list((tmp_path / "autosave").glob("*.safetensors"))


def drop_file(widget, path: Path) -> None:
    """A real drag-and-drop of a local file onto `widget`: enter, then drop, with the file's URL as mime data."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    at = QPointF(widget.width() / 2, widget.height() / 2)
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, data, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(at, Qt.DropAction.CopyAction, data, buttons, modifiers))


@pytest.fixture
def fifo_png(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.png"
    os.mkfifo(path)
    return path


def test_a_fifo_named_like_a_picture_is_refused_and_the_dock_keeps_working(qtbot, window, fifo_png, tmp_path):
    """A FIFO dropped on "Your image", then chosen in Open image…: each is refused in words at once (never read:
    a read would block the dock's only worker for the session) and the next real picture is still shown."""
    own = window.own_image
    own.dock.toggleViewAction().trigger()  # View › Your image, as the menu does it
    drop_file(own.panel.canvas, fifo_png)
    qtbot.waitUntil(lambda: "hostile.png" in own.panel.message.text() and not own.worker.busy, timeout=30_000)
    assert "not a regular file" in own.panel.message.text() or "FIFO" in own.panel.message.text()
    assert own.panel.canvas.blank and own.reading is None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *args, **kwargs: (str(fifo_png), "")))
        own.panel.say("")
        own.panel.open_button.click()
        qtbot.waitUntil(lambda: "hostile.png" in own.panel.message.text() and not own.worker.busy, timeout=30_000)

    picture = tmp_path / "real.png"
    Image.new("RGB", (40, 40), "white").save(picture)
    drop_file(own.panel.canvas, picture)
    qtbot.waitUntil(lambda: not own.panel.canvas.blank and not own.worker.busy, timeout=30_000)
    assert own.reading is None


def test_a_fifo_in_an_image_folder_is_named_and_the_run_trains_and_closes(qtbot, window, tmp_path):
    """A FIFO named like a picture among a folder's images, trained in the window: the run loads the real images,
    names the FIFO in its notice, trains, and stops and closes without waiting on a read."""
    folder = write_many_pngs(tmp_path / "pictures", 64)
    os.mkfifo(folder / "a" / "zz-hostile.png")
    notices: list[str] = []
    window.session.notice.connect(notices.append)
    window.data_choice.use_image_folder(folder)
    window.controls.epochs.setValue(50)
    with qtbot.waitSignal(window.session.runReady, timeout=60_000):
        window.start_training()
    qtbot.waitUntil(lambda: any("zz-hostile.png" in notice for notice in notices), timeout=60_000)
    qtbot.waitUntil(lambda: len(window.session.losses) > 0, timeout=60_000)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)


def write_bytes_named_classes(root: Path, per_class: int = 24) -> Path:
    """A real image folder whose class folders are named by bytes that are not valid UTF-8 (Latin-1 'café', a
    stray 0xff 0xfe), as any Linux file system allows."""
    rng = np.random.default_rng(1)
    for name in (b"caf\xe9", b"\xff\xfeodd", b"plain"):
        folder = os.fsencode(root) + b"/" + name
        os.makedirs(folder)
        for index in range(per_class):
            pixels = rng.integers(0, 256, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels, "L").save(os.fsdecode(folder + f"/{index:03d}.png".encode()))
    return root


@pytest.fixture
def bytes_named_run(qtbot, window, tmp_path):
    """The window, having trained briefly on a folder with class names that are not valid UTF-8, now idle."""
    folder = write_bytes_named_classes(tmp_path / "classes")
    window.data_choice.use_image_folder(folder)
    window.controls.epochs.setValue(1)
    window.controls.latent_dim.setValue(2)
    with qtbot.waitSignal(window.session.runReady, timeout=60_000):
        window.start_training()
    qtbot.waitUntil(lambda: not window.running and window.session.view is not None, timeout=120_000)
    return window


def export_outcome(qtbot, window, export, *args) -> str:
    """Run one of the window's exports and wait for its task to end; the error text it ended with ('' if none)."""
    with qtbot.waitSignal(window.tasks.ended, timeout=60_000) as ended:
        export(*args)
    return ended.args[1]


def test_codes_of_classes_named_by_any_bytes_export_and_failures_reach_the_user(qtbot, bytes_named_run, tmp_path):
    """Class names that are not valid UTF-8: both exports write their files and the status bar says so (never
    "Exporting…" forever); an export that cannot write (its folder is a file) ends in a warning the user sees."""
    from gui_testkit import shown_warning

    window = bytes_named_run
    exports = window.code_exports
    csv = tmp_path / "codes.csv"
    assert export_outcome(qtbot, window, exports.export_csv, csv) == ""
    assert csv.stat().st_size > 0 and "Exporting" not in window.statusBar().currentMessage()
    projector = tmp_path / "projector"
    projector.mkdir()
    assert export_outcome(qtbot, window, exports.export_projector, projector) == ""
    assert (projector / "metadata.tsv").exists() and "Exporting" not in window.statusBar().currentMessage()

    blocked = tmp_path / "a file" / "codes.csv"
    blocked.parent.write_text("in the way")
    assert export_outcome(qtbot, window, exports.export_csv, blocked) != ""
    qtbot.waitUntil(lambda: shown_warning(window) is not None, timeout=10_000)
    assert shown_warning(window)[0] == "Could not export"
    assert "Exporting" not in window.statusBar().currentMessage()


def test_a_projector_export_that_cannot_even_choose_its_folder_warns(qtbot, bytes_named_run, tmp_path):
    """The chosen folder holds the user's files, so the export goes into a new folder inside it, whose path is too
    long for the file system: the OSError reaches the user as a warning (not raised in a slot that no one reads)."""
    from gui_testkit import shown_warning

    window = bytes_named_run
    deep = Path(tmp_path)
    while len(os.fsencode(deep)) < 4088:
        deep = deep / ("d" * min(200, 4088 - len(os.fsencode(deep))))
    os.makedirs(deep)
    (deep / "n").write_text("the user's own")
    assert export_outcome(qtbot, window, window.code_exports.export_projector, deep) != ""
    qtbot.waitUntil(lambda: shown_warning(window) is not None, timeout=10_000)
    assert shown_warning(window)[0] == "Could not export"
    assert "Exporting" not in window.statusBar().currentMessage()
    assert sorted(p.name for p in deep.iterdir()) == ["n"]


def test_a_checkpoint_of_huge_weights_is_refused_and_the_window_keeps_its_model(qtbot, window, tiny_mnist, tmp_path):
    """Weights of 3e38 are finite, so the file loads, but every code overflows to NaN: opening it is refused with
    core's words, and the model shown before (its view, its points, its file) stays."""
    import torch
    from gui_testkit import shown_warning

    from core.data.datasets import load_dataset
    from core.files.checkpoint import Checkpoint, save_checkpoint
    from core.training.engine import Trainer

    good = Trainer(load_dataset("mnist", download=False), TrainConfig(epochs=1, display_size=64, device="cpu"))
    save_checkpoint(tmp_path / "good.safetensors", Checkpoint.from_trainer(good))
    with torch.no_grad():
        for tensor in good.model.encoder.parameters():
            if tensor.ndim > 1:
                tensor.fill_(3e38)
    save_checkpoint(tmp_path / "huge.safetensors", Checkpoint.from_trainer(good))

    assert window.open_checkpoint(tmp_path / "good.safetensors")
    qtbot.waitUntil(lambda: not window.running and window.session.view is not None, timeout=60_000)
    view, model = window.session.view, window.session.model
    assert window.open_checkpoint(tmp_path / "huge.safetensors")
    qtbot.waitUntil(lambda: not window.running and shown_warning(window) is not None, timeout=60_000)
    title, text = shown_warning(window)
    assert title == "Cannot open checkpoint" and "not finite numbers" in text and "overflows" in text
    assert window.session.view is view and window.session.model is model
    assert np.isfinite(window.session.view.snapshot.codes).all()
    assert window.session.current_file == tmp_path / "good.safetensors"
