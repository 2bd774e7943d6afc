"""Render the README's screenshots: before, during and after training (hovering a point), and the trained window
at the screen sizes people have.

    python tools/screenshots.py CHECKPOINT --out docs                          # offscreen, window grabs
    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        python tools/screenshots.py CHECKPOINT --out docs --sizes 1024x700 1366x768 1920x1080

CHECKPOINT is a trained model for the "after" pictures, e.g. from
`convae-explorer train --dataset digits-5k --epochs 20`. Under a real X server (xcb) the sized pictures are
screenshots of the whole screen (ImageMagick's `import -window root`), window frame and all; offscreen they are
grabs of the window.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.bench.pointer import move_mouse_to
from explorer.window.main_window import MainWindow


def pump(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def fresh_window(folder: Path) -> MainWindow:
    """A window with its own settings and autosave folder inside `folder`: nothing of the user's is read or kept."""
    settings = QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat)
    return MainWindow(settings, autosave_dir=folder / "autosave")


def wait_idle(app: QApplication, window: MainWindow) -> None:
    while window.running or window.session.view is None:
        pump(app, 0.1)


def hover_and_click(app: QApplication, window: MainWindow) -> None:
    view = window.session.view
    index = int(len(view.xy) * 0.37)
    window.run.show_point(index)
    x, y = view.xy[index]
    move_mouse_to(window.latent, float(x), float(y))
    pump(app, 0.5)


def save_picture(window: MainWindow, path: Path) -> None:
    if QApplication.platformName() == "xcb":
        subprocess.run(["import", "-window", "root", str(path)], check=True)
    else:
        window.grab().save(str(path))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--during-s", type=float, default=25.0, help="seconds of training before 'during'")
    parser.add_argument("--sizes", nargs="*", default=[], help="window sizes (WxH) for trained, hovered pictures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        window = fresh_window(Path(tmp))
        if not args.sizes:
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
        window.show()
        window.open_checkpoint(args.checkpoint)
        wait_idle(app, window)
        for size in args.sizes or ["1400x900"]:
            width, height = (int(n) for n in size.split("x"))
            window.move(0, 0)
            window.resize(width, height)
            pump(app, 1.0)
            hover_and_click(app, window)
            name = "after.png" if not args.sizes else f"window-{size}.png"
            save_picture(window, args.out / name)
            print(f"wrote {args.out / name}")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
