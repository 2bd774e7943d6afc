"""The display set's codes, labels and thumbnails for other tools: TensorBoard's Embedding Projector, and CSV.

A projector export is a folder of five files, written together or not at all:

- `tensors.tsv`: one row per image, the code's D numbers separated by tabs, no header (the Projector's format);
- `metadata.tsv`: a header line `index<TAB>label<TAB>class`, then one row per image (the Projector needs the header
  as soon as there are two columns or more);
- `sprite.png`: the images as thumbnails, row by row in a square grid of ceil(√N) × ceil(√N) cells (grey stays grey,
  colour stays colour); the Projector takes one image of at most 8192×8192 pixels, so thumbnails shrink when N is
  large;
- `projector_config.pbtxt`: names the three files and the thumbnail size (load the folder with
  `tensorboard --logdir DIR`, or upload the TSVs and sprite at projector.tensorflow.org);
- `codes.csv`: index, label, class and z0…z{D-1} with a header, for spreadsheets and pandas.

A marker file (`convae-export.json`) says the folder is an export and lists each file it wrote with its byte count
and sha256, so a later export may replace those files, and only those, while they are still as written. Nothing
else is ever replaced or removed: a user's own `codes.csv`, a folder named `tensors.tsv`, an export file edited
since (an extra metadata column) are the user's. A folder holding anything else is refused unless the caller forces
the export: then the files go beside the user's, or, when some of the user's bear export names, into a new
sub-folder `convae-projector` (see plan_export), and the summary says which.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.data.plain_text import one_line, was_escaped

MAX_SPRITE_SIDE = 8192  # pixels: the Projector refuses larger sprite images
MARKER = "convae-export.json"
TENSORS, METADATA, SPRITE, CONFIG, CODES_CSV = (
    "tensors.tsv",
    "metadata.tsv",
    "sprite.png",
    "projector_config.pbtxt",
    "codes.csv",
)
EXPORT_FILES = (TENSORS, METADATA, SPRITE, CONFIG, CODES_CSV, MARKER)
#: The sub-folder a forced export goes into when the folder named holds the user's own files under export names.
SUBFOLDER = "convae-projector"
#: Hidden folders the files are staged in, beside the export or inside its folder: never counted as the user's.
_STAGING_PREFIX = ".convae-export-"
#: A marker is a few hundred bytes; a larger file of that name is not one.
_MAX_MARKER_BYTES = 64 * 1024


class ExportError(Exception):
    """The export cannot be written; the message says where and why, and what to do."""


@dataclass(frozen=True)
class DisplayCodes:
    """What an export holds: N codes with their labels, class names and images (uint8 N×C×H×W)."""

    codes: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    images: np.ndarray
    step: int = 0
    epoch: float = 0.0
    dataset: str = ""
    #: Each display image's position in its split of the data set, and that split ("training" or "test"), so a user
    #: finds each image in their own data; None where unknown (the window's live exports).
    data_indices: np.ndarray | None = None
    split: str = ""
    #: Columns written after z0… in codes.csv, each (name, N numbers): the view's x, y and back_z0… (a view's
    #: position of each image and the code its way back gives there; core.latent.view_columns).
    extra_columns: tuple[tuple[str, np.ndarray], ...] = ()

    def __post_init__(self) -> None:
        n = len(self.codes)
        if self.codes.ndim != 2 or n == 0:
            raise ExportError(f"there are no codes to export (got an array of shape {self.codes.shape})")
        if self.labels.shape != (n,) or self.images.shape[0] != n or self.images.ndim != 4:
            raise ExportError("codes, labels and images do not belong together (their counts differ)")

    @classmethod
    def of_snapshot(cls, snapshot, dataset: str = "", data_indices=None, split: str = "") -> DisplayCodes:
        """The display set of a core.events.Snapshot (the window's current one, or a checkpoint's)."""
        return cls(
            np.asarray(snapshot.codes, np.float32),
            np.asarray(snapshot.labels, np.int64),
            tuple(snapshot.classes),
            np.asarray(snapshot.display_images, np.uint8),
            int(snapshot.step),
            float(snapshot.epoch),
            dataset,
            None if data_indices is None else np.asarray(data_indices, np.int64),
            split,
        )

    def class_of(self, index: int) -> str:
        label = int(self.labels[index])
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    count: int
    dimensions: int
    thumbnail: int  # side of one sprite cell, pixels
    sprite_side: int  # side of the (square) sprite image, pixels
    note: str = ""  # what happened to the user's files there (ExportPlan.note)

    def line(self) -> str:
        return (
            f"Wrote {self.count:,} codes of {self.dimensions} numbers to {self.folder} "
            f"(sprite {self.sprite_side}×{self.sprite_side} pixels, thumbnails {self.thumbnail}×{self.thumbnail})"
            f"{self.note}"
        )


def escaped_names_note(classes: tuple[str, ...]) -> str:
    """A sentence naming the class names written with escapes (line breaks, controls, bytes that are not UTF-8);
    '' when every name was written as it is."""
    changed = [one_line(name) for name in classes if was_escaped(name)]
    if not changed:
        return ""
    listed = ", ".join(changed[:5]) + (", …" if len(changed) > 5 else "")
    return (
        f"{len(changed):,} class names hold line breaks, control characters or bytes that are not UTF-8; they were "
        f"written with visible escapes (\\n, \\t, \\xNN): {listed}"
    )


def _cell_text(text: str) -> str:
    """A class name as one TSV cell: tabs and line breaks (which would start a new cell or row), other controls and
    bytes that are not UTF-8 are written as visible escapes (core.data.plain_text.one_line)."""
    return one_line(text) or "?"


def tensors_tsv(codes: np.ndarray) -> bytes:
    """N rows of D tab-separated numbers, no header; 9 significant digits give every float32 back exactly."""
    buffer = io.StringIO()
    np.savetxt(buffer, np.asarray(codes, np.float32), fmt="%.9g", delimiter="\t")
    return buffer.getvalue().encode()


def metadata_tsv(data: DisplayCodes) -> bytes:
    rows = ["index\tlabel\tclass"]
    rows += [f"{i}\t{int(data.labels[i])}\t{_cell_text(data.class_of(i))}" for i in range(len(data.codes))]
    return ("\n".join(rows) + "\n").encode()


def codes_csv(data: DisplayCodes) -> bytes:
    """index, label, class, z0…z{D-1} (and data_index, split where known): one row per display image, a header.

    data_index and split come last, so the header still begins as every export of codes does (own_output)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra_names = [name for name, _ in data.extra_columns]
    extra = np.stack([np.asarray(c, np.float32) for _, c in data.extra_columns], axis=1) if extra_names else None
    where = data.data_indices is not None
    writer.writerow(
        [
            "index",
            "label",
            "class",
            *(f"z{d}" for d in range(data.codes.shape[1])),
            *(["data_index", "split"] * where),
            *extra_names,
        ]
    )
    for i, code in enumerate(np.asarray(data.codes, np.float32)):
        more = [f"{v:.9g}" for v in extra[i]] if extra is not None else []
        # one row per line for every tool: line breaks escaped (commas and quotes the csv module quotes)
        place = [int(data.data_indices[i]), data.split] if data.data_indices is not None else []
        writer.writerow(
            [i, int(data.labels[i]), one_line(data.class_of(i)), *(f"{v:.9g}" for v in code), *place, *more]
        )
    return buffer.getvalue().encode()


