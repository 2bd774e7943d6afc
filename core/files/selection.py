"""A selection of display images as CSV, and a CSV of indices read back: how a selection leaves and re-enters the app.

Written: one row per selected image, `index, data_index, label, class, error, z0…` (`export errors` writes the same
columns without the codes, for every display image). `index` is the image's place in the display set, as the window
and `render` number them; `data_index` its place in its split of the data set (core.events.Snapshot.data_indices),
so the row can be found in the data set itself; `error` the reconstruction error at the snapshot's weights
(core.model.errors). A cell the snapshot cannot fill (an older file's frame knows no data_index) is left empty.

Read back: any CSV with an `index` column (such a file, or a spreadsheet's filtered copy of one), or a file of bare
indices (one per line or comma-separated), selects those display images again. A file that is not one is refused
with a sentence naming the row and the value, never half-read: nothing is selected from it.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.atomic_write import FileWriteError, write_atomically
from core.data.plain_text import one_line
from core.data.raster import RasterError, regular_file
from core.events import Snapshot

#: Every selection or errors CSV this app writes begins so: how a later export knows the file is its own to replace.
SELECTION_HEADER = ("index", "data_index", "label", "class", "error")
#: The largest file of indices read (a selection of 60,000 images with 64-number codes is about 45 MB).
MAX_SELECTION_FILE_BYTES = 128 << 20


class SelectionFileError(ValueError):
    """A selection file that cannot be written or read; the message says which and why."""


def selection_csv(snapshot: Snapshot, indices: Sequence[int] | np.ndarray, *, codes: bool = True) -> bytes:
    """The CSV of display images `indices` of `snapshot`, in that order: index, data_index, label, class, error and
    (with `codes`) z0…z{D-1}. Errors and codes with 9 significant digits (every float32 comes back exactly)."""
    indices = np.asarray(indices, np.int64).reshape(-1)
    count = len(snapshot.codes)
    bad = indices[(indices < 0) | (indices >= count)]
    if len(bad):
        raise SelectionFileError(f"image {int(bad[0])} is not in the display set (0 to {count - 1})")
    errors, data_indices = snapshot.errors, snapshot.data_indices
    dims = snapshot.codes.shape[1] if codes else 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*SELECTION_HEADER, *(f"z{d}" for d in range(dims))])
    for i in indices.tolist():
        label = int(snapshot.labels[i])
        name = snapshot.classes[label] if 0 <= label < len(snapshot.classes) else str(label)
        writer.writerow(
            [
                i,
                "" if data_indices is None else int(data_indices[i]),
                label,
                one_line(name),  # one row per line for every tool; commas and quotes the csv module quotes
                "" if errors is None else f"{float(errors[i]):.9g}",
                *(f"{v:.9g}" for v in np.asarray(snapshot.codes[i], np.float32)[:dims]),
            ]
        )
    return buffer.getvalue().encode()


def is_our_selection_csv(path: Path) -> bool:
    """Whether `path` is a regular file (not a link) that begins with the header of a selection or errors CSV."""
    head = ",".join(SELECTION_HEADER).encode()
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with regular_file(path) as handle:
            return handle.read(len(head)) == head
    except (RasterError, OSError):
        return False


def write_selection_csv(
    path: Path, snapshot: Snapshot, indices: Sequence[int] | np.ndarray, *, codes: bool = True, force: bool = False
) -> None:
    """Write selection_csv(...) to `path` atomically (SelectionFileError when it cannot be).

    An existing file is replaced only when it is a selection or errors CSV this app wrote, or when `force` says the
    user chose to replace it (a save dialog that asked): a spreadsheet of theirs is left alone.
    """
    from core.files.own_output import check_replaceable

    path = Path(path)
    if path.is_dir():
        raise SelectionFileError(f"{path} is a folder: name a file inside it, e.g. {path / 'selection.csv'}")
    payload = selection_csv(snapshot, indices, codes=codes)
    try:
        if not force:
            check_replaceable(path, is_our_selection_csv, "a selection CSV")
        write_atomically(path, payload)
    except FileWriteError as error:
        raise SelectionFileError(str(error)) from None


def read_selection_indices(path: str | os.PathLike, count: int) -> np.ndarray:
    """The display-image indices a CSV names, in file order, each once; SelectionFileError for a file that is not one.

    `count` is the number of display images: every index must lie in 0…count-1. The file is a CSV with an `index`
    column (its header row names it; other columns are ignored), or bare indices with no header (one or more a row,
    comma-separated). Read whole into memory, bounded (MAX_SELECTION_FILE_BYTES), and only from a regular file.
    """
    name = os.fsdecode(os.path.basename(os.fspath(path))) or os.fsdecode(os.fspath(path))
    try:
        with regular_file(path) as handle:
            raw = handle.read(MAX_SELECTION_FILE_BYTES + 1)
    except RasterError as error:
        raise SelectionFileError(str(error)) from None
    except OSError as error:
        raise SelectionFileError(f"{name} could not be read: {error.strerror or error}") from None
    if len(raw) > MAX_SELECTION_FILE_BYTES:
        raise SelectionFileError(
            f"{name} is larger than {MAX_SELECTION_FILE_BYTES >> 20} MB: not a list of display-image indices"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SelectionFileError(f"{name} is not a text file (CSV) of display-image indices") from None
    try:
        reader = csv.reader(io.StringIO(text))
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise SelectionFileError(f"{name} is not a readable CSV: {error}") from None
    if not rows:
        raise SelectionFileError(f"{name} is empty: it names no display images")
    header = [cell.strip().lower() for cell in rows[0][1]]
    if "index" in header:
        column = header.index("index")
        cells = [(line, row[column] if column < len(row) else "") for line, row in rows[1:]]
    else:
        cells = [(line, cell) for line, row in rows for cell in row if cell.strip()]
    if not cells:
        raise SelectionFileError(f"{name} has an index column but no rows below its header")
    found: dict[int, None] = {}  # insertion-ordered: the file's order, each index once
    for line, cell in cells:
        found.setdefault(_index_in(cell, line, name, count), None)
    return np.fromiter(found, np.int64, len(found))


def _index_in(cell: str, line: int, name: str, count: int) -> int:
    text = cell.strip()
    try:
        value = int(text)
    except ValueError:
        shown = one_line(text[:40]) + ("…" if len(text) > 40 else "")
        what = "an empty cell" if not text else f"{shown!r}"
        raise SelectionFileError(
            f"{name}, line {line}: {what} is not a display-image index (a whole number from 0 to {count - 1})"
        ) from None
    if not 0 <= value < count:
        raise SelectionFileError(
            f"{name}, line {line}: index {value} is not in the display set, which holds images 0 to {count - 1}"
        )
    return value
