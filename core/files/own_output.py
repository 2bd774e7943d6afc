"""Whether a command may replace the file at its --out: only when this app wrote it, never the user's own file.

`render drawing --image my.png --out my.png`, or `export codes --out results.csv` over a spreadsheet of the user's,
would otherwise replace the user's file with ours. A file counts as ours only when its content says so:

- a PNG carries a `Software: convae-explorer` text chunk (`tagged_png` writes it; viewers show it as the
  program that made the picture);
- a codes CSV begins with the header only an export of codes writes (`index,label,class,z0,…`);
- a bench report is a JSON object holding the bench's `machine` and `figures` (`bench --json`).

Links, folders, FIFOs and devices are never ours. Reading is bounded and never blocks (core.data.raster's
regular-file check).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.atomic_write import FileWriteError, write_atomically
from core.data.raster import RasterError, open_raster, regular_file

SOFTWARE = "convae-explorer"
#: A codes CSV's header begins so (then z1, z2…): see core.files.projector.codes_csv.
CODES_HEADER = b"index,label,class,z0"


class NotOurs(FileWriteError):
    """The file at --out is the user's own: it is left as it is; the message says what to do instead.

    A FileWriteError, so that a writer's callers, which report those already, report this too.
    """


def tagged_png(picture: np.ndarray) -> bytes:
    """The picture (H×W or H×W×C uint8) as PNG bytes that say this app made them."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(picture)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def is_our_png(path: Path) -> bool:
    """Whether `path` is a regular file (not a link) holding a PNG this app tagged as its own."""
    if not _plain_file(path):
        return False
    try:
        with open_raster(path) as image:
            return image.format == "PNG" and image.info.get("Software") == SOFTWARE
    except (RasterError, OSError, ValueError, SyntaxError):
        return False


def is_our_codes_csv(path: Path) -> bool:
    """Whether `path` is a regular file (not a link) that begins with the header of an export of codes."""
    if not _plain_file(path):
        return False
    try:
        with regular_file(path) as handle:
            return handle.read(len(CODES_HEADER)) == CODES_HEADER
    except (RasterError, OSError):
        return False


#: A bench report is some KB; a larger file of its name is not one (and is not read whole).
_MAX_BENCH_JSON_BYTES = 16 * 2**20


def is_our_bench_json(path: Path) -> bool:
    """Whether `path` is a regular file (not a link) holding a report `bench --json` wrote."""
    import json

    if not _plain_file(path):
        return False
    try:
        with regular_file(path) as handle:
            text = handle.read(_MAX_BENCH_JSON_BYTES + 1)
        report = json.loads(text) if len(text) <= _MAX_BENCH_JSON_BYTES else None
    except (RasterError, OSError, ValueError, RecursionError):
        return False
    return isinstance(report, dict) and isinstance(report.get("machine"), dict) and "figures" in report


def check_replaceable(path: Path, ours: Callable[[Path], bool], what: str) -> None:
    """Raise NotOurs when something is at `path` that `ours` does not recognise as this app's `what`."""
    if not os.path.lexists(path) or ours(path):
        return
    raise NotOurs(
        f"{path} exists and is not {what} this app wrote: it is left as it is. Choose another --out, or move that "
        "file away first."
    )


def replace_our_file(path: Path, payload: bytes, ours: Callable[[Path], bool], what: str) -> None:
    """Write `payload` to `path` atomically unless the file there is the user's (NotOurs, a FileWriteError)."""
    check_replaceable(path, ours, what)
    write_atomically(path, payload)


def _plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
