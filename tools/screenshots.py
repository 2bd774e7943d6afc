"""Render the README's screenshots offscreen: before, during and after training (hovering a point).

    python tools/screenshots.py [CHECKPOINT] --out docs

CHECKPOINT (optional) is a trained model for the "after" picture, e.g. from
`convae-explorer train --dataset digits-5k --epochs 20`; without it the run below is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.main_window import MainWindow
from explorer.pointer import move_mouse_to


def pump(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def hover(app: QApplication, window: MainWindow, x: float, y: float) -> None:
    move_mouse_to(window.latent, x, y)
    pump(app, 0.3)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", nargs="?", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--during-s", type=float, default=25.0, help="seconds of training before 'during'")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat),
                            autosave_dir=Path(tmp) / "autosave")  # fmt: skip
        window.resize(1400, 900)
        window.show()
        pump(app, 1.0)
        window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("digits-5k"))
        window.grab().save(str(args.out / "before.png"))
        window.start_training()
        pump(app, args.during_s)
        window.grab().save(str(args.out / "during.png"))
        window.stop_training()
        while window.running:
            pump(app, 0.1)
        if args.checkpoint is not None:
            window.open_checkpoint(args.checkpoint)
            while window.running:
                pump(app, 0.1)
        pump(app, 0.5)
        view = window.session.view
        index = int(len(view.xy) * 0.37)
        window.show_point(index)
        x, y = view.xy[index]
        hover(app, window, float(x), float(y))
        window.grab().save(str(args.out / "after.png"))
        window.close()
    print(f"wrote {args.out}/before.png, during.png, after.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
