"""Autosaves that never lose a model: one file per run, named by time and process, pruned by count.

A run writes only its own file, so a newer run (or another window closing at the same moment) cannot replace an
older model. Pruning keeps the newest few and, besides them, the most-trained older one: a burst of short
experiments never pushes out the long run that came before them.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

from core.atomic_write import leftover_temporaries
from core.files.checkpoint_header import read_app_metadata

KEEP_NEWEST = 8
#: A temporary file younger than this may be an autosave another window is writing right now: left alone.
LEFTOVER_AGE_S = 600.0


def autosave_folder() -> Path:
    return Path(user_data_dir("convae-explorer", appauthor=False)) / "autosave"


def new_autosave_path(folder: Path) -> Path:
    """A name no other run uses: run-<local time>-<pid>-<random>.safetensors.

    The name is chosen when a run starts and written when it ends, so existence cannot reserve it: the process id
    tells processes apart, the random part two windows (or runs) of one process in the same second.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    while (path := folder / f"run-{stamp}-{os.getpid()}-{secrets.token_hex(3)}.safetensors").exists():
        pass
    return path


@dataclass(frozen=True)
class Autosave:
    path: Path
    modified: float  # seconds since the epoch
    step: int
    epoch: int
    dataset: str

    def describe(self) -> str:
        when = time.strftime("%d %b %H:%M", time.localtime(self.modified))
        return f"{self.dataset}, {self.epoch} epochs, {self.step:,} steps, saved {when}"


def recover_leftovers(folder: Path, min_age_s: float = LEFTOVER_AGE_S) -> list[Path]:
    """Autosaves interrupted between their last byte and their rename (kill -9 at that moment leaves a complete
    checkpoint under a hidden `.convae-….tmp` name, forever): each complete one gets an autosave's name, so it is
    offered like any other; an incomplete one is removed. Only files older than `min_age_s`; returns the recovered.
    """
    recovered = []
    now = time.time()
    for temporary in leftover_temporaries(folder):
        try:
            modified = temporary.stat().st_mtime
            if now - modified < min_age_s:
                continue
            if not _complete_checkpoint(temporary):  # cut short while it was written: nothing to offer
                temporary.unlink()
                continue
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(modified))
            target = folder / f"run-{stamp}-recovered-{secrets.token_hex(3)}.safetensors"
            os.link(temporary, target)  # never over an existing name (a rename would replace one)
            temporary.unlink()
        except OSError:
            continue
        recovered.append(target)
    return recovered


def _complete_checkpoint(path: Path) -> bool:
    """Whether `path` is a checkpoint of this app written to its last byte: its header is ours and the file is as
    long as the header says (the tensors' last offset), read from the header alone."""
    if read_app_metadata(path) is None:
        return False
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(length))
            ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
            return os.fstat(handle.fileno()).st_size == 8 + length + max(ends, default=0)
    except (OSError, ValueError, TypeError, KeyError, IndexError, struct.error):
        return False


def list_autosaves(folder: Path) -> list[Autosave]:
    """The app's checkpoints in `folder`, newest first (other files are ignored); an autosave a killed process left
    under its temporary name is recovered first (recover_leftovers)."""
    recover_leftovers(folder)
    found = []
    try:
        candidates = [p for p in folder.glob("*.safetensors") if p.is_file()]
    except OSError:
        return []
    for path in candidates:
        meta = read_app_metadata(path)
        progress = meta.get("progress") if meta else None
        if not isinstance(progress, dict):
            continue
        try:
            modified = path.stat().st_mtime
            step, epoch = int(progress.get("step", 0)), int(progress.get("epoch", 0))
        except (OSError, TypeError, ValueError, OverflowError):
            continue
        found.append(Autosave(path, modified, step, epoch, str(meta.get("dataset", "?"))))
    return sorted(found, key=lambda a: a.modified, reverse=True)


def prune(folder: Path, keep: int = KEEP_NEWEST) -> list[Path]:
    """Remove all but the newest `keep` autosaves and the most-trained older one; return what was removed."""
    keep = max(1, keep)
    saves = list_autosaves(folder)
    older = saves[keep:]
    if not older:
        return []
    spared = max(older, key=lambda a: a.step)
    if spared.step <= max(s.step for s in saves[:keep]):
        spared = None  # a newer kept file is at least as trained: nothing older is special
    removed = []
    for save in older:
        if save is spared:
            continue
        try:
            save.path.unlink()
        except OSError:
            continue
        removed.append(save.path)
    return removed
