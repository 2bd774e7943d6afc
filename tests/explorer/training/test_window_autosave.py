"""Autosaves in the window: a newer run never replaces an older model, windows closing together keep both,
a failed autosave is shown and the user may save elsewhere, and the last model is offered at launch."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_testkit import save_and_wait, shown_warning, visible_message_boxes, wait_for_losses, wait_until_idle
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QMessageBox

from core.files.checkpoint import load_checkpoint
from explorer.window.main_window import MainWindow


def new_window(qtbot, tmp_path: Path, name: str, autosave_dir: Path) -> MainWindow:
    window = MainWindow(QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat), autosave_dir=autosave_dir)
    qtbot.addWidget(window)
    window.show()
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("mnist"))
    window.controls.epochs.setValue(50)
    return window


def train_steps(qtbot, window: MainWindow, steps: int) -> None:
    # until the new run is ready the session still holds the last run's losses, which may already number `steps`
    with qtbot.waitSignal(window.session.runReady, timeout=60_000):
        window.start_training()
    wait_for_losses(qtbot, window, steps)
    window.stop_training()
    wait_until_idle(qtbot, window)


def saves_in(folder: Path) -> dict[Path, int]:
    return {path: load_checkpoint(path).progress.step for path in folder.glob("run-*.safetensors")}


def test_a_new_run_never_replaces_an_older_model(qtbot, tiny_mnist, tmp_path):
    """Train 20 steps, then Train again and stop at once: the 20-step model is still there, untouched."""
    folder = tmp_path / "autosave"
    window = new_window(qtbot, tmp_path, "w", folder)
    train_steps(qtbot, window, 20)
    ((first, steps),) = saves_in(folder).items()
    assert steps >= 20
    before = first.read_bytes()
    window.start_training()
    window.stop_training()
    wait_until_idle(qtbot, window)
    assert first.read_bytes() == before
    assert max(saves_in(folder).values()) == steps
    window.close()


def test_continuing_a_model_updates_its_own_autosave(qtbot, tiny_mnist, tmp_path):
    folder = tmp_path / "autosave"
    window = new_window(qtbot, tmp_path, "w", folder)
    window.controls.epochs.setValue(1)
    window.start_training()
    wait_until_idle(qtbot, window)
    ((path, steps),) = saves_in(folder).items()
    window.controls.epochs.setValue(2)
    window.continue_training()
    wait_until_idle(qtbot, window)
    assert saves_in(folder) == {path: 2 * steps}  # the same file, the model further trained
    window.close()


def test_two_windows_closing_together_keep_both_models(qtbot, tiny_mnist, tmp_path):
    folder = tmp_path / "autosave"
    first, second = (new_window(qtbot, tmp_path, name, folder) for name in ("a", "b"))
    for window in (first, second):
        window.start_training()
    for window in (first, second):
        wait_for_losses(qtbot, window, 2)
    first.close()
    second.close()
    saved = saves_in(folder)
    assert len(saved) == 2 and all(steps >= 2 for steps in saved.values())
    assert {first.session.model.step, second.session.model.step} == set(saved.values())


def answer_when_asked(window: MainWindow, button: QMessageBox.StandardButton, answers: list) -> None:
    """Click `button` in the question the window is about to ask (a real click on the dialog's button)."""

    def click() -> None:
        asking = [box for box in visible_message_boxes() if box.windowTitle() == "Unsaved model"]
        if not asking:
            QTimer.singleShot(20, click)
            return
        box = asking[-1]
        answers.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)


def test_a_failed_autosave_is_shown_and_the_user_may_stay(qtbot, tiny_mnist, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the autosave folder should be")
    window = new_window(qtbot, tmp_path, "w", blocker / "autosave")
    train_steps(qtbot, window, 3)
    qtbot.waitUntil(lambda: shown_warning(window) is not None, timeout=10_000)
    title, text = shown_warning(window)
    assert title == "Autosave failed" and "File › Save checkpoint" in text
    assert window.session.dirty
    answers: list[str] = []
    answer_when_asked(window, QMessageBox.StandardButton.Cancel, answers)
    window.close()
    assert answers and "could not be saved automatically" in answers[0]
    assert window.isVisible(), "Cancel keeps the window and the model"
    # saving elsewhere clears it, and then the window closes without asking
    save_and_wait(qtbot, window, tmp_path / "kept.safetensors")
    assert not window.session.dirty
    assert load_checkpoint(tmp_path / "kept.safetensors").progress.step == window.session.model.step
    assert window.close()


def test_a_failed_autosave_asks_before_a_new_run_replaces_the_model(qtbot, tiny_mnist, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    window = new_window(qtbot, tmp_path, "w", blocker / "autosave")
    train_steps(qtbot, window, 3)
    model = window.session.model
    answers: list[str] = []
    answer_when_asked(window, QMessageBox.StandardButton.Cancel, answers)
    window.start_training()
    assert answers and not window.running and window.session.model is model
    answer_when_asked(window, QMessageBox.StandardButton.Discard, answers)
    window.start_training()
    assert window.running
    window.stop_training()
    wait_until_idle(qtbot, window)
    answer_when_asked(window, QMessageBox.StandardButton.Discard, answers)
    window.close()


@pytest.mark.parametrize("models", [1, 3])
def test_launch_offers_the_last_autosaved_model(qtbot, tiny_mnist, tmp_path, models):
    folder = tmp_path / "autosave"
    first = new_window(qtbot, tmp_path, "first", folder)
    for run in range(models):
        train_steps(qtbot, first, 2 + 3 * run)
    last = first.session.model.step
    first.close()
    window = new_window(qtbot, tmp_path, "second", folder)
    qtbot.waitUntil(lambda: window.notice.isVisible() and "Reopen it" in window.notice.text(), timeout=60_000)
    assert f"{last:,} steps" in window.notice.text()
    window.notice.linkActivated.emit("reopen")
    qtbot.waitUntil(lambda: window.session.model is not None and not window.running, timeout=60_000)
    assert window.session.model.step == last
    window.close()
