"""The selection's window figures: the Selection dock showing 500 tiles, and colour by error redrawing 60,000 points.

The tiles are drawn by the real dock (explorer.selection.panel) from a real decoder (an untrained autoencoder's: the
cost of a decode does not depend on what it learned); the points by the window's own latent panel, coloured as
RunView colours them by error (explorer.utils.palette.error_argb).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from core.events import Snapshot
from core.latent.plane import fit_plane
from core.settings import ModelConfig
from explorer.selection.panel import SelectionPanel
from explorer.utils.palette import error_argb


def _figure(name: str, value: float, goal: float, n: int, detail: str = "") -> dict:
    met = value <= goal
    return {"name": name, "value": value, "unit": "ms", "goal": f"≤ {goal:g}", "met": met, "n": n, "detail": detail}


def _snapshot(count: int, seed: int = 0) -> Snapshot:
    from core.model.autoencoder import ConvAutoEncoder

    rng = np.random.default_rng(seed)
    model = ConvAutoEncoder(ModelConfig(latent_dim=2)).eval()
    return Snapshot(
        step=0, epoch=0.0, decoder=model.decoder, codes=rng.normal(0, 2, (count, 2)).astype(np.float32),
        labels=rng.integers(0, 10, count), display_images=rng.integers(0, 256, (count, 1, 28, 28), np.uint8),
        originals=np.zeros((1, 1, 28, 28), np.float32), reconstructions=np.zeros((1, 1, 28, 28), np.float32),
        classes=tuple(str(i) for i in range(10)), errors=rng.gamma(2.0, 0.02, count).astype(np.float32),
    )  # fmt: skip


def dock_tiles_ms(app: QApplication, tiles: int, repeats: int) -> tuple[float, int]:
    """Median ms from handing the dock `tiles` selected images to the list painted with all the pictures it shows
    (decoded in the background, then painted), and how many tile pictures that drew: only the rows on screen (and
    the rest of their block) are decoded; the others are drawn as the list scrolls to them."""
    from core.latent.view import view_of

    view = view_of(_snapshot(2000))
    panel = SelectionPanel()
    panel.resize(420, 700)
    panel.show()
    app.processEvents()
    order = np.argsort(-view.snapshot.errors)[:tiles]
    model, times = panel.model, []
    view.decode(view.snapshot.codes[:8])  # the decoder's first call builds it: not what a user waits for each time
    for _ in range(repeats):
        drawn = model.drawn
        start = time.perf_counter()
        model.show(view, order, view.snapshot.errors)
        app.processEvents()
        panel.tiles.viewport().repaint()
        while model.pending:  # the visible tiles' pictures on their way from the decoding thread
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        panel.tiles.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
        drawn = model.drawn - drawn
    panel.model.worker.shutdown()
    panel.close()
    return statistics.median(times), drawn


def colour_by_error_ms(app: QApplication, panel, count: int, repeats: int) -> float:
    """Median ms to redraw `count` points coloured by their errors (colours computed, points set, plot painted)."""
    rng = np.random.default_rng(2)
    xy = rng.normal(0, 4, (count, 2)).astype(np.float32)
    labels = rng.integers(0, 10, count)
    classes = tuple(str(i) for i in range(10))
    plane = fit_plane(xy)
    panel.show_points(xy, labels, classes, plane)
    app.processEvents()
    panel.plot.viewport().repaint()
    times = []
    for _ in range(repeats):
        errors = rng.gamma(2.0, 0.02, count).astype(np.float32)
        start = time.perf_counter()
        panel.show_points(xy, labels, classes, plane, colours=error_argb(errors))
        app.processEvents()
        panel.plot.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def selection_figures(app: QApplication, window, quick: bool) -> list[dict]:
    repeats = 3 if quick else 7
    tiles, drawn = dock_tiles_ms(app, 500, repeats)
    return [
        _figure("selection dock: show 500 tiles", tiles, 100.0, repeats, f"{drawn} tile pictures drawn"),
        _figure(
            "colour by error: redraw 60,000 points",
            colour_by_error_ms(app, window.latent, 60_000, repeats),
            50.0,
            repeats,
        ),
    ]
