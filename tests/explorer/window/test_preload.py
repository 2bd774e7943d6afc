"""The engine preload: one of the window's background tasks, its failure said in a warning, never lost."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from explorer.window.main_window import MainWindow


def test_an_engine_that_cannot_load_is_said_and_the_window_keeps_running(qtbot, qapp, tmp_path, monkeypatch) -> None:
    import core.runs.backend

    def broken() -> list[str]:
        raise ImportError("libtorch_cpu.so: cannot open shared object file")

    monkeypatch.setattr(core.runs.backend, "load_engine", broken)
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), autosave_dir=tmp_path / "a")
    qtbot.addWidget(window)
    window.show()
    status = window.statusBar()
    said = "The training engine could not be loaded"
    qtbot.waitUntil(lambda: status.currentMessage().startswith(said), timeout=60_000)
    assert "libtorch_cpu.so" in status.currentMessage() and window.isVisible()
    window.close()
    assert window.tasks.running() == []


def test_the_preload_ends_before_the_close_returns(qtbot, qapp, tmp_path) -> None:
    """Closed at once, the window waits for the preload (no daemon thread is killed mid-import at exit)."""
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), autosave_dir=tmp_path / "a")
    qtbot.addWidget(window)
    window.close()
    assert window.tasks.running() == []
