"""`convae-explorer render map|path`: the window's decoded map and path strip as PNG files, from a checkpoint, with
no display (for slides and servers). The same core functions draw them as the window does (core.latent.atlas).

`render map CKPT --out map.png [--grid N] [--range x0,x1,y0,y1]` writes N×N tiles of the data set's image size,
no gaps, row 0 at the top being the largest y; `render path CKPT --from I --to J --steps K --out strip.png` writes
K frames side by side (I and J are display-set image indices, as the window numbers them, or `x,y` plane
positions). Both print the plane range or positions used, so a picture can be matched to decodes.

`add_render_parsers` builds the `render` command's subparsers and returns them: other render subcommands (the
time-lapse) add themselves beside these.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.commands.arguments import (
    EXIT_USAGE,
    add_data_arguments,
    add_model_code_arguments,
    add_view_argument,
    number_between,
    user_path,
)
from core.latent.atlas import DEFAULT_GRID, DEFAULT_STEPS, MAX_GRID, MAX_STEPS, MIN_GRID, MIN_STEPS

if TYPE_CHECKING:
    import numpy as np


def plane_range(text: str):
    """`x0,x1,y0,y1` to a PlaneRange (argparse type)."""
    from core.latent.atlas import PlaneRange

    parts = text.split(",")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"--range must be four numbers x0,x1,y0,y1 (e.g. -3,3,-2,2), got {text!r}")
    try:
        return PlaneRange(*values)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def path_end(text: str) -> int | tuple[float, float]:
    """A display-image index (`17`) or a plane position (`x,y`, e.g. `-1.5,2`) (argparse type)."""
    if "," not in text:
        try:
            index = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a path end is an image index (e.g. 17) or a plane position x,y (e.g. -1.5,2), got {text!r}"
            ) from None
        if index < 0:
            raise argparse.ArgumentTypeError(f"an image index is 0 or more, got {index}")
        return index
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a plane position is two numbers x,y (e.g. -1.5,2), got {text!r}") from None
    from core.latent.atlas import MAX_COORDINATE

    if not all(abs(v) <= MAX_COORDINATE for v in (x, y)):  # NaN fails this too
        raise argparse.ArgumentTypeError(
            f"a plane position must be two finite numbers within ±{MAX_COORDINATE:.4g} (codes are float32), "
            f"got {text!r}"
        )
    return (x, y)


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint (or --model-code … --weights …)"
    )
    parser.add_argument(
        "--out", type=user_path, required=True, help="the PNG to write (replaces only an earlier render)"
    )
    add_data_arguments(parser)
    add_view_argument(parser)
    add_model_code_arguments(parser, weights=True, dataset=True)


def add_render_parsers(commands: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Add `render` to the command line with its `map` and `path` subcommands; return render's subparsers so other
    modules can add theirs (e.g. `render timelapse`)."""
    render = commands.add_parser(
        "render", help="draw pictures of a saved model headless (no window): decoded map, path strip, time-lapse"
    )
    kinds = render.add_subparsers(dest="render_kind", metavar="KIND", required=True)

    map_cmd = kinds.add_parser("map", help="a grid of decoded images over a range of the view plane")
    _add_source_arguments(map_cmd)
    map_cmd.add_argument(
        "--grid",
        type=number_between(int, MIN_GRID, MAX_GRID, "--grid"),
        default=DEFAULT_GRID,
        help=f"tiles per axis, {MIN_GRID} to {MAX_GRID} (default {DEFAULT_GRID})",
    )
    map_cmd.add_argument(
        "--range",
        type=plane_range,
        metavar="X0,X1,Y0,Y1",
        help="the plane range to cover (default: the display codes' extent, 5%% margin); "
        "write a leading minus as --range=-3,3,-2,2",
    )
    map_cmd.set_defaults(render_handler=run_render_map)

    path_cmd = kinds.add_parser("path", help="decoded frames along a straight line between two images or positions")
    _add_source_arguments(path_cmd)
    path_cmd.add_argument("--from", dest="start", type=path_end, required=True, metavar="I|X,Y")
    path_cmd.add_argument("--to", dest="end", type=path_end, required=True, metavar="J|X,Y")
    path_cmd.add_argument(
        "--steps",
        type=number_between(int, MIN_STEPS, MAX_STEPS, "--steps"),
        default=DEFAULT_STEPS,
        help=f"frames, ends included, {MIN_STEPS} to {MAX_STEPS} (default {DEFAULT_STEPS})",
    )
    path_cmd.add_argument(
        "--scale",
        type=number_between(int, 1, MAX_SCALE, "--scale"),
        default=1,
        metavar="N",
        help=f"draw each image pixel as N×N pixels, 1 to {MAX_SCALE} (default 1: a 28-pixel digit stays 28 pixels)",
    )
    path_cmd.set_defaults(render_handler=run_render_path)
    return kinds


