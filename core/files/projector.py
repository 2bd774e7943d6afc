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

A marker file (`convae-export.json`) says the folder is an export, so a later export may replace it; any other
non-empty folder is refused unless the caller forces it (then only these files are replaced, the others stay).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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

    def __post_init__(self) -> None:
        n = len(self.codes)
        if self.codes.ndim != 2 or n == 0:
            raise ExportError(f"there are no codes to export (got an array of shape {self.codes.shape})")
        if self.labels.shape != (n,) or self.images.shape[0] != n or self.images.ndim != 4:
            raise ExportError("codes, labels and images do not belong together (their counts differ)")

    @classmethod
    def of_snapshot(cls, snapshot, dataset: str = "") -> DisplayCodes:
        """The display set of a core.events.Snapshot (the window's current one, or a checkpoint's)."""
        return cls(
            np.asarray(snapshot.codes, np.float32),
            np.asarray(snapshot.labels, np.int64),
            tuple(snapshot.classes),
            np.asarray(snapshot.display_images, np.uint8),
            int(snapshot.step),
            float(snapshot.epoch),
            dataset,
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

    def line(self) -> str:
        return (
            f"Wrote {self.count:,} codes of {self.dimensions} numbers to {self.folder} "
            f"(sprite {self.sprite_side}×{self.sprite_side} pixels, thumbnails {self.thumbnail}×{self.thumbnail})"
        )


def _cell_text(text: str) -> str:
    """A class name as one TSV cell: tabs and line breaks would start a new cell or row."""
    return " ".join(text.replace("\t", " ").splitlines()) or "?"


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
    """index, label, class, z0…z{D-1}: one row per display image, with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["index", "label", "class", *(f"z{d}" for d in range(data.codes.shape[1]))])
    for i, code in enumerate(np.asarray(data.codes, np.float32)):
        writer.writerow([i, int(data.labels[i]), data.class_of(i), *(f"{v:.9g}" for v in code)])
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
        MARKER: (json.dumps(marker, indent=2) + "\n").encode(),
    }
    summary = ExportSummary(Path(), len(data.codes), int(data.codes.shape[1]), thumbnail, side * thumbnail)
    return files, summary


def check_export_folder(folder: Path, force: bool = False) -> None:
    """Raise ExportError unless an export may be written to `folder` (absent, empty, an earlier export, or forced)."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder: name a folder for the export (it is created)")
    if not folder.is_dir() or force:
        return
    try:
        entries = {entry.name for entry in folder.iterdir()}
    except OSError as error:
        raise ExportError(f"cannot read the folder {folder}: {error.strerror or error}") from error
    if entries and not (MARKER in entries and entries <= set(EXPORT_FILES)):
        raise ExportError(
            f"{folder} already holds other files and is not an earlier export: it is left as it is. "
            "Name a new or empty folder, or force the export (--force) to write its files beside the others."
        )


def write_projector(folder: Path, data: DisplayCodes, force: bool = False) -> ExportSummary:
    """Write a projector export to `folder`: all files or none (see the module's docstring)."""
    folder = Path(folder)
    check_export_folder(folder, force)
    files, summary = projector_files(data)
    parent = folder.parent if str(folder.parent) else Path(".")
    staging = parent / f".convae-export-{secrets.token_hex(6)}.tmp"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        for name, payload in files.items():
            with open(staging / name, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
        _move_into_place(staging, folder, force)
    except OSError as error:
        raise ExportError(f"cannot write the export to {folder}: {error.strerror or error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportSummary(folder, summary.count, summary.dimensions, summary.thumbnail, summary.sprite_side)


def _move_into_place(staging: Path, folder: Path, force: bool) -> None:
    """The staged folder becomes `folder`; an earlier export there is swapped out whole, then removed."""
    if not folder.exists():
        os.rename(staging, folder)
        return
    entries = {entry.name for entry in folder.iterdir()}
    if force and not entries <= set(EXPORT_FILES):  # the user's own files stay; ours replace theirs by name
        for name in EXPORT_FILES:
            os.replace(staging / name, folder / name)
        return
    retired = folder.parent / f".convae-export-{secrets.token_hex(6)}.old"
    os.rename(folder, retired)
    try:
        os.rename(staging, folder)
    except OSError:
        os.rename(retired, folder)  # put the earlier export back
        raise
    shutil.rmtree(retired, ignore_errors=True)


def write_codes_csv(path: Path, data: DisplayCodes) -> None:
    """codes.csv alone, written atomically (raises ExportError)."""
    from core.atomic_write import FileWriteError, write_atomically

    if Path(path).is_dir():
        raise ExportError(f"{path} is a folder: name a file inside it, e.g. {Path(path) / 'codes.csv'}")
    try:
        write_atomically(Path(path), codes_csv(data))
    except FileWriteError as error:
        raise ExportError(str(error)) from None
