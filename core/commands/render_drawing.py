"""`convae-explorer render drawing CKPT --image my.png --out where.png`: the window's "Your image", headless.

The picture is converted as the window converts a drawing or a dropped file (core.latent.own_picture), encoded with the
checkpoint's encoder, and drawn as a gold star among the display codes (coloured by class, as the time-lapse draws
them), with the picture as the network sees it and its reconstruction beside the plot. The command prints where the
star lies, on the plane and in the PNG's pixels, and the labels of the nearest display images.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from core.commands.arguments import add_data_arguments, add_model_code_arguments, user_path
from core.timelapse.pictures import BACKGROUND, FAINT, INK, Layout, _font, class_rgb

if TYPE_CHECKING:  # the command loads torch only once it runs
    from core.latent.pinned_image import PinnedImage
    from core.latent.view import SnapshotView

STAR_FILL = (255, 200, 0)  # the window's star (explorer.own_image.star)
STAR_OUTLINE = (20, 20, 20)
STAR_RADIUS = 11  # px
TILE_SCALE = 4  # the side images: each pixel a 4×4 block


def add_drawing_parser(render_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `render drawing` under the `render` command's subparsers."""
    parser = render_subparsers.add_parser(
        "drawing",
        help="where your own picture lands in a saved model's latent space (a star among the codes)",
        description="Convert a picture like the data set's images (size, channels, white on black and MNIST's "
        "framing for digits), encode it with the checkpoint, and draw it as a star among the display codes, with "
        "its reconstruction.",
    )
    parser.add_argument(
        "checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint (or --model-code … --weights …)"
    )
    parser.add_argument("--image", type=user_path, required=True, help="your picture: a PNG, JPEG or other image file")
    parser.add_argument(
        "--out", type=user_path, required=True, help="the PNG to write (replaces only an earlier render)"
    )
    parser.add_argument("--width", type=int, default=800, help="pixels, 480 to 4000 (default 800)")
    add_data_arguments(parser)
    add_model_code_arguments(parser, weights=True, dataset=True)
    parser.set_defaults(render_handler=run_render_drawing)
    return parser


