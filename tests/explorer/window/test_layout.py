"""The preview and reconstruction panels at the sizes small and large windows give them: real widgets, offscreen.

Nothing here waits on a clock: the panels size themselves synchronously on a resize, and the few waits are on states.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from explorer.latent.preview_panel import (
    HOVER_PLACEHOLDER,
    MAX_SIDE,
    MIN_SIDE,
    NO_COORDINATES,
    PICKED_PLACEHOLDER,
    PreviewPanel,
    format_coordinates,
)
from explorer.training.grids_panel import GridsPanel
from explorer.utils.images import (
    balanced_rows,
    best_columns,
    best_layout,
    layout_scale,
    pairs_size,
    tile_pairs,
    to_sized_pixmap,
    to_uint8,
)

SIDE = 28
PREVIEW_SIZES = [(230, 430), (240, 470), (260, 520), (300, 600), (320, 760), (400, 900)]
PCA_LATENT = np.array([0.123, -3.456, 1.5, 12.25, -0.91, 0.12, 0.5, 0.3], np.float32)  # 8-D: a PCA view
PICKED_TEXT = "Label: 7  ·  image #1,234\nz = (+0.12, -3.46, +1.50, +12.25, -0.91, +0.12, …)"
SNAPSHOT_TEXT = "Decoder and points from step 12,345 (epoch 3 of 10)"
WRAP = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


def noise(channels: int, count: int | None = None, seed: int = 0) -> np.ndarray:
    shape = (channels, SIDE, SIDE) if count is None else (count, channels, SIDE, SIDE)
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def rect_of(widget: QWidget) -> QRect:
    return widget.geometry()


def shown_preview(qtbot, size: tuple[int, int]) -> PreviewPanel:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def fill_preview(panel: PreviewPanel, channels: int = 1) -> None:
    panel.show_snapshot_info(SNAPSHOT_TEXT)
    panel.show_picked(noise(channels, seed=1), noise(channels, seed=2), PICKED_TEXT)
    panel.show_decoded(noise(channels), (3.379, -0.584), PCA_LATENT, True)


def check_preview_geometry(panel: PreviewPanel, size: tuple[int, int]) -> None:
    """The coordinates whole below the image and inside the panel, tall enough for their text; no two parts overlap."""
    assert panel.size().toTuple() == size, "the panel did not take the size it was given (a minimum too large?)"
    inside = panel.rect()
    image, coordinates = rect_of(panel.image), rect_of(panel.coordinates)
    assert inside.contains(coordinates), f"coordinates {coordinates} outside the panel {inside}"
    assert coordinates.top() >= image.top() + image.height(), f"coordinates {coordinates} not below image {image}"
    text = panel.coordinates.text()
    width = panel.coordinates.contentsRect().width()
    needed = panel.coordinates.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), WRAP, text).height()
    assert panel.coordinates.contentsRect().height() >= needed, f"{text!r} needs {needed} px at {width} px"
    assert panel.coordinates.height() >= panel.coordinates.heightForWidth(panel.coordinates.width())

    pixmap = panel.image.pixmap()
    assert not pixmap.isNull()
    assert MIN_SIDE <= max(pixmap.width(), pixmap.height()) <= MAX_SIDE
    assert pixmap.width() == pixmap.height()  # square images stay square
    assert pixmap.width() % SIDE == 0, "a 28-pixel image fits whole pixels at every size from 112 to 280"
    assert panel.image.contentsRect().size() == pixmap.size()  # the label is exactly the image (+ its border)

    parts = [child for child in panel.findChildren(QWidget) if child.parentWidget() is panel and child.isVisible()]
    assert len(parts) >= 10
    for part in parts:
        assert inside.contains(rect_of(part)), f"{part.objectName() or part} at {rect_of(part)} leaves {inside}"
    for a, b in itertools.combinations(parts, 2):
        assert not rect_of(a).intersects(rect_of(b)), f"{a} {rect_of(a)} overlaps {b} {rect_of(b)}"


@pytest.mark.parametrize("channels", [1, 3], ids=["grey", "colour"])
@pytest.mark.parametrize("size", PREVIEW_SIZES, ids=[f"{w}x{h}" for w, h in PREVIEW_SIZES])
def test_preview_coordinates_sit_whole_below_the_image(qtbot, size, channels):
    panel = shown_preview(qtbot, size)
    fill_preview(panel, channels)
    qtbot.waitUntil(lambda: not panel.image.pixmap().isNull())
    check_preview_geometry(panel, size)
    assert panel.coordinates.text() == format_coordinates((3.379, -0.584), PCA_LATENT, True)
    assert panel.coordinates.text().count("\n") == 1  # two lines of text, perhaps wrapped further


def test_preview_follows_resizes_down_and_up(qtbot):
    """The fixed-size image must not hold the panel at a size it once had (shrinking works as well as growing)."""
    panel = shown_preview(qtbot, PREVIEW_SIZES[-1])
    fill_preview(panel)
    sides = {}
    for size in [*reversed(PREVIEW_SIZES), *PREVIEW_SIZES]:
        panel.resize(*size)
        qtbot.waitUntil(lambda size=size: panel.size().toTuple() == size)
        check_preview_geometry(panel, size)
        sides.setdefault(size, set()).add(panel.image.pixmap().width())
    assert all(len(seen) == 1 for seen in sides.values()), f"one size, one image side: {sides}"
    assert sides[PREVIEW_SIZES[0]] != sides[PREVIEW_SIZES[-1]], "the image scales with the panel"


class LayoutRequests(QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_hover_moves_relayout_nothing(qtbot):
    """Per move only a pixmap and a text change, on fixed-size labels: no layout request, no geometry change."""
    panel = shown_preview(qtbot, (260, 520))
    fill_preview(panel)
    qtbot.waitUntil(lambda: not panel.image.pixmap().isNull())
    qtbot.wait(0)  # deliver what the set-up posted
    geometries = [rect_of(w) for w in (panel.image, panel.coordinates, panel.picked_label)]
    requests = LayoutRequests(panel)
    rng = np.random.default_rng(3)
    for _ in range(50):
        latent = rng.uniform(-9, 9, PCA_LATENT.shape).astype(np.float32)
        panel.show_decoded(noise(1, seed=int(rng.integers(1000))), tuple(rng.uniform(-9, 9, 2)), latent, True)
    qtbot.wait(0)
    assert requests.count == 0
    assert [rect_of(w) for w in (panel.image, panel.coordinates, panel.picked_label)] == geometries


def test_coordinates_grow_for_more_lines_and_shrink_on_clear(qtbot):
    size = (230, 430)
    panel = shown_preview(qtbot, size)
    panel.show_decoded(noise(1), (0.5, -0.5), np.array([0.5, -0.5], np.float32), False)
    one_line = panel.coordinates.height()
    assert panel.coordinates.text() == "z = (+0.500, -0.500)"
    fill_preview(panel)  # a PCA view: two lines, the second wrapped at this width
    assert panel.coordinates.height() > one_line
    check_preview_geometry(panel, size)
    panel.clear_decoded()
    assert panel.coordinates.height() == one_line


def test_clear_picked_restores_the_placeholder(qtbot):
    panel = shown_preview(qtbot, (260, 520))
    fill_preview(panel)
    assert not panel.picked_original.pixmap().isNull() and not panel.picked_reconstruction.pixmap().isNull()
    panel.clear_picked()
    assert panel.picked_original.pixmap().isNull() and panel.picked_reconstruction.pixmap().isNull()
    assert panel.picked_label.text() == PICKED_PLACEHOLDER
    assert panel.last_image is not None, "the decoded image is not the clicked point's"
    check_preview_geometry(panel, (260, 520))


def test_clear_decoded_restores_the_placeholder(qtbot):
    panel = shown_preview(qtbot, (260, 520))
    fill_preview(panel)
    panel.clear_decoded()
    assert panel.image.pixmap().isNull()
    assert panel.image.text() == HOVER_PLACEHOLDER
    assert panel.coordinates.text() == NO_COORDINATES
    assert panel.last_image is None
    assert not panel.picked_original.pixmap().isNull(), "the clicked point is cleared on its own"
    # and a new model's first image shows as before
    panel.show_decoded(noise(3), (1.0, 2.0), np.array([1.0, 2.0], np.float32), False)
    assert not panel.image.pixmap().isNull() and panel.image.text() == ""


def pixel(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    colour = image.pixelColor(x, y)
    return colour.red(), colour.green(), colour.blue()


def test_preview_draws_colour_images_in_their_colours(qtbot):
    """C×H×W colour images (floats or uint8) reach the screen as RGB, each source pixel a whole block."""
    panel = shown_preview(qtbot, (300, 600))
    source = noise(3, seed=7)
    as_uint8 = to_uint8(source)  # H×W×3
    panel.show_decoded(source, (0.0, 0.0), np.zeros(2, np.float32), False)
    panel.show_picked(source, (source * 255).round().astype(np.uint8), "colour")
    shown = panel.image.pixmap().toImage()
    block = shown.width() // SIDE
    for y, x in [(0, 0), (5, 20), (27, 27), (13, 2)]:
        for dy, dx in [(0, 0), (block - 1, block - 1)]:
            assert pixel(shown, x * block + dx, y * block + dy) == tuple(as_uint8[y, x])
    for label in (panel.picked_original, panel.picked_reconstruction):
        picked = label.pixmap().toImage()
        block = picked.width() // SIDE
        assert pixel(picked, 20 * block, 5 * block) == tuple(as_uint8[5, 20])


def test_sized_pixmap_is_nearest_neighbour():
    image = noise(1, seed=4)
    whole = to_sized_pixmap(image, 5 * SIDE, 5 * SIDE).toImage()
    grey = to_uint8(image)
    assert whole.width() == whole.height() == 5 * SIDE
    assert all(whole.pixelColor(5 * x + 4, 5 * y).red() == grey[y, x] for y in range(SIDE) for x in range(SIDE))
    odd = to_sized_pixmap(image, 121, 121).toImage()  # no whole multiple: blocks of 4 or 5, still source values
    assert odd.width() == 121
    values = {odd.pixelColor(x, y).red() for x in range(121) for y in range(0, 121, 7)}
    assert values <= set(grey.ravel().tolist())


@pytest.mark.parametrize(
    ("count", "columns", "expected"),
    [(15, 11, [8, 7]), (15, 8, [8, 7]), (15, 5, [5, 5, 5]), (15, 4, [4, 4, 4, 3]), (10, 3, [3, 3, 2, 2]), (3, 8, [3])],
)
def test_balanced_rows(count, columns, expected):
    assert balanced_rows(count, columns) == expected


def old_best_columns(count: int, tile: int, width: int, height: int, gap: int = 2) -> int:
    """The choice this replaced: most columns among the largest tiles, the last row left short."""

    def scale(columns: int) -> float:
        pairs = -(-count // columns)
        w = columns * (tile + gap)
        h = pairs * 2 * (tile + gap) + (pairs - 1) * gap * 4
        return min(width / w, height / h)

    return max(range(1, count + 1), key=lambda c: (scale(c), c))


def tiles_per_row(picture: np.ndarray, rows: int, columns: int, gap: int = 2) -> list[int]:
    """Originals actually drawn in each pair of rows of tile_pairs' picture (blank places are all white)."""
    counts = []
    for r in range(rows):
        top = r * (2 * SIDE + gap + 4 * gap)
        tiles = [picture[:, top : top + SIDE, c * (SIDE + gap) : c * (SIDE + gap) + SIDE] for c in range(columns)]
        counts.append(sum(not np.all(tile == 1.0) for tile in tiles))
    return counts


