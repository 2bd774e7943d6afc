"""A sweep's gallery, computed: each run's view (the same one the window and `render` build for a checkpoint), the
grid it sits in (laid out by the swept values), its title, its scatter as a picture, and the images every run's
decoder draws at one plane position. `render sweep` draws from here, and the window's gallery can share it, so
the two cannot disagree. No Ray and no Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.latent.view import SnapshotView
from core.sweep.manifest import SweepManifest, SweepRun

#: Each panel's side in pixels, and the band above it for its title.
PANEL_SIZE, TITLE_HEIGHT, GAP = 220, 30, 8


@dataclass(frozen=True)
class GalleryPanel:
    """One run in the gallery: its view once its checkpoint is read, else why there is none (queued, failed, …)."""

    run: SweepRun
    view: SnapshotView | None
    reason: str | None = None


def grid_shape(manifest: SweepManifest) -> tuple[int, int]:
    """(rows, columns): the last axis's values across, every combination of the others down (runs are in grid
    order, the last axis varying fastest, so run i sits at row i // columns, column i % columns)."""
    axes = list(manifest.axes.values())
    columns = len(axes[-1]) if axes else max(1, len(manifest.runs))
    rows = max(1, -(-len(manifest.runs) // columns))
    return rows, columns


def run_title(run: SweepRun) -> str:
    """'beta 0.5 · latent-dim 2': the run's swept values, as its panel's title."""
    return " · ".join(f"{name} {_text(value)}" for name, value in run.settings.items()) or run.run_id


def run_result(run: SweepRun) -> str:
    """'loss 0.0312 · KL 4.1 · 2 active', or the state of a run that has no result."""
    if run.state != "done" or run.final_loss is None:
        return run.state if run.state != "failed" else "failed"
    parts = [f"loss {run.final_loss:.4g}"]
    if run.kl is not None:
        parts.append(f"KL {run.kl:.3g}")
    if run.active_units is not None:
        parts.append(f"{run.active_units} active")
    return " · ".join(parts)


def _text(value: object) -> str:
    if isinstance(value, str) and value.startswith("folder:"):
        return Path(value[len("folder:") :]).name
    return f"{value:g}" if isinstance(value, float) else str(value)


def load_view(path: Path, data_dir: str | None, download: bool, datasets: dict | None = None) -> SnapshotView:
    """A checkpoint as the window shows it: its snapshot on its display images, on the plane the window chooses
    (core.timelapse.views: the recorded history's aligned plane). `datasets` caches data sets between runs of one
    sweep (they share one data set, usually)."""
    from core.data.datasets import load_dataset_for_model
    from core.files.checkpoint import load_checkpoint
    from core.model.finite import require_finite
    from core.timelapse.views import view_for

    checkpoint = load_checkpoint(path)
    key = (checkpoint.dataset, checkpoint.model_config.channels, checkpoint.model_config.image_size)
    cache = datasets if datasets is not None else {}
    if key not in cache:
        cache[key] = load_dataset_for_model(checkpoint.dataset, checkpoint.model_config, data_dir, download=download)
    trainer = checkpoint.resume(cache[key], device="cpu", num_threads=1)
    snapshot = trainer.snapshot()
    require_finite(snapshot.codes, "the codes it gives its display images")
    return view_for(snapshot, checkpoint.history)


def load_panels(
    directory: Path, manifest: SweepManifest, data_dir: str | None = None, download: bool = False
) -> list[GalleryPanel]:
    """Every run's panel in grid order. A run without a readable checkpoint gets a panel that says why, so one
    bad run never hides the others. `data_dir` None: the sweep's own --data-dir (from its manifest)."""
    from core.data.datasets import DatasetError
    from core.files.checkpoint import CheckpointError
    from core.model.finite import NotFiniteError

    data_dir = data_dir if data_dir is not None else _fixed_data_dir(manifest)
    datasets: dict = {}
    panels = []
    for run in manifest.runs:
        path = manifest.checkpoint_path(directory, run)
        if path is None or not path.is_file():
            panels.append(GalleryPanel(run, None, run.error or f"no checkpoint yet ({run.state})"))
            continue
        try:
            panels.append(GalleryPanel(run, load_view(path, data_dir, download, datasets)))
        except (CheckpointError, DatasetError, NotFiniteError, ValueError) as error:
            panels.append(GalleryPanel(run, None, str(error)))
    return panels


def _fixed_data_dir(manifest: SweepManifest) -> str | None:
    value = manifest.fixed.get("data-dir")
    return value if isinstance(value, str) else None


def decode_all_at(panels: Sequence[GalleryPanel], x: float, y: float) -> list[np.ndarray | None]:
    """The image (C×H×W floats 0–1) each run's decoder draws at plane position (x, y) of its own view: the
    gallery's one cursor. None for a panel with no view."""
    return [None if panel.view is None else panel.view.decode_at(x, y)[0] for panel in panels]


def scatter_picture(view: SnapshotView, size: int = PANEL_SIZE, mark: tuple[float, float] | None = None) -> np.ndarray:
    """A run's latent points coloured by class (the time-lapse's colours, core.timelapse.pictures), size×size RGB
    uint8, the plane's extent with a 5 % margin; `mark` draws a cross at that plane position."""
    from core.latent.atlas import data_range
    from core.timelapse.pictures import BACKGROUND, FAINT, INK, class_rgb

    area = data_range(view)
    picture = np.full((size, size, 3), BACKGROUND, np.uint8)
    to_pixels = _plane_to_pixels(area, size)
    px, py = to_pixels(np.asarray(view.xy, np.float64))
    labels = np.asarray(view.snapshot.labels)
    classes = max(len(view.snapshot.classes), 1)
    colours = np.array([class_rgb(i) for i in range(classes)], np.uint8)[labels % classes]
    order = np.random.default_rng(0).permutation(len(px))  # a fixed shuffled order, as the window: no class on top
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        x, y = px[order] + dx, py[order] + dy
        inside = (x >= 0) & (x < size) & (y >= 0) & (y < size)
        picture[y[inside], x[inside]] = colours[order][inside]
    picture[[0, -1], :] = FAINT
    picture[:, [0, -1]] = FAINT
    if mark is not None:
        mx, my = to_pixels(np.array([mark], np.float64))
        mx, my = int(mx[0]), int(my[0])
        for d in range(-6, 7):
            for cx, cy in ((mx + d, my), (mx, my + d)):
                if 0 <= cx < size and 0 <= cy < size:
                    picture[cy, cx] = INK
    return picture


def _plane_to_pixels(area, size: int) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    def convert(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fx = (xy[:, 0] - area.x0) / max(area.x1 - area.x0, 1e-12)
        fy = (area.y1 - xy[:, 1]) / max(area.y1 - area.y0, 1e-12)  # the largest y at the top
        return np.floor(fx * (size - 1)).astype(np.int64), np.floor(fy * (size - 1)).astype(np.int64)

    return convert


def gallery_picture(
    manifest: SweepManifest, panels: Sequence[GalleryPanel], mark: tuple[float, float] | None = None
) -> np.ndarray:
    """The whole gallery as one RGB uint8 picture: a panel per run laid out by grid_shape, each titled with its
    values and its result; the axes' names in the top-left corner."""
    from PIL import Image, ImageDraw, ImageFont

    from core.timelapse.pictures import BACKGROUND, FAINT, INK

    rows, columns = grid_shape(manifest)
    header = 20
    cell_w, cell_h = PANEL_SIZE + GAP, PANEL_SIZE + TITLE_HEIGHT + GAP
    image = Image.new("RGB", (GAP + columns * cell_w, header + GAP + rows * cell_h), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    names = list(manifest.axes)
    across = f"across: {names[-1]}" if names else ""
    down = f" · down: {', '.join(names[:-1])}" if len(names) > 1 else ""
    draw.text((GAP, 4), across + down, fill=INK, font=font)
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        left, top = GAP + column * cell_w, header + GAP + row * cell_h
        draw.text((left, top), run_title(panel.run)[:40], fill=INK, font=font)
        draw.text((left, top + 13), run_result(panel.run)[:40], fill=INK, font=font)
        if panel.view is not None:
            image.paste(Image.fromarray(scatter_picture(panel.view, PANEL_SIZE, mark)), (left, top + TITLE_HEIGHT))
        else:
            box = (left, top + TITLE_HEIGHT, left + PANEL_SIZE - 1, top + TITLE_HEIGHT + PANEL_SIZE - 1)
            draw.rectangle(box, outline=FAINT)
            words = (panel.reason or "").split()
            lines, line = [], ""
            for word in words:  # the reason, wrapped to the panel
                if len(line) + len(word) + 1 > 34:
                    lines.append(line)
                    line = word
                else:
                    line = f"{line} {word}".strip()
            lines.append(line)
            for number, text in enumerate(lines[:12]):
                draw.text((left + 6, top + TITLE_HEIGHT + 6 + 13 * number), text, fill=FAINT, font=font)
    return np.asarray(image)


def strip_at(panels: Sequence[GalleryPanel], x: float, y: float) -> np.ndarray:
    """Every run's decoded image at (x, y), side by side in grid order, no gaps (core.latent.atlas.strip: the
    same rounding as `render map` and `render path`); a run with no view is a black tile."""
    from core.latent.atlas import strip

    images = decode_all_at(panels, x, y)
    shapes = {image.shape for image in images if image is not None}
    if len(shapes) != 1:
        raise ValueError(
            "the runs decode images of different shapes (data sets of different sizes or colours): "
            "no one strip holds them"
            if shapes
            else "no run has a checkpoint to decode with yet"
        )
    shape = shapes.pop()
    frames = np.stack([image if image is not None else np.zeros(shape, np.float32) for image in images])
    return strip(frames)
