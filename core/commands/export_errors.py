"""`convae-explorer export errors MODEL --out errors.csv`: every display image's reconstruction error, as CSV.

One row per display image: `index` (as the window and `render` number them), `data_index` (its position in its
split of the data set), `label`, `class`, `error` (the mean squared pixel error, 0–1 units, of its reconstruction at
the file's weights; for a VAE, of the decoded mean). The errors are the snapshot's (core.model.errors), the same
numbers the window colours the points by and sorts its selection by.
"""

from __future__ import annotations

import argparse
import sys

from core.commands.arguments import add_data_arguments, user_path


def add_errors_parser(kinds: argparse._SubParsersAction) -> None:
    """Register `export errors` under the `export` command's subparsers."""
    errors = kinds.add_parser(
        "errors",
        help="every display image's reconstruction error as CSV: index, data_index, label, class, error",
        description="Write one row per display image: its index, its position in its split of the data set, its "
        "label and class, and the mean squared pixel error (0-1 units) of its reconstruction at the file's weights.",
    )
    errors.add_argument("checkpoint", type=user_path, help="a .safetensors checkpoint")
    add_data_arguments(errors)
    errors.add_argument(
        "--out", type=user_path, required=True, help="the CSV to write (replaces only an earlier export)"
    )
    errors.set_defaults(export_handler=run_export_errors)


def run_export_errors(args: argparse.Namespace) -> int:
    import numpy as np

    from core.commands.render import RenderError, finite_or_refused, load_view
    from core.files.own_output import NotOurs, check_replaceable
    from core.files.selection import SelectionFileError, is_our_selection_csv, write_selection_csv
    from core.latent.errors import worst

    def fail(message: str) -> int:
        print(f"convae-explorer export errors: {message}", file=sys.stderr)
        return 1

    try:
        if args.out.is_dir():
            raise SelectionFileError(f"{args.out} is a folder: name a file inside it, e.g. {args.out / 'errors.csv'}")
        check_replaceable(args.out, is_our_selection_csv, "an errors CSV")  # before the slow part
        view = load_view(args)
        snapshot = view.snapshot
        finite_or_refused(snapshot.errors, "the reconstruction errors", view)  # a decoder that overflows
        write_selection_csv(args.out, snapshot, np.arange(len(snapshot.codes)), codes=False)
    except (RenderError, SelectionFileError, NotOurs) as error:
        return fail(str(error))
    errors = np.asarray(snapshot.errors, np.float64)
    top = worst(errors, 1)[0]
    print(
        f"Wrote the reconstruction errors of {len(errors):,} display images at {view.where} to {args.out}: "
        f"mean {errors.mean():.6g}, median {np.median(errors):.6g}, largest {errors[top]:.6g} (image #{top}, "
        f"{view.label_of(int(top))})"
    )
    return 0
