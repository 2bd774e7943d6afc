"""Render the README's side-by-side picture: one checkpoint in the window, another as the comparison run, the same
plane position hovered in both (one cursor), both previews showing what each decoder draws there.

    convae-explorer train --dataset digits-5k --epochs 20 --out ae.safetensors
    convae-explorer train --dataset digits-5k --model vae --batch-size 256 --epochs 50 --out vae.safetensors
    python tools/compare_screenshot.py ae.safetensors vae.safetensors --out docs/compare-ae-vae.png

The hovered position is a display point of the first model: by default the one nearest the middle of the second
model's codes, so the cursor sits on data in both spaces (--point picks another, as a share of the display set).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from explorer.app import create_application
from explorer.bench.pointer import move_mouse_to

sys.path.insert(0, str(Path(__file__).parent))
from screenshots import fresh_window, pump


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path, help="the checkpoint shown in the window (e.g. the autoencoder)")
    parser.add_argument("second", type=Path, help="the checkpoint opened for comparison (e.g. the VAE)")
    parser.add_argument("--out", type=Path, default=Path("docs/compare-ae-vae.png"))
    parser.add_argument("--size", default="1600x900", help="window size, WxH")
    parser.add_argument(
        "--point",
        type=float,
        default=None,
        help="which display point to hover (0–1; default: the first model's "
        "point nearest the middle of the second's codes, so the cursor is on data in both)",
    )
    args = parser.parse_args()
    app = create_application([])
    with tempfile.TemporaryDirectory() as tmp:
        window = fresh_window(Path(tmp))
        width, height = (int(n) for n in args.size.split("x"))
        window.resize(width, height)
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
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
