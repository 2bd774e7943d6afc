"""A sweep's manifest, DIR/sweep.json: the grid's axes, the fixed settings, and every run's state and results.

It is the one file through which the sweep's driver, `render sweep` and the window's gallery meet: the driver
rewrites it (atomically) as runs progress, and readers never see half of it. Readers never need Ray.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.atomic_write import FileWriteError, write_atomically

MANIFEST_NAME = "sweep.json"
FORMAT_VERSION = 1
STATES = ("queued", "running", "done", "failed")
#: A manifest is a few kilobytes per run; a bigger file is not ours (and is not read whole into memory).
_MAX_BYTES = 64 * 1024 * 1024


class SweepFileError(Exception):
    """A sweep's folder or manifest cannot be read; the message names the file and says why."""


@dataclass(frozen=True)
class SweepRun:
    """One run of the grid: its swept values (keys as the command line spells them, e.g. "latent-dim"), where it
    stands, and its results once it has them. `checkpoint` is relative to the sweep's folder, so the folder can be
    moved or reached through another mount on another node."""

    run_id: str
    settings: dict[str, object]
    state: str = "queued"
    checkpoint: str | None = None
    error: str | None = None
    final_loss: float | None = None
    kl: float | None = None
    active_units: int | None = None
    progress: float = 0.0


@dataclass(frozen=True)
class SweepManifest:
    """The whole sweep: each axis's values in the order given (the gallery lays runs out by them), the settings
    every run shares, and the runs in grid order (the last axis varying fastest)."""

    axes: dict[str, list] = field(default_factory=dict)
    fixed: dict[str, object] = field(default_factory=dict)
    runs: tuple[SweepRun, ...] = ()

    def checkpoint_path(self, directory: Path, run: SweepRun) -> Path | None:
        """Where `run`'s checkpoint lies under `directory`, or None while it has none (queued, or failed before its
        first save). The file may not exist yet while the run trains."""
        if run.checkpoint is None:
            return None
        return Path(directory) / run.checkpoint


def read_manifest(directory: Path) -> SweepManifest:
    """Read DIR/sweep.json; SweepFileError says which folder or file is missing or what in it is wrong."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SweepFileError(f"{directory} is not a sweep folder: no such directory")
    path = directory / MANIFEST_NAME
    try:
        if not path.is_file():
            raise SweepFileError(f"{directory} is not a sweep folder: it has no {MANIFEST_NAME}")
        if path.stat().st_size > _MAX_BYTES:
            raise SweepFileError(f"{path} is too large to be a sweep's manifest")
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SweepFileError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise SweepFileError(f"{path} is not a sweep's manifest: it is not UTF-8 text") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SweepFileError(f"{path} is not a sweep's manifest: {error}") from error
    try:
        return _manifest_from(document)
    except (TypeError, ValueError, KeyError) as error:
        raise SweepFileError(f"{path} is not a valid sweep manifest: {error}") from error


def write_manifest(directory: Path, manifest: SweepManifest) -> None:
    """Write DIR/sweep.json atomically, so a reader (the gallery, `render sweep`, a resumed sweep) sees the old
    manifest or the new one, never half of one. FileWriteError if the folder cannot be written."""
    document = {
        "format_version": FORMAT_VERSION,
        "axes": {name: list(values) for name, values in manifest.axes.items()},
        "fixed": dict(manifest.fixed),
        "runs": [_run_document(run) for run in manifest.runs],
    }
    payload = json.dumps(document, indent=2, allow_nan=False).encode("utf-8") + b"\n"
    write_atomically(Path(directory) / MANIFEST_NAME, payload)


def _run_document(run: SweepRun) -> dict[str, object]:
    return {
        "run_id": run.run_id,
        "settings": dict(run.settings),
        "state": run.state,
        "checkpoint": run.checkpoint,
        "error": run.error,
        # JSON has no NaN or infinity: a diverged loss is written as null rather than an unreadable file
        "final_loss": _finite_or_none(run.final_loss),
        "kl": _finite_or_none(run.kl),
        "active_units": run.active_units,
        "progress": run.progress,
    }


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _manifest_from(document: object) -> SweepManifest:
    """Check every field's type, so a reader can trust what it gets and a bad file fails here with a reason,
    not later in a drawing."""
    if not isinstance(document, dict):
        raise TypeError("the top level is not an object")
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"format_version {version!r} is not {FORMAT_VERSION} (a newer or older convae-explorer?)")
    axes = document["axes"]
    fixed = document["fixed"]
    runs = document["runs"]
    if not isinstance(axes, dict) or not all(isinstance(v, list) for v in axes.values()):
        raise TypeError("axes must map each setting to a list of values")
    if not isinstance(fixed, dict):
        raise TypeError("fixed must be an object")
    if not isinstance(runs, list):
        raise TypeError("runs must be a list")
    parsed = tuple(_run_from(entry) for entry in runs)
    identities = [run.run_id for run in parsed]
    if len(set(identities)) != len(identities):
        raise ValueError("two runs share a run_id")
    return SweepManifest(axes={str(k): list(v) for k, v in axes.items()}, fixed=dict(fixed), runs=parsed)


def _run_from(entry: object) -> SweepRun:
    if not isinstance(entry, dict):
        raise TypeError("a run is not an object")
    run_id = entry["run_id"]
    if not isinstance(run_id, str) or not run_id:
        raise TypeError("a run's run_id must be a non-empty string")
    settings = entry["settings"]
    if not isinstance(settings, dict):
        raise TypeError(f"run {run_id}: settings must be an object")
    state = entry["state"]
    if state not in STATES:
        raise ValueError(f"run {run_id}: state {state!r} is not one of {', '.join(STATES)}")
    checkpoint = entry.get("checkpoint")
    if checkpoint is not None:
        _check_relative(run_id, checkpoint)
    error = entry.get("error")
    if error is not None and not isinstance(error, str):
        raise TypeError(f"run {run_id}: error must be a string or null")
    active = entry.get("active_units")
    if active is not None and (isinstance(active, bool) or not isinstance(active, int)):
        raise TypeError(f"run {run_id}: active_units must be an integer or null")
    progress = _number(run_id, "progress", entry.get("progress", 0.0))
    if progress is None or not 0.0 <= progress <= 1.0:
        raise ValueError(f"run {run_id}: progress must be a number from 0 to 1")
    return SweepRun(
        run_id=run_id,
        settings=dict(settings),
        state=state,
        checkpoint=checkpoint,
        error=error,
        final_loss=_number(run_id, "final_loss", entry.get("final_loss")),
        kl=_number(run_id, "kl", entry.get("kl")),
        active_units=active,
        progress=progress,
    )


def _number(run_id: str, name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"run {run_id}: {name} must be a number or null")
    return float(value)


def _check_relative(run_id: str, checkpoint: object) -> None:
    """A checkpoint path stays inside the sweep's folder: a manifest must not point a reader at /etc or ../.."""
    if not isinstance(checkpoint, str) or not checkpoint:
        raise TypeError(f"run {run_id}: checkpoint must be a relative path or null")
    parts = PurePosixPath(checkpoint).parts
    if PurePosixPath(checkpoint).is_absolute() or "\\" in checkpoint or ".." in parts or ":" in checkpoint:
        raise ValueError(f"run {run_id}: checkpoint {checkpoint!r} is not a path inside the sweep's folder")


__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "STATES",
    "FileWriteError",
    "SweepFileError",
    "SweepManifest",
    "SweepRun",
    "read_manifest",
    "write_manifest",
]