GRID_SHAPES = {"wide": (900, 250), "square": (500, 500), "tall": (300, 700)}


@pytest.mark.parametrize("channels", [1, 3], ids=["grey", "colour"])
@pytest.mark.parametrize("shape", GRID_SHAPES.values(), ids=GRID_SHAPES.keys())
def test_grid_fills_its_panel_with_even_rows(qtbot, shape, channels):
    count = 15
    originals, reconstructions = noise(channels, count, seed=5), noise(channels, count, seed=6)
    panel = GridsPanel()
    qtbot.addWidget(panel)
    panel.resize(*shape)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_rows(originals, reconstructions, "Each original above its reconstruction, at step 12,345")
    qtbot.waitUntil(lambda: not panel.view.pixmap().isNull())
    assert panel.size().toTuple() == shape
    assert panel.caption.text() == "Each original above its reconstruction, at step 12,345"

    view = panel.view.contentsRect().size()
    rows, columns = panel.layout_shape
    assert (rows, columns) == best_layout(count, SIDE, SIDE, view.width(), view.height())
    assert columns == best_columns(count, SIDE, view.width(), view.height())
    per_row = tiles_per_row(tile_pairs(originals, reconstructions, columns), rows, columns)
    assert sum(per_row) == count and len(per_row) == rows
    assert max(per_row) - min(per_row) <= 1, f"rows {per_row}"
    assert max(per_row) == columns  # no column left empty

    old = old_best_columns(count, SIDE, view.width(), view.height())
    old_scale = layout_scale(-(-count // old), old, SIDE, SIDE, view.width(), view.height())
    assert layout_scale(rows, columns, SIDE, SIDE, view.width(), view.height()) >= old_scale - 1e-9

    # what is on screen: the pairs fill the view in the direction that limits them
    pixmap = panel.view.pixmap()
    width, height = pairs_size(rows, columns, SIDE, SIDE)
    assert abs(pixmap.width() / pixmap.height() - width / height) < 0.02
    grab = panel.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(grab.constBits(), np.uint8).reshape(grab.height(), grab.bytesPerLine())
    pixels = pixels[:, : grab.width() * 3].reshape(grab.height(), grab.width(), 3)
    drawn = np.any(pixels != pixels[0, 0], axis=2)
    ys, xs = np.nonzero(drawn)
    covered = max((xs.max() - xs.min() + 1) / grab.width(), (ys.max() - ys.min() + 1) / grab.height())
    assert covered >= 0.9, f"the pairs cover {covered:.0%} of the view in their limiting direction"


def test_grid_draws_colour_in_its_colours(qtbot):
    colour = np.array([0.2, 0.6, 0.9], np.float32)
    originals = np.broadcast_to(colour[None, :, None, None], (6, 3, SIDE, SIDE)).copy()
    panel = GridsPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 300)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_rows(originals, (originals * 255).round().astype(np.uint8), "colour")
    qtbot.waitUntil(lambda: not panel.view.pixmap().isNull())
    shown = panel.view.pixmap().toImage()
    scale = shown.width() / pairs_size(*panel.layout_shape, SIDE, SIDE)[0]
    centre = int(SIDE / 2 * scale)
    expected = tuple(int(v) for v in to_uint8(colour[:, None, None])[0, 0])
    assert pixel(shown, centre, centre) == expected  # the first original
    assert pixel(shown, centre, int((SIDE + 2 + SIDE / 2) * scale)) == expected  # its reconstruction (uint8)


def test_best_layout_examples():
    """15 pairs: one row in a strip, 8 + 7 when a little taller, 5 + 5 + 5 in a square."""
    assert best_layout(15, SIDE, SIDE, 900, 80) == (1, 15)
    assert best_layout(15, SIDE, SIDE, 500, 190) == (2, 8)
    assert best_layout(15, SIDE, SIDE, 480, 480) == (3, 5)
    assert best_layout(1, SIDE, SIDE, 10, 10) == (1, 1)
    assert best_layout(0, SIDE, SIDE, 100, 100) == (0, 0)
