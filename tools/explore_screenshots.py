"""Render the README's exploration screenshots: the decoded map under the points, a pinned path with its strip,
and the nearest images with the off-the-data meter, at 1280×800 and 1920×1080 (offscreen window grabs).

    python tools/explore_screenshots.py CHECKPOINT --out docs [--sizes 1280x800 1920x1080]

CHECKPOINT is a trained model, e.g. from `convae-explorer train --dataset digits-5k --epochs 20`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.bench.pointer import click_at, move_mouse_to
from explorer.window.main_window import MainWindow

sys.path.insert(0, str(Path(__file__).parent))
from screenshots import fresh_window, pump, wait_idle


def wait_for(app: QApplication, done, seconds: float = 60.0) -> None:
    waited = 0.0
    while not done() and waited < seconds:
        pump(app, 0.05)
        waited += 0.05


def explore(app: QApplication, window: MainWindow) -> None:
    """Map on, a path between two images of different classes, the cursor between them."""
    view, exploration = window.session.view, window.exploration
    window.latent.reset_view()
    pump(app, 0.5)
    exploration.map_action.setChecked(True)
    wait_for(app, lambda: exploration.map.shown is not None and not exploration.map.worker.busy)
    labels = view.snapshot.labels
    first = int(np.flatnonzero(labels == 0)[len(np.flatnonzero(labels == 0)) // 2])
    second = int(np.flatnonzero(labels == 7)[len(np.flatnonzero(labels == 7)) // 2])
    exploration.pins.clear()
    for index in (first, second):
        click_at(window.latent, *view.xy[index], Qt.KeyboardModifier.ShiftModifier)
    wait_for(app, lambda: exploration.pins.last is not None)
    middle = 0.5 * (view.xy[first] + view.xy[second])
    move_mouse_to(window.latent, float(middle[0]), float(middle[1]))
    pump(app, 0.8)
    wait_for(app, lambda: not exploration.map.worker.busy and not exploration.pins.worker.busy)
    pump(app, 0.2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--sizes", nargs="*", default=["1280x800", "1920x1080"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        window = fresh_window(Path(tmp))
        window.resize(1280, 800)
        window.show()
        window.open_checkpoint(args.checkpoint)
        wait_idle(app, window)
        for size in args.sizes:
            width, height = (int(n) for n in size.split("x"))
            window.resize(width, height)
            pump(app, 1.0)
            explore(app, window)
            path = args.out / f"explore-{size}.png"
            window.grab().save(str(path))
            print(f"wrote {path}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
