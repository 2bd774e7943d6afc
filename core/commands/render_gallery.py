"""`convae-explorer render gallery MODEL (--worst N | --indices 3,17,… | --class NAME) [--columns C] --out g.png`.

The display images a model reconstructs worst (or chosen ones, or one class), each above its reconstruction: tiles
at the data's image size with no gaps, rows in pairs (originals, then their reconstructions), row-major, largest
error first for --worst and --class (core.latent.gallery). It prints the images in the order drawn with their
errors, so the picture can be matched to `export errors`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.commands.arguments import add_data_arguments, number_between, user_path
from core.data.plain_text import one_line
from core.latent.gallery import DEFAULT_COLUMNS, MAX_COLUMNS, MAX_GALLERY_IMAGES

#: Exit status for input the command cannot use (as argparse's own refusals); 1 is for files it could not read.
BAD_INPUT = 2


def index_list(text: str) -> list[int]:
    """`3,17,42` to display-image indices (argparse type)."""
    parts = [part.strip() for part in text.split(",")]
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--indices must be display-image indices separated by commas (e.g. 3,17,42), got {text[:60]!r}"
        ) from None
    negative = [v for v in values if v < 0]
    if negative:
        raise argparse.ArgumentTypeError(f"an image index is 0 or more, got {negative[0]}")
    if len(values) > MAX_GALLERY_IMAGES:
        raise argparse.ArgumentTypeError(
            f"--indices names {len(values):,} images; a gallery draws at most {MAX_GALLERY_IMAGES:,}"
        )
    return values


def add_gallery_parser(render_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `render gallery` under the `render` command's subparsers."""
    parser = render_subparsers.add_parser(
        "gallery",
        help="display images above their reconstructions: the worst N, chosen indices, or one class",
        description="Draw display images in pairs of rows, originals above their reconstructions at the file's "
        "weights, tiles at the data's image size with no gaps, row-major; --worst and --class put the largest "
        "reconstruction error first.",
    )
    parser.add_argument("checkpoint", type=user_path, help="a .safetensors checkpoint")
    choice = parser.add_mutually_exclusive_group(required=True)
    choice.add_argument(
        "--worst",
        type=number_between(int, 1, MAX_GALLERY_IMAGES, "--worst"),
        metavar="N",
        help="the N display images with the largest reconstruction errors, largest first",
    )
    choice.add_argument("--indices", type=index_list, metavar="I,J,…", help="these display images, in this order")
    choice.add_argument(
        "--class", dest="class_name", metavar="NAME", help="every display image of this class, largest error first"
    )
    parser.add_argument(
        "--columns",
        type=number_between(int, 1, MAX_COLUMNS, "--columns"),
        default=DEFAULT_COLUMNS,
        metavar="C",
        help=f"images a row, 1 to {MAX_COLUMNS} (default {DEFAULT_COLUMNS}; fewer when fewer images are drawn)",
    )
    parser.add_argument(
        "--out", type=user_path, required=True, help="the PNG to write (replaces only an earlier render)"
    )
    add_data_arguments(parser)
    parser.set_defaults(render_handler=run_render_gallery)
    return parser


def run_render_gallery(args: argparse.Namespace) -> int:
    from core.commands.render import RenderError, finite_or_refused, load_view
    from core.latent.gallery import GalleryError, gallery_choice, gallery_picture

    def fail(message: str, code: int) -> int:
        print(f"convae-explorer render gallery: {message}", file=sys.stderr)
        return code

    out: Path = args.out
    if out.is_dir():
        return fail(f"{out} is a folder: name a file inside it, e.g. {out / 'gallery.png'}", BAD_INPUT)
    if out.suffix.lower() != ".png":
        return fail(f"{out} must end in .png (the picture is written as PNG)", BAD_INPUT)
    try:
        _check_out(out)
        view = load_view(args)
    except RenderError as error:
        return fail(str(error), 1)
    try:
        chosen, what = gallery_choice(view, worst_count=args.worst, indices=args.indices, class_name=args.class_name)
    except GalleryError as error:
        return fail(str(error), BAD_INPUT)
    columns = min(args.columns, len(chosen))
    try:
        reconstructions = view.decode(view.snapshot.codes[chosen])
        finite_or_refused(reconstructions, "the reconstructions", view)
        picture = gallery_picture(view, chosen, columns, reconstructions)
        _write(out, picture)
    except RenderError as error:
        return fail(str(error), 1)
    errors = view.snapshot.errors
    print(f"Drew {what} at {view.where}: {len(chosen):,} images, {columns} a row, each above its reconstruction")
    listed = [
        f"#{i} {one_line(view.label_of(int(i)))}" + ("" if errors is None else f" {float(errors[i]):.6g}")
        for i in chosen.tolist()
    ]
    print("In order (index, class, error): " + ", ".join(listed))
    print(f"Wrote {out} ({picture.shape[1]}×{picture.shape[0]} pixels)")
    return 0


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot take the PNG before anything slow runs: a folder, or a file this app did not
    write (core.files.own_output: a user's own picture is never replaced)."""
    from core.commands.render import RenderError
    from core.files.own_output import NotOurs, check_replaceable, is_our_png

    if out.is_dir():  # a folder made in its place meanwhile
        raise RenderError(f"{out} is a folder: name a file inside it, e.g. {out / 'gallery.png'}")
    try:
        check_replaceable(out, is_our_png, "a picture")
    except NotOurs as error:
        raise RenderError(str(error)) from None


def _write(out: Path, picture) -> None:
    from core.atomic_write import FileWriteError
    from core.commands.render import RenderError
    from core.files.own_output import is_our_png, replace_our_file, tagged_png

    try:  # checked again: the file may have appeared while the picture was drawn
        replace_our_file(out, tagged_png(picture), is_our_png, "a picture")
    except FileWriteError as error:
        raise RenderError(str(error)) from None
