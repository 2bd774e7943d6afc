"""The one check of a path a user gives on the command line, before any command uses it.

A path can be one no file system takes: a name (one component) over 255 bytes, a whole path over 4,095 bytes, or
a NUL byte. Left to the command, each such path ended in its own traceback (`OSError: File name too long` in eight
commands) or in a check that came too late to be reached. And `..` after a folder that does not exist
(`--out new/../x.png`) means nothing on its own, yet writing there used to create `new` as a stray empty folder.
So argparse refuses all of these at once, for every path option, with a sentence that says which part is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The longest name (one path component) Linux, macOS and Windows file systems take, in bytes (NAME_MAX).
MAX_NAME_BYTES = 255
#: The longest whole path the kernel takes, in bytes (PATH_MAX less its terminating NUL).
MAX_PATH_BYTES = 4095


class UserPathError(ValueError):
    """A path no file system takes, or one that would create folders the user did not name; the message says why."""


def _shown(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[:limit] + "…"


def check_user_path(text: str | os.PathLike) -> Path:
    """`text` as a Path when a file system can take it; UserPathError naming the part that cannot be.

    Nothing is created or opened; only an existing folder before a `..` is looked up.
    """
    raw = os.fspath(text)
    encoded = os.fsencode(raw)
    if b"\0" in encoded:
        raise UserPathError(f"the path {_shown(repr(raw))} holds a NUL byte, which no file system takes")
    path = Path(raw)
    whole = len(os.fsencode(os.fspath(path)))
    if whole > MAX_PATH_BYTES:
        raise UserPathError(
            f"the path {_shown(str(path))} is {whole:,} bytes long; file systems take at most {MAX_PATH_BYTES:,}"
        )
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > MAX_NAME_BYTES:
            raise UserPathError(
                f"the name {_shown(part)} is {size:,} bytes long; file systems take names of at most "
                f"{MAX_NAME_BYTES} bytes: shorten it"
            )
    _check_parent_steps(path)
    return path


def _check_parent_steps(path: Path) -> None:
    """Refuse `..` right after a folder that does not exist: creating the path's folders would leave that one behind."""
    so_far = Path(path.anchor) if path.is_absolute() else Path()
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        if part == ".." and so_far != Path() and not so_far.is_dir() and so_far != Path(path.anchor):
            raise UserPathError(
                f"{so_far} does not exist, so {so_far / '..'} in {_shown(str(path), 80)} names no folder: "
                "write the path without it"
            )
        so_far = so_far / part
