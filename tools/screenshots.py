"""Render the documentation's screenshots by driving the real window.

    python tools/screenshots.py window CHECKPOINT --out docs          # before.png, during.png, after.png (1400×900)
    xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb \\
        python tools/screenshots.py window CHECKPOINT --out docs --sizes 1024x700 1366x768 1920x1080
    python tools/screenshots.py explore CHECKPOINT --out docs         # explore-1280x800.png, explore-1920x1080.png
    python tools/screenshots.py compare AE.safetensors VAE.safetensors --out docs/compare-ae-vae.png
    python tools/screenshots.py gallery SWEEP_DIR --out docs/sweep-gallery.png

`window`: before, during and after training (a point clicked and hovered); with --sizes, the trained window at
the screen sizes people have instead. Under a real X server (xcb) the sized pictures are screenshots of the whole
screen (ImageMagick's `import -window root`), window frame and all; offscreen they are grabs of the window.

`explore`: the decoded map under the points, a path pinned between a 0 and a 7 with its strip, and the nearest
images with the off-the-data meter (offscreen window grabs).

`compare`: one checkpoint in the window, another as the comparison run, the same plane position hovered in both
(one cursor). The hovered position is a display point of the first model: by default the one nearest the middle of
the second model's codes, so the cursor sits on data in both spaces (--point picks another).

`gallery`: a sweep's folder in the gallery (File › Open sweep…), a point clicked in the first run (ringed in every
run that shows that image) and a position hovered in one run (decoded by every run).

CHECKPOINT is a trained model, e.g. from `convae-explorer train --dataset digits-5k --epochs 20`; for `compare`
also `convae-explorer train --dataset digits-5k --model vae --batch-size 256 --epochs 50 --out vae.safetensors`.
Every window gets settings and an autosave folder of its own in a temporary folder: nothing of yours is read or kept.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's packages, installed or not

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.bench.pointer import click_at, move_mouse_to
from explorer.window.main_window import MainWindow


def pump(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def wait_for(app: QApplication, done: Callable[[], bool], seconds: float = 60.0) -> None:
    waited = 0.0
    while not done() and waited < seconds:
        pump(app, 0.05)
        waited += 0.05


def fresh_window(folder: Path) -> MainWindow:
    """A window with its own settings and autosave folder inside `folder`: nothing of the user's is read or kept."""
    settings = QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat)
    return MainWindow(settings, autosave_dir=folder / "autosave")


def wait_idle(app: QApplication, window: MainWindow) -> None:
    while window.running or window.session.view is None:
        pump(app, 0.1)


def size_of(text: str) -> tuple[int, int]:
    width, height = (int(n) for n in text.split("x"))
    return width, height


# window: before, during, after; or the trained window at several sizes


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


def window_pictures(app: QApplication, window: MainWindow, args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
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
        window.move(0, 0)
        window.resize(*size_of(size))
        pump(app, 1.0)
        hover_and_click(app, window)
        name = "after.png" if not args.sizes else f"window-{size}.png"
        save_picture(window, args.out / name)
        print(f"wrote {args.out / name}")


# explore: map, path and nearest images


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


def explore_pictures(app: QApplication, window: MainWindow, args: argparse.Namespace) -> None:
    args.out.mkdir(parents=True, exist_ok=True)
    window.resize(1280, 800)
    window.show()
    window.open_checkpoint(args.checkpoint)
    wait_idle(app, window)
    for size in args.sizes:
        window.resize(*size_of(size))
        pump(app, 1.0)
        explore(app, window)
        path = args.out / f"explore-{size}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")


# compare: two runs side by side, one cursor


def compare_picture(app: QApplication, window: MainWindow, args: argparse.Namespace) -> None:
    window.resize(*size_of(args.size))
    window.show()
    comparison = window.comparison
    window.open_checkpoint(args.first)
    comparison.open(args.second)
    while window.running or comparison.session.running or None in (window.session.view, comparison.session.view):
        pump(app, 0.1)
    window.docks["grids"].hide()  # room for the two spaces; the loss stays to show the VAE's two terms
    if not window.session.info.model_config.variational:
        window.docks["kl"].hide()  # nothing to show for an autoencoder
    pump(app, 1.0)
    view = window.session.view
    if args.point is None:
        middle = comparison.session.view.xy.mean(axis=0)
        index = int(((view.xy - middle) ** 2).sum(axis=1).argmin())
    else:
        index = int(len(view.xy) * args.point)
    window.run.show_point(index)
    move_mouse_to(window.latent, float(view.xy[index, 0]), float(view.xy[index, 1]))
    pump(app, 0.5)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out))
    print(f"wrote {args.out}")


