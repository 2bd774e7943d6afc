"""Where data sets are read and downloaded: one folder for the whole process, and why it is that one.

In order: a folder given on the command line (`--data-dir`), one chosen in the window (remembered there), then
$CONVAE_DATA_DIR, then the per-user data folder. core.data.datasets reads it whenever no folder is passed explicitly, so
the window's runs, its data-set view and its downloads all use the same folder. Importable without torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

DATA_DIR_ENV = "CONVAE_DATA_DIR"
FROM_COMMAND_LINE = "given with --data-dir"
FROM_WINDOW = "chosen in the window"

_chosen: tuple[Path, str] | None = None


def use_data_dir(folder: str | os.PathLike | None, source: str = FROM_WINDOW) -> None:
    """Read data sets from `folder` from now on (None: back to $CONVAE_DATA_DIR or the per-user folder)."""
    global _chosen
    _chosen = None if folder is None else (Path(folder).expanduser(), source)


def chosen_source() -> str | None:
    """Why a folder was chosen (FROM_COMMAND_LINE, FROM_WINDOW), or None when the default is in use."""
    return None if _chosen is None else _chosen[1]


def data_folder() -> Path:
    return data_folder_and_reason()[0]


def data_folder_and_reason() -> tuple[Path, str]:
    """The folder data sets are read from now, and a few words saying why it is that one."""
    if _chosen is not None:
        return _chosen
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser(), f"set by ${DATA_DIR_ENV}"
    return Path(user_data_dir("convae-explorer", appauthor=False)) / "datasets", "the per-user data folder"
