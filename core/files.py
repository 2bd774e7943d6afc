"""Atomic file writes: a crash at any moment leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FileWriteError(Exception):
    """A file could not be written; the message names it and says why."""


def write_atomically(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload` so that a crash at any moment leaves either the old or the new file."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed after fsync
            dir=folder, prefix=f".{path.name}.", suffix=".tmp", delete=False
        )
    except OSError as error:
        raise FileWriteError(f"cannot write to {folder}: {error.strerror or error}") from error
    try:
        with handle:
            os.chmod(handle.name, _mode_for(path))
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except OSError as error:
        Path(handle.name).unlink(missing_ok=True)
        raise FileWriteError(f"could not save {path}: {error.strerror or error}") from error
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
