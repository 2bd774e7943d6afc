"""`convae-explorer export projector|codes|errors`: a checkpoint's display-set codes for other tools, with no display.

`export projector CKPT --out DIR` writes the TensorBoard Embedding Projector's files (core.files.projector) into DIR;
`export codes CKPT --out FILE.csv` writes the codes alone as CSV; `export errors` (core.commands.export_errors) the
display images' reconstruction errors. The display set is the window's (the same seeded
images, encoded by the checkpoint's weights), so an export matches what the window shows of that model.
"""

from __future__ import annotations

import argparse
import sys

from core.commands.arguments import add_data_arguments, add_model_code_arguments, add_view_argument, user_path
from core.commands.export_errors import add_errors_parser


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint (or --model-code … --weights …)"
    )
    add_data_arguments(parser)
    add_view_argument(parser)
    add_model_code_arguments(parser, weights=True, dataset=True)


def add_export_parser(commands: argparse._SubParsersAction) -> None:
    """Add `export` with its `projector` and `codes` subcommands to the command line."""
    export = commands.add_parser(
        "export", help="hand a saved model's codes to other tools: the Embedding Projector's files, or CSV"
    )
    kinds = export.add_subparsers(dest="export_kind", metavar="KIND", required=True)
    projector = kinds.add_parser(
        "projector",
        help="tensors.tsv, metadata.tsv, sprite.png and projector_config.pbtxt (plus codes.csv) for TensorBoard's "
        "Embedding Projector",
    )
    _add_source_arguments(projector)
    projector.add_argument("--out", type=user_path, required=True, help="the folder to write (created; replaced whole)")
    projector.add_argument(
        "--force", action="store_true", help="write into a folder that holds other files (they are left there)"
    )
    projector.set_defaults(export_handler=run_export_projector)
    codes = kinds.add_parser(
        "codes",
        help="the display set's codes as CSV: index, label, class, z0…, then x, y (the position in --view) and "
        "back_z0… (the code that view's way back gives there)",
    )
    _add_source_arguments(codes)
    codes.add_argument(
        "--out", type=user_path, required=True, help="the CSV to write (replaces only an earlier export)"
    )
    codes.set_defaults(export_handler=run_export_codes)
    add_errors_parser(kinds)


def run_export(args: argparse.Namespace) -> int:
    return int(args.export_handler(args))


def _fail(kind: str, message: str, code: int = 1) -> int:
    print(f"convae-explorer export {kind}: {message}", file=sys.stderr)
    return code


def load_display_codes(args: argparse.Namespace):
    """The checkpoint's display set as the window shows it; raises core.commands.render.RenderError."""
    from dataclasses import replace

    from core.commands.render import load_view_and_display
    from core.files.projector import DisplayCodes
    from core.latent.view_columns import view_columns

    view, display, dataset = load_view_and_display(args)
    data = DisplayCodes.of_snapshot(view.snapshot, dataset, display.indices, display.source)
    return replace(data, extra_columns=view_columns(view))  # x, y, back_z0… of the chosen --view


def run_export_projector(args: argparse.Namespace) -> int:
    from core.commands.render import RenderError
    from core.files.projector import ExportError, check_export_folder, write_projector

    try:
        check_export_folder(args.out, args.force)  # before the slow part: a refused folder costs no encoding
        data = load_display_codes(args)
        summary = write_projector(args.out, data, force=args.force)
    except (RenderError, ExportError) as error:
        return _fail("projector", str(error), getattr(error, "exit_code", 1))
    print(summary.line())
    print(
        "Open it at projector.tensorflow.org (Load: tensors.tsv, then metadata.tsv) or with "
        f"tensorboard --logdir {summary.folder} (projector_config.pbtxt names the files)"
    )
    return 0


def run_export_codes(args: argparse.Namespace) -> int:
    from core.commands.render import RenderError
    from core.files.projector import ExportError, escaped_names_note, write_codes_csv

    try:
        if args.out.is_dir():
            raise ExportError(f"{args.out} is a folder: name a file inside it, e.g. {args.out / 'codes.csv'}")
        data = load_display_codes(args)
        write_codes_csv(args.out, data)
    except (RenderError, ExportError) as error:
        return _fail("codes", str(error), getattr(error, "exit_code", 1))
    escaped = escaped_names_note(data.classes)
    print(
        f"Wrote {len(data.codes):,} codes of {data.codes.shape[1]} numbers to {args.out}"
        + (f". {escaped}" if escaped else "")
    )
    return 0