#: The largest --scale: a strip of the most frames of the largest images stays a picture a viewer opens.
MAX_SCALE = 16


def scaled(picture: np.ndarray, factor: int) -> np.ndarray:
    """`picture` (H×W or H×W×C) with each pixel drawn as factor×factor pixels: crisp, no smoothing between pixels."""
    import numpy as np

    return picture if factor == 1 else np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def run_render(args: argparse.Namespace) -> int:
    return int(args.render_handler(args))


class RenderError(Exception):
    """What went wrong, said to the user."""

    exit_code = 1


class RenderRefused(RenderError):
    """The command line named no model, or a user's own model that cannot be opened: a usage error (exit code 2)."""

    exit_code = EXIT_USAGE


def _fail(kind: str, message: str, code: int = 1) -> int:
    print(f"convae-explorer render {kind}: {message}", file=sys.stderr)
    return code


def _check_out(out: Path) -> None:
    """Refuse an --out that cannot take the PNG before anything slow runs: a folder, another suffix, or a file this
    app did not write (core.files.own_output: a user's own picture is never replaced)."""
    from core.files.own_output import NotOurs, check_replaceable, is_our_png

    if out.is_dir():
        raise RenderError(f"{out} is a folder: name a file inside it, e.g. {out / 'picture.png'}")
    if out.suffix.lower() != ".png":
        raise RenderError(f"{out} must end in .png (the picture is written as PNG)")
    try:
        check_replaceable(out, is_our_png, "a picture")
    except NotOurs as error:
        raise RenderError(str(error)) from None


def load_model(args: argparse.Namespace):
    """(checkpoint, data set): the checkpoint named, or the user's own model from --model-code, --weights and
    --dataset (core.commands.own_model). RenderRefused (exit code 2) when neither or both are named."""
    from core.commands.own_model import OwnModelRefused, checkpoint_from_args, own_options_alone, uses_own_model
    from core.data.datasets import DatasetError, load_dataset_for_model
    from core.files.checkpoint import CheckpointError, load_checkpoint

    if uses_own_model(args):
        if args.checkpoint is not None:
            raise RenderRefused(f"name a checkpoint ({args.checkpoint}) or --model-code, not both")
        try:
            return checkpoint_from_args(args)
        except OwnModelRefused as error:
            raise RenderRefused(str(error)) from None
    alone = own_options_alone(args) + (["--dataset"] if getattr(args, "dataset", None) else [])
    if args.checkpoint is None:
        raise RenderRefused(
            "name a checkpoint, or your own model with --model-code FILE.py:Class --weights W --dataset D"
        )
    if alone:
        raise RenderRefused(f"{', '.join(alone)} go with --model-code; a checkpoint brings its own")
    if not args.checkpoint.is_file():
        what = "is not a file" if args.checkpoint.exists() else "does not exist"
        raise RenderError(f"{args.checkpoint} {what}")
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        dataset = load_dataset_for_model(
            checkpoint.dataset, checkpoint.model_config, args.data_dir, download=not args.no_download
        )
    except DatasetError as error:
        raise RenderError(f"{error} (the display images of {checkpoint.dataset} are needed)") from None
    except CheckpointError as error:
        raise RenderError(str(error)) from None
    return checkpoint, dataset


def load_view(args: argparse.Namespace):
    """The checkpoint's snapshot as the window shows it: same display set (seeded), same plane (the window's choice,
    core.timelapse.views: the recorded history's aligned plane where the file has one)."""
    return load_view_and_display(args)[0]


