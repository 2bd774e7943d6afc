"""A status message longer than the room the progress text leaves is elided, whole in the status bar's tooltip;
one that fits has no tooltip. The real window at a laptop's width, the real progress text of a real run."""

from __future__ import annotations

from gui_testkit import start_small_run, wait_until_idle
from PySide6.QtCore import QRect


def test_a_long_message_is_elided_with_the_whole_text_in_the_tooltip(qtbot, window, tiny_mnist, tmp_path) -> None:
    window.resize(1000, 660)
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    bar = window.statusBar()
    qtbot.waitUntil(lambda: window.progress_label.text() != "Ready")
    long = f"Autosaved to {tmp_path / ('a-rather-long-folder-name-' * 6)}/model-20261207-191500.safetensors"
    bar.showMessage(long)
    assert bar.currentMessage() == long
    assert bar.toolTip() == long, "cut without its whole text anywhere"
    message = bar.message_rect()
    assert message.right() < window.progress_label.geometry().left(), "the message runs under the progress text"
    assert not QRect(message).intersects(window.progress_label.geometry())
    bar.showMessage("Saved")
    assert bar.toolTip() == ""