def drawing_layout(view: SnapshotView, pinned: PinnedImage, width: int) -> Layout:
    """The plot box and the plane range: the display codes' central 99 % and the star, with a margin."""
    tile = view.snapshot.display_images.shape[-1] * TILE_SCALE
    height = max(round(width * 0.7), 3 * tile + 120)
    font_size = max(11, width // 60)
    side = tile + 40
    plot = (10, 2 * font_size + 16, width - side - 10, height - 10)
    xy = np.vstack([np.percentile(view.xy, [0.5, 99.5], axis=0), np.asarray([pinned.xy])])
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    pad_x, pad_y = 0.05 * ((x1 - x0) or 1.0), 0.05 * ((y1 - y0) or 1.0)
    if view.plane.latent_dim == 1:
        y0, y1, pad_y = -1.0, 1.0, 0.0
    bounds = (float(x0 - pad_x), float(x1 + pad_x), float(y0 - pad_y), float(y1 + pad_y))
    return Layout(width, height, plot, bounds, (0, 0, 0, 0), font_size)


def star_points(cx: float, cy: float, radius: float = STAR_RADIUS, inner: float = 0.45) -> list[tuple[float, float]]:
    return [
        (
            cx + (radius if k % 2 == 0 else radius * inner) * math.cos(math.pi / 2 + k * math.pi / 5),
            cy - (radius if k % 2 == 0 else radius * inner) * math.sin(math.pi / 2 + k * math.pi / 5),
        )
        for k in range(10)
    ]


def draw_drawing(view: SnapshotView, pinned: PinnedImage, width: int = 800) -> tuple[Image.Image, tuple[int, int]]:
    """The picture, and the star's centre in its pixels (column, row)."""
    layout = drawing_layout(view, pinned, width)
    pixels = np.full((layout.height, layout.width, 3), BACKGROUND, np.uint8)
    left, top, right, bottom = layout.plot
    px, py = layout.to_pixels(view.xy)
    classes = view.snapshot.classes
    colours = np.array([class_rgb(i) for i in range(max(len(classes), 1))], np.uint8)
    rgb = colours[np.asarray(view.snapshot.labels) % len(colours)]
    order = np.random.default_rng(0).permutation(len(px))
    px, py, rgb = px[order], py[order], rgb[order]
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            if dx * dx + dy * dy > 5:
                continue
            x, y = px + dx, py + dy
            inside = (x >= left) & (x < right) & (y >= top) & (y < bottom)
            pixels[y[inside], x[inside]] = rgb[inside]
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    font = _font(layout.font_size)
    draw.rectangle((left - 1, top - 1, right, bottom), outline=FAINT)
    sx, sy = (int(v[0]) for v in layout.to_pixels(np.asarray([pinned.xy])))
    draw.polygon(star_points(sx, sy), fill=STAR_FILL, outline=STAR_OUTLINE, width=2)
    label_width = draw.textlength("your image", font=font)
    label_x = sx + STAR_RADIUS + 3 if sx + STAR_RADIUS + 3 + label_width < right else sx - STAR_RADIUS - 3 - label_width
    draw.text((label_x, sy - STAR_RADIUS), "your image", fill=INK, font=font)
    draw.text((left, 4), f"Your image at {pinned.where}", fill=INK, font=font)
    draw.text((left, 8 + layout.font_size), "closest: " + " ".join(pinned.nearest_labels), fill=INK, font=font)
    x = right + 20
    y = top
    for title, picture in (("as the network sees it", pinned.image), ("its reconstruction", pinned.reconstruction)):
        draw.text((x, y), title, fill=INK, font=font)
        y += layout.font_size + 6
        tile = _enlarged(picture)
        image.paste(Image.fromarray(tile), (x, y))
        y += tile.shape[0] + 14
    size = layout.font_size
    for i, name in enumerate(classes[: max(0, (bottom - y) // (size + 4))]):  # the legend, as far as there is room
        draw.rectangle((x, y + 2, x + size - 2, y + size), fill=class_rgb(i))
        draw.text((x + size + 4, y), str(name)[:14], fill=INK, font=font)
        y += size + 4
    return image, (sx, sy)


def _enlarged(picture: np.ndarray) -> np.ndarray:
    """C×H×W (uint8, or floats 0–1) to H×W×3 uint8, each pixel a TILE_SCALE block."""
    array = np.asarray(picture)
    if array.dtype != np.uint8:
        array = (np.clip(np.nan_to_num(array), 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    array = np.repeat(array[:1], 3, axis=0) if array.shape[0] == 1 else array[:3]
    array = np.moveaxis(array, 0, -1)
    return np.ascontiguousarray(np.repeat(np.repeat(array, TILE_SCALE, axis=0), TILE_SCALE, axis=1))


def run_render_drawing(args: argparse.Namespace) -> int:
    from core.atomic_write import FileWriteError
    from core.commands.render import RenderError, finite_or_refused, load_view
    from core.data.plain_text import one_line
    from core.files.own_output import is_our_png, replace_our_file, tagged_png
    from core.latent.own_picture import PictureError, read_picture
    from core.latent.pinned_image import as_network_input, pin_image

    def fail(message: str, code: int = 1) -> int:
        print(f"convae-explorer render drawing: {message}", file=sys.stderr)
        return code

    out: Path = args.out
    if out.is_dir():
        return fail(f"{out} is a folder: name a file inside it, e.g. {out / 'drawing.png'}", 2)
    if out.suffix.lower() != ".png":
        return fail(f"{out} must end in .png (the picture is written as PNG)", 2)
    if not 480 <= args.width <= 4000:
        return fail(f"--width must be between 480 and 4000, got {args.width}", 2)
    try:
        picture = read_picture(args.image)
        view = load_view(args)
    except PictureError as error:
        return fail(str(error))
    except RenderError as error:
        return fail(str(error), error.exit_code)
    pinned = pin_image(view, as_network_input(view, picture))
    try:
        finite_or_refused(pinned.code, "the numbers of your image's code", view)
        finite_or_refused(pinned.xy, "the coordinates of your image on the view plane", view)
        finite_or_refused(pinned.reconstruction, "the pixels of your image's reconstruction", view)
    except RenderError as error:
        return fail(str(error))
    image, (sx, sy) = draw_drawing(view, pinned, args.width)
    try:
        replace_our_file(out, tagged_png(np.asarray(image)), is_our_png, "a picture")
    except FileWriteError as error:
        return fail(str(error))
    x, y = pinned.xy
    print(f"Your image at {view.where}: plane position ({x:.6g}, {y:.6g}), star at pixel ({sx}, {sy})")
    print("closest: " + " ".join(one_line(label) for label in pinned.nearest_labels))
    print(f"Wrote {out} ({image.width}×{image.height} pixels)")
    return 0
