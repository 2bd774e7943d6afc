"""Atomic file writes: a crash at any moment leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: The temporary file's name: short and fixed-length, whatever the target's name. A name built from the target's
#: (".{name}.XXXXXXXX.tmp") is 13 bytes longer than it, so a target name of 243–255 bytes, which the file system
#: accepts, made the temporary name too long for it.
_TEMP_PREFIX, _TEMP_SUFFIX = ".convae-", ".tmp"


def leftover_temporaries(folder: Path) -> list[Path]:
    """The hidden temporary files write_atomically left in `folder` when its process was killed (SIGKILL, a power
    cut) before it could remove or rename them: regular files only, never links."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return [
        Path(entry.path)
        for entry in entries
        if entry.name.startswith(_TEMP_PREFIX)
        and entry.name.endswith(_TEMP_SUFFIX)
        and entry.is_file(follow_symlinks=False)
    ]


class FileWriteError(Exception):
    """A file could not be written; the message names it and says why."""


def write_atomically(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload` so that a crash at any moment leaves either the old or the new file
    (write_atomically_with, writing the bytes in one go)."""
    write_atomically_with(path, lambda handle: handle.write(payload))


def write_atomically_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace `path` with what `write(handle)` writes, so that a crash at any moment leaves the old or the new file.

    `write` may write piece by piece (a time-lapse frame at a time): nothing needs to be held in memory whole.

    The payload goes to a hidden temporary file in the same folder, is flushed to disk and then renamed over
    `path`. Whatever interrupts that (an OSError, Ctrl+C's KeyboardInterrupt, any exception) removes the temporary
    file and leaves `path` as it was; OSErrors come out as FileWriteError, everything else as it was raised.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileWriteError(f"cannot write to {folder}: {error.strerror or error}") from error
    # The name is chosen before the file exists, so whatever interrupts us from here on (Ctrl+C can land between any
    # two steps, even just after the file is made) knows what to remove; O_EXCL: the file is never someone else's.
    temporary = folder / f"{_TEMP_PREFIX}{secrets.token_hex(8)}{_TEMP_SUFFIX}"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "wb") as handle:
            os.chmod(temporary, _mode_for(path))
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException as error:  # KeyboardInterrupt too: never leave the hidden temporary file behind
        if not isinstance(error, FileExistsError):  # 64 random bits taken by another file: not ours to remove
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise FileWriteError(f"could not save {path}: {error.strerror or error}") from error
        raise
    try:
        directory = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    except OSError:
        pass
    finally:
        os.close(directory)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file is readable by all, like any saved document."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o644
