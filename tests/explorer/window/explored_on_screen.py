"""Trains a small run in the main window on the screen Qt was given, trains a comparison run beside it, pins a path,
and prints as one JSON line where the window and the parts of both latent panels landed.

    python explored_on_screen.py SETTINGS_FILE

A child process, because the offscreen platform's screen size is fixed when Qt starts; the data are the tiny MNIST
files in CONVAE_DATA_DIR. Every step is waited for as a state, never for a time.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget

from explorer.app import create_application
from explorer.bench.pointer import click_at
from explorer.window.main_window import MainWindow


def wait_for(app: QApplication, done: Callable[[], bool], seconds: float = 240.0) -> None:
    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window never reached the state waited for")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication) -> None:
    """Let posted layout requests and resizes run (each may post another)."""
    for _ in range(30):
        app.processEvents()


def global_rect(widget: QWidget) -> list[int]:
    return list(QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size()).getRect())


def seen_size(widget: QWidget) -> list[int]:
    """The size of what of `widget` its ancestors leave inside them, up to the window (a squeezed dock or central
    widget cuts its children off)."""
    seen = QRect(*global_rect(widget))
    parent = widget.parentWidget()
    while parent is not None:
        seen = seen.intersected(QRect(*global_rect(parent)))
        parent = parent.parentWidget()
    return [seen.width(), seen.height()]


def parts(window: MainWindow) -> dict[str, QWidget]:
    """The parts of both latent panels that were seen drawn over each other or cut off."""
    latent, strip, comparison = window.latent, window.exploration.strip, window.comparison.panel
    found = {
        "plot": latent.plot, "legend": latent.legend, "caption": latent.caption, "fit": latent.fit_button,
        "map row": window.exploration.map_controls, "strip": strip.strip, "strip caption": strip.caption,
        "frames": strip.frames, "export": strip.export_button, "clear": strip.clear_button,
        "time slider": window.timelapse.scrubber.slider,
        "comparison title": comparison.title, "comparison plot": comparison.latent.plot,
        "comparison legend": comparison.latent.legend, "comparison caption": comparison.latent.caption,
        "comparison preview": comparison.preview, "comparison stop": comparison.stop_button,
        "comparison strip": window.comparison_path.strip,
    }  # fmt: skip
    return {name: widget for name, widget in found.items() if widget.isVisible()}


def report(window: MainWindow) -> dict:
    shown = parts(window)
    return {
        "available": list(window.screen().availableGeometry().getRect()),
        "frame": list(window.frameGeometry().getRect()),
        "status": global_rect(window.statusBar()),
        "parts": {
            name: {
                "rect": global_rect(widget),
                "least": list(widget.minimumSize().toTuple()),
                "seen": seen_size(widget),
                "panel": "comparison" if name.startswith("comparison") else "main",
            }
            for name, widget in shown.items()
        },
        "plot range": window.latent.view_box.viewRange(),
        "plot data": list(window.latent.points.boundingRect().getRect()),
    }


def main() -> None:
    app = create_application([])
    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=Path(tempfile.mkdtemp()) / "autosave")
    window.show()
    settle(app)
    controls = window.controls
    controls.dataset.setCurrentIndex(controls.dataset.findData("mnist"))
    controls.epochs.setValue(1)
    window.start_training()
    wait_for(app, lambda: window.session.view is not None and not window.running)
    opened = report(window)
    window.menus.action("train-comparison").trigger()  # the user's way: Training › Train comparison run
    comparison = window.comparison.session
    wait_for(app, lambda: comparison.view is not None and not comparison.running)
    view = window.session.view
    a, b = int(np.argmin(view.xy[:, 0])), int(np.argmax(view.xy[:, 0]))
    for index in (a, b):
        click_at(window.latent, *view.xy[index], Qt.KeyboardModifier.ShiftModifier)
    wait_for(app, lambda: window.comparison_path.last is not None and window.exploration.pins.last is not None)
    settle(app)
    window.latent.fit_button.click()
    settle(app)
    print(json.dumps({"opened": opened, "explored": report(window)}))
    window.close()


if __name__ == "__main__":
    main()