def load_view_and_display(args: argparse.Namespace):
    """(view, the display set it shows, the data set's name): load_view with where its images come from."""
    from core.files.checkpoint import CheckpointError
    from core.latent.learned_view import LearnedViewUnavailable
    from core.model.finite import NotFiniteError, require_finite
    from core.model.own_code import OwnCodeError
    from core.timelapse.views import view_for

    checkpoint, dataset = load_model(args)
    try:
        trainer = checkpoint.resume(dataset, device="cpu", num_threads=1)
    except (CheckpointError, ValueError) as error:
        raise RenderError(str(error)) from None
    try:  # before a plane is fitted to them: NaN codes would fail inside numpy's SVD
        snapshot = trainer.snapshot()
        require_finite(snapshot.codes, "the codes it gives its display images")
        view = view_for(snapshot, checkpoint.history, getattr(args, "view", "pca"))
        require_finite(view.xy, "the display codes' positions on the view plane")
    except NotFiniteError as error:
        raise RenderError(f"{args.checkpoint.name if args.checkpoint else 'the model'}: {error}") from None
    except (LearnedViewUnavailable, ValueError) as error:  # no umap-learn here; too few codes to lay out
        raise RenderError(str(error)) from None
    except OwnCodeError as error:  # the user's own code raised while encoding: their traceback
        raise RenderRefused(error.full()) from None
    return view, trainer.display, checkpoint.dataset


def finite_or_refused(values, what: str, view) -> None:
    """RenderError unless every number in `values` (decoded from `view`) is finite (core.model.finite)."""
    from core.model.finite import NotFiniteError, require_finite

    try:
        require_finite(values, what)
    except NotFiniteError as error:
        raise RenderError(f"at {view.where}, {error}") from None


def png_bytes(picture) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def _write(out: Path, picture) -> None:
    from core.atomic_write import FileWriteError
    from core.files.own_output import is_our_png, replace_our_file, tagged_png

    try:  # checked again: the file may have appeared while the picture was drawn
        replace_our_file(out, tagged_png(picture), is_our_png, "a picture")
    except FileWriteError as error:
        raise RenderError(str(error)) from None


def run_render_map(args: argparse.Namespace) -> int:
    from core.latent.atlas import data_range, decode_map, mosaic, shown_tiles

    try:
        _check_out(args.out)
        view = load_view(args)
        area = args.range or data_range(view)
        decoded = decode_map(view, area, args.grid)
        finite_or_refused(decoded.centres, "the cell centres of this range", view)
        finite_or_refused(decoded.tiles, "the decoded tiles", view)
        picture = mosaic(shown_tiles(decoded))
        _write(args.out, picture)
    except RenderError as error:
        return _fail("map", str(error), error.exit_code)
    n = args.grid
    first, last = decoded.centres[0, 0], decoded.centres[-1, -1]
    mapped = " (plane points mapped back to full codes)" if view.plane.is_pca else ""
    if getattr(view.plane, "is_learned", False):
        mapped = " (UMAP layout positions mapped back to codes by the learned inverse)"
    print(f"Decoded {n}×{n} tiles at {view.where}{mapped}")
    if decoded.dims:
        print("Tiles far from every point are dimmed: the inverse only guesses there")
    print(f"Plane range: {area.text()}  (--range={area.x0!r},{area.x1!r},{area.y0!r},{area.y1!r})")
    print(
        f"Cell centres: x from {first[0]:.6g} to {last[0]:.6g}, y from {first[1]:.6g} (top row) to "
        f"{last[1]:.6g} (bottom row), step {(area.x1 - area.x0) / n:.6g} × {(area.y1 - area.y0) / n:.6g}"
    )
    print(f"Wrote {args.out} ({picture.shape[1]}×{picture.shape[0]} pixels)")
    return 0


def run_render_path(args: argparse.Namespace) -> int:
    from core.latent.atlas import PathEnd, decode_path, end_at_image, path_between, strip

    try:
        _check_out(args.out)
        view = load_view(args)
        ends = []
        for value in (args.start, args.end):
            if isinstance(value, int):
                try:
                    ends.append(end_at_image(view, value))
                except IndexError as error:
                    raise RenderError(str(error)) from None
            else:
                ends.append(PathEnd(value))
        path = path_between(view, ends[0], ends[1], args.steps)
        finite_or_refused(path.codes, "the codes along this path", view)
        frames = decode_path(view, path)
        finite_or_refused(frames, "the decoded frames", view)
        picture = scaled(strip(frames), args.scale)
        _write(args.out, picture)
    except RenderError as error:
        return _fail("path", str(error), error.exit_code)
    print(f"Decoded {args.steps} frames at {view.where}, {path.described}")
    for name, end in zip(("From", "To"), ends, strict=True):
        what = f"image #{end.index} ({view.label_of(end.index)}) " if end.index is not None else ""
        print(f"{name}: {what}at plane position ({end.xy[0]:.6g}, {end.xy[1]:.6g})")
    print(f"Wrote {args.out} ({picture.shape[1]}×{picture.shape[0]} pixels)")
    return 0
