"""The File menu's own actions join a menu registry by id, and what they write is a background task of the window."""

from __future__ import annotations

from gui_testkit import start_small_run, wait_until_idle
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow

from explorer.utils.registries import MenuRegistry


def test_open_save_and_the_exports_join_the_file_menu_by_id(qtbot, window, tiny_mnist, tmp_path, monkeypatch) -> None:
    host = QMainWindow()
    qtbot.addWidget(host)
    menus = MenuRegistry(host.menuBar(), host)
    window.files.add_to(menus)
    texts = [a.text() for a in menus.menu("file").actions() if not a.isSeparator()]
    assert texts == [
        "&Open checkpoint…", "Open your own &model…", "&Save checkpoint…", "Export latent plot as &PNG…",
        "Export latent plot as S&VG…", "Export loss as &CSV…",
    ]  # fmt: skip
    assert menus.action("open").shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert menus.action("save").shortcut() == QKeySequence(QKeySequence.StandardKey.Save)

    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window)
    out = tmp_path / "loss"  # typed without the suffix: it gains .csv
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV files (*.csv)"))
    with qtbot.waitSignal(window.tasks.ended, timeout=30_000) as ended:
        menus.action("export-loss-csv").trigger()
    assert ended.args == ["write loss.csv", ""]
    lines = (tmp_path / "loss.csv").read_text().splitlines()
    assert "step,epoch,loss,running_average" in lines
    assert len(lines) - lines.index("step,epoch,loss,running_average") - 1 == len(window.session.losses)
    assert window.statusBar().currentMessage() == f"Exported {len(window.session.losses):,} losses to {out}.csv"


def test_a_plot_that_cannot_be_written_is_said(qtbot, window, tiny_mnist, tmp_path) -> None:
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window)
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "latent.png"
    with qtbot.waitSignal(window.tasks.ended, timeout=30_000) as ended:
        window.files.export_latent_png(target)
    assert ended.args[1]  # the task failed
    assert window.statusBar().currentMessage().startswith(f"Could not export: {target}")
    assert not target.exists()