# gallery: a sweep's runs, one cursor


def gallery_picture(app: QApplication, window: MainWindow, args: argparse.Namespace) -> None:
    gallery = window.sweep
    gallery.open(args.sweep)
    gallery.window.resize(*size_of(args.size))
    wait_for(app, lambda: gallery.manifest is not None and not gallery.busy, seconds=300)
    pump(app, 1.0)
    shown = [run for run in gallery.runs.values() if run.view is not None]
    first = shown[0]
    index = int(len(first.view.xy) * 0.37)
    click_at(first.tile.latent, float(first.view.xy[index, 0]), float(first.view.xy[index, 1]))
    over = shown[min(1, len(shown) - 1)]
    (x0, x1), (y0, y1) = over.tile.latent.view_box.viewRange()
    move_mouse_to(over.tile.latent, x0 + args.at[0] * (x1 - x0), y0 + args.at[1] * (y1 - y0))
    pump(app, 1.0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_picture(gallery.window, args.out)
    print(f"wrote {args.out}")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tools/screenshots.py",
        description="Render the documentation's screenshots by driving the real window.",
        epilog="Offscreen by default; set QT_QPA_PLATFORM=xcb under a real or virtual X server (xvfb-run).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    window = commands.add_parser(
        "window", help="before, during and after training (1400×900), or the trained window at --sizes"
    )
    window.add_argument("checkpoint", type=Path, help="a trained model for the 'after' pictures")
    window.add_argument("--out", type=Path, default=Path("docs"), help="folder to write into (default: docs)")
    window.add_argument("--during-s", type=float, default=25.0, help="seconds of training before 'during'")
    window.add_argument(
        "--sizes", nargs="*", default=[], help="window sizes (WxH): trained, hovered pictures window-WxH.png only"
    )
    window.set_defaults(run=window_pictures)

    explore_parser = commands.add_parser("explore", help="decoded map, a pinned path and the nearest images")
    explore_parser.add_argument("checkpoint", type=Path, help="a trained model")
    explore_parser.add_argument("--out", type=Path, default=Path("docs"), help="folder to write into (default: docs)")
    explore_parser.add_argument(
        "--sizes", nargs="*", default=["1280x800", "1920x1080"], help="window sizes (WxH), one picture each"
    )
    explore_parser.set_defaults(run=explore_pictures)

    compare = commands.add_parser("compare", help="two runs side by side, the same position hovered in both")
    compare.add_argument("first", type=Path, help="the checkpoint shown in the window (e.g. the autoencoder)")
    compare.add_argument("second", type=Path, help="the checkpoint opened for comparison (e.g. the VAE)")
    compare.add_argument("--out", type=Path, default=Path("docs/compare-ae-vae.png"), help="the PNG to write")
    compare.add_argument("--size", default="1600x900", help="window size, WxH (default 1600x900)")
    compare.add_argument(
        "--point",
        type=float,
        default=None,
        help="which display point to hover (0–1; default: the first model's "
        "point nearest the middle of the second's codes, so the cursor is on data in both)",
    )
    compare.set_defaults(run=compare_picture)

    gallery = commands.add_parser("gallery", help="a sweep's runs in the gallery, one position hovered in all")
    gallery.add_argument("sweep", type=Path, help="a sweep's folder (with its sweep.json)")
    gallery.add_argument("--out", type=Path, default=Path("docs/sweep-gallery.png"), help="the PNG to write")
    gallery.add_argument("--size", default="1280x800", help="the gallery's window size, WxH (default 1280x800)")
    gallery.add_argument(
        "--at", type=float, nargs=2, default=(0.6, 0.4), help="where to hover, as fractions of the second run's view"
    )
    gallery.set_defaults(run=gallery_picture)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        window = fresh_window(Path(tmp))
        args.run(app, window, args)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