def sprite_layout(count: int, image_size: int) -> tuple[int, int]:
    """(cells per side, thumbnail side): a square grid of ceil(√count) cells within MAX_SPRITE_SIDE pixels."""
    side = max(1, math.ceil(math.sqrt(count)))
    thumbnail = min(image_size, MAX_SPRITE_SIDE // side)
    if thumbnail < 1:
        raise ExportError(f"{count:,} images do not fit one {MAX_SPRITE_SIDE}-pixel sprite, even at one pixel each")
    return side, thumbnail


def sprite_image(images: np.ndarray) -> np.ndarray:
    """The images as one square grid (H×W for grey, H×W×C for colour), row by row, empty cells black.

    Thumbnails shrink by area averaging when full-size ones would make the sprite larger than the Projector takes.
    """
    count, channels, size = images.shape[0], images.shape[1], images.shape[2]
    side, thumbnail = sprite_layout(count, size)
    if thumbnail != size:
        import torch
        import torch.nn.functional as F

        shrunk = F.interpolate(torch.from_numpy(images).float(), size=(thumbnail, thumbnail), mode="area")
        images = shrunk.round().clamp(0, 255).to(torch.uint8).numpy()
    cells = np.zeros((side * side, channels, thumbnail, thumbnail), np.uint8)
    cells[:count] = images
    grid = cells.reshape(side, side, channels, thumbnail, thumbnail).transpose(0, 3, 1, 4, 2)
    grid = grid.reshape(side * thumbnail, side * thumbnail, channels)
    return grid[:, :, 0] if channels == 1 else grid


def png_bytes(picture: np.ndarray) -> bytes:
    from PIL import Image

    if picture.ndim == 3 and picture.shape[-1] not in (2, 3, 4):
        raise ExportError(f"images with {picture.shape[-1]} channels cannot be drawn as a sprite")
    buffer = io.BytesIO()  # Pillow reads the mode from the shape: L, LA, RGB or RGBA
    Image.fromarray(np.ascontiguousarray(picture)).save(buffer, format="PNG")
    return buffer.getvalue()


def projector_config(thumbnail: int, name: str = "convae-explorer codes") -> bytes:
    """The Projector's config in protobuf text format, naming the files beside it."""
    return (
        "embeddings {\n"
        f'  tensor_name: "{name}"\n'
        f'  tensor_path: "{TENSORS}"\n'
        f'  metadata_path: "{METADATA}"\n'
        "  sprite {\n"
        f'    image_path: "{SPRITE}"\n'
        f"    single_image_dim: {thumbnail}\n"
        f"    single_image_dim: {thumbnail}\n"
        "  }\n"
        "}\n"
    ).encode()


def projector_files(data: DisplayCodes) -> tuple[dict[str, bytes], ExportSummary]:
    """Every file of a projector export, by name, and what they hold (the folder is filled in by the writer)."""
    sprite = sprite_image(data.images)
    side, thumbnail = sprite_layout(len(data.codes), data.images.shape[2])
    marker = {
        "written_by": "convae-explorer",
        "kind": "projector",
        "dataset": data.dataset,
        "step": data.step,
        "epoch": round(data.epoch, 4),
        "count": len(data.codes),
        "dimensions": int(data.codes.shape[1]),
    }
    files = {
        TENSORS: tensors_tsv(data.codes),
        METADATA: metadata_tsv(data),
        SPRITE: png_bytes(sprite),
        CONFIG: projector_config(thumbnail),
        CODES_CSV: codes_csv(data),
    }
    # What this export writes, so that a later one replaces these files only while they are still as written.
    marker["files"] = {
        name: {"bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()} for name, payload in files.items()
    }
    files[MARKER] = (json.dumps(marker, indent=2) + "\n").encode()
    summary = ExportSummary(Path(), len(data.codes), int(data.codes.shape[1]), thumbnail, side * thumbnail)
    return files, summary


def _file_digest(path: Path) -> tuple[int, str] | None:
    """(bytes, sha256) of a regular file that is not a link; None for anything else. Never blocks on a FIFO."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None
        return status.st_size, hashlib.file_digest(handle, "sha256").hexdigest()


def _marker(folder: Path) -> dict | None:
    """The marker of an export in `folder` as written (a JSON object by convae-explorer), or None."""
    marker = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode) or os.lstat(marker).st_size > _MAX_MARKER_BYTES:
            return None
        descriptor = os.open(marker, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            content = json.loads(handle.read(_MAX_MARKER_BYTES))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) and content.get("written_by") == "convae-explorer" else None


def _manifest(folder: Path) -> dict[str, dict] | None:
    """The files an earlier export in `folder` says it wrote (name → bytes and sha256), or None when its marker is
    missing, not ours, or from before markers listed their files (then nothing there can be proved ours)."""
    content = _marker(folder)
    if content is None:
        return None
    files = content.get("files")
    if not isinstance(files, dict) or not all(isinstance(entry, dict) for entry in files.values()):
        return None
    return files


def earlier_export_files(folder: Path) -> frozenset[str]:
    """The entries of `folder` that an earlier export provably wrote: its marker, and each file whose byte count
    and sha256 are still the ones the marker lists. An edited file, a link, a folder or a FIFO bearing an export's
    name is not among them: it is the user's."""
    manifest = _manifest(folder)
    if manifest is None:
        return frozenset()
    ours = {MARKER}
    for name, entry in manifest.items():
        if name in EXPORT_FILES and name != MARKER:
            found = _file_digest(folder / name)
            if found is not None and found == (entry.get("bytes"), entry.get("sha256")):
                ours.add(name)
    return frozenset(ours)


def _these(names: tuple[str, ...] | list[str]) -> tuple[str, str]:
    """('a, b and c', 'they are') or ('a', 'it is'): names in a sentence, and what to say of them."""
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return listed, ("it is" if len(names) == 1 else "they are")


@dataclass(frozen=True)
class ExportPlan:
    """Where an export goes, decided from what the folder the user named holds."""

    folder: Path  # where the files are written: the folder asked for, or a new sub-folder of it
    asked: Path  # the folder the user named
    kept: tuple[str, ...] = ()  # entries of `asked` bearing export names that are the user's: left as they are
    beside: bool = False  # written among the user's other files (forced), which are left as they are

    def note(self) -> str:
        """What happened to the user's files, in words, for the command's message ('' when nothing was there)."""
        if self.kept:
            listed, they_are = _these(self.kept)
            return (
                f". {self.asked} already holds {listed}, which no earlier export wrote: left as {they_are}, "
                f"the export went into {self.folder}"
            )
        if self.beside:
            return f", beside the other files in {self.folder}, which were left as they are"
        return ""


def _listing(folder: Path) -> tuple[list[str], list[str]]:
    """(entries bearing export names that are not provably ours, other entries) of an existing folder."""
    try:
        names = [name for name in os.listdir(folder) if not name.startswith(_STAGING_PREFIX)]
    except OSError as error:
        raise ExportError(f"cannot read the folder {folder}: {error.strerror or error}") from error
    ours = earlier_export_files(folder)
    clashes = sorted(name for name in names if name in EXPORT_FILES and name not in ours)
    others = sorted(name for name in names if name not in EXPORT_FILES)
    return clashes, others


def plan_export(folder: Path, force: bool = False) -> ExportPlan:
    """Where an export to `folder` goes; ExportError when it may not be written there.

    Nothing an earlier export did not write is ever replaced or removed. The folder is used when it is absent,
    empty, or holds only an earlier export's files (each still as written); with `force`, also when it holds
    other files, as long as none bears an export's name. When one does (a user's own `codes.csv`, a folder named
    `tensors.tsv`, an edited `metadata.tsv`), a forced export goes into a new sub-folder (`convae-projector`,
    `-2`, … or an earlier export there), and an unforced one is refused with the names.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder: name a folder for the export (it is created)")
    if not folder.is_dir():
        return ExportPlan(folder, folder)
    clashes, others = _listing(folder)
    if not clashes and not others:
        return ExportPlan(folder, folder)
    if not force:
        if others:
            raise ExportError(
                f"{folder} already holds other files and is not an earlier export: it is left as it is. "
                "Name a new or empty folder, or force the export (--force) to write its files beside the others "
                "(or into a new sub-folder, when some of them bear an export's names)."
            )
        listed, they_are = _these(clashes)
        if MARKER in clashes and _marker(folder) is not None:  # a marker of ours that lists no files
            why = "an export by an earlier version, whose marker does not list its files, so none can be checked"
        else:
            why = "which the earlier export there did not write (changed since, or not an export's)"
        raise ExportError(
            f"{folder} holds {listed}, {why}: left as {they_are}. Name a new or empty folder, or force the export "
            "(--force) to write it into a new sub-folder."
        )
    if not clashes:
        return ExportPlan(folder, folder, beside=True)
    number = 1
    while True:
        candidate = folder / (SUBFOLDER if number == 1 else f"{SUBFOLDER}-{number}")
        number += 1
        if candidate.is_symlink() or (candidate.exists() and not candidate.is_dir()):
            continue
        if not candidate.exists() or _listing(candidate) == ([], []):
            return ExportPlan(candidate, folder, tuple(clashes))


def check_export_folder(folder: Path, force: bool = False) -> None:
    """Raise ExportError unless an export may be written to `folder` (see plan_export)."""
    plan_export(folder, force)


def write_projector(folder: Path, data: DisplayCodes, force: bool = False) -> ExportSummary:
    """Write a projector export (see the module's docstring): all files or none, never over a file not ours.

    The summary names the folder written, which is a new sub-folder of `folder` when a forced export found the
    user's own files under an export's names there (plan_export).
    """
    files, summary = projector_files(data)
    plan = plan_export(Path(folder), force)
    target = plan.folder
    exists = target.is_dir()
    parent = target if exists else (target.parent if str(target.parent) else Path("."))
    staging = parent / f"{_STAGING_PREFIX}{secrets.token_hex(6)}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        for name, payload in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        _move_into_place(staging, target)
    except OSError as error:
        raise ExportError(f"cannot write the export to {target}: {error.strerror or error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    escaped = escaped_names_note(data.classes)
    note = plan.note() + (f". {escaped}" if escaped else "")
    return ExportSummary(target, summary.count, summary.dimensions, summary.thumbnail, summary.sprite_side, note)


def _move_into_place(staging: Path, folder: Path) -> None:
    """The staged files take their places: a new folder is renamed in whole; in an existing one each file replaces
    only an earlier export's file of its name (checked again here, as the folder may have changed since it was
    planned), the marker last, so that an interrupted replacement is never taken for a whole export."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    ours = earlier_export_files(folder)
    names = [name for name in EXPORT_FILES if name != MARKER] + [MARKER]
    taken = [name for name in names if os.path.lexists(folder / name) and name not in ours]
    if taken:
        listed, they_are = _these(taken)
        raise ExportError(
            f"{listed} changed in {folder} while the export was written: left as {they_are}; export again"
        )
    for name in names:
        os.replace(staging / name, folder / name)


def write_codes_csv(path: Path, data: DisplayCodes, force: bool = False) -> None:
    """codes.csv alone, written atomically (raises ExportError).

    An existing file is replaced only when it is a codes CSV this app wrote (core.files.own_output), or when
    `force` says the user chose to replace it (a save dialog that asked): a spreadsheet of theirs is left alone.
    """
    from core.atomic_write import FileWriteError, write_atomically
    from core.files.own_output import check_replaceable, is_our_codes_csv

    if Path(path).is_dir():
        raise ExportError(f"{path} is a folder: name a file inside it, e.g. {Path(path) / 'codes.csv'}")
    try:
        if not force:
            check_replaceable(Path(path), is_our_codes_csv, "a codes CSV")
        write_atomically(Path(path), codes_csv(data))
    except FileWriteError as error:
        raise ExportError(str(error)) from None
