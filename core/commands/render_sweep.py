"""`convae-explorer render sweep DIR --out grid.png [--at x,y]`: a sweep's gallery as a picture, headless.

Each run's latent points coloured by class, titled with its swept values and final loss, laid out by the axes
(the last one across, the others down); with `--at x,y` a cross at that plane position in every panel, and a
strip beside --out (`grid-at.png`) of the image each run's decoder draws there. Drawn by core.sweep.gallery,
which the window's gallery shares. Reads the sweep's files only: no Ray.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from core.commands.arguments import add_data_dir_argument, user_path
from core.commands.render import path_end


def add_sweep_render_parser(render_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `render sweep` under the `render` command's subparsers."""
    parser = render_subparsers.add_parser(
        "sweep",
        help="a sweep's gallery: every run's latent space laid out by the swept values (and, with --at, the "
        "image every run decodes at one position)",
    )
    parser.add_argument("directory", type=user_path, metavar="DIR", help="the sweep's folder (with its sweep.json)")
    parser.add_argument(
        "--out", type=user_path, required=True, help="the PNG to write (replaces only an earlier render)"
    )
    parser.add_argument(
        "--at",
        type=_position,
        metavar="X,Y",
        help="a plane position: marked in every panel, and each run's decoded image there written as a strip to "
        "OUT-at.png; write a leading minus as --at=-1,0.5",
    )
    add_data_dir_argument(parser, " (default: the sweep's own --data-dir)")
    parser.add_argument("--no-download", action="store_true", help="never try to download a data set")
    parser.set_defaults(render_handler=run_render_sweep)
    return parser


def _position(text: str) -> tuple[float, float]:
    """`x,y` with `render path`'s checks for a plane position (argparse type)."""
    if "," not in text:
        raise argparse.ArgumentTypeError(f"--at takes a plane position x,y (e.g. 0.5,-1), got {text!r}")
    value = path_end(text)
    assert isinstance(value, tuple)
    return value


def strip_path(out: Path) -> Path:
    """Where --at's strip goes: beside the gallery, `grid.png` → `grid-at.png`."""
    return out.with_name(f"{out.stem}-at{out.suffix}")


def run_render_sweep(args: argparse.Namespace) -> int:
    from core.atomic_write import FileWriteError
    from core.commands.render import RenderError, _check_out
    from core.files.own_output import is_our_png, replace_our_file, tagged_png
    from core.sweep.gallery import gallery_picture, load_panels, run_title, strip_at
    from core.sweep.manifest import SweepFileError, read_manifest

    def fail(message: str, code: int = 1) -> int:
        print(f"convae-explorer render sweep: {message}", file=sys.stderr)
        return code

    outs = [args.out, *([strip_path(args.out)] if args.at is not None else [])]
    try:
        for out in outs:
            _check_out(out)
        manifest = read_manifest(args.directory)
    except (RenderError, SweepFileError) as error:
        return fail(str(error))
    data_dir = None if args.data_dir is None else str(args.data_dir)
    panels = load_panels(args.directory, manifest, data_dir, download=not args.no_download)
    if not any(panel.view is not None for panel in panels):
        return fail(f"no run in {args.directory} has a checkpoint to draw yet")
    pictures = [gallery_picture(manifest, panels, args.at)]
    if args.at is not None:
        try:
            pictures.append(strip_at(panels, *args.at))
        except ValueError as error:
            return fail(str(error))
    try:
        for out, picture in zip(outs, pictures, strict=True):
            replace_our_file(out, tagged_png(np.ascontiguousarray(picture)), is_our_png, "a picture")
    except FileWriteError as error:
        return fail(str(error))
    for panel in panels:
        where = f"at {panel.view.where}" if panel.view is not None else f"not drawn: {panel.reason}"
        print(f"{panel.run.run_id} ({run_title(panel.run)}): {where}")
    for out, picture in zip(outs, pictures, strict=True):
        print(f"Wrote {out} ({picture.shape[1]}×{picture.shape[0]} pixels)")
    return 0
