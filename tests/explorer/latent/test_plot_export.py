"""Exporting the latent plot leaves the plot on screen as it was: the same axes, the same view box, no room kept
for the export's legend. A real run's plot, exported through File › Export (its file dialog answered)."""

from __future__ import annotations

from gui_testkit import export_and_wait, start_small_run, wait_until_idle
from PySide6.QtWidgets import QFileDialog


def geometry_of(window) -> tuple:
    """The plot item's rectangle and the view box's right and bottom edges in the scene. (The left axis may keep a
    few pixels more or less for its tick labels, as pyqtgraph's axes do after any relayout.)"""
    item = window.latent.plot.getPlotItem()
    box = item.getViewBox().sceneBoundingRect()
    return item.sceneBoundingRect().getRect(), round(box.right(), 1), round(box.bottom(), 1)


def test_exporting_the_plot_leaves_it_as_it_was(qtbot, window, tiny_mnist, tmp_path, monkeypatch) -> None:
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    before = geometry_of(window)
    for name in ("plot.png", "plot.svg"):
        out = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, out=out, **k: (str(out), ""))
        export_and_wait(
            qtbot, window, window.menus.action("export-plot-png" if name.endswith("png") else "export-plot-svg").trigger
        )
        assert out.stat().st_size > 1000
        qtbot.waitUntil(lambda: geometry_of(window) == before, timeout=5_000)
        plot = window.latent.plot
        assert plot.getPlotItem().sceneBoundingRect().right() <= plot.viewport().width() + 1, "the plot runs off"
