"""`--view umap` on the command line: `export codes` writes each image's position in the learned view and the code
its inverse gives there, `render map|path` draw through that inverse, `render timelapse` lays every frame out, and
`render` builds the very view the window shows of the same file (the window's road: core.runs.start's opened run
and core.timelapse.views.view_for)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pytest
from core_testkit import recorded_run
from PIL import Image

pytest.importorskip("umap")
from core.commands.main import main
from core.commands.render import load_view
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.latent.atlas import to_uint8
from core.latent.learned_view import LearnedPlane
from core.runs.start import opened_run
from core.timelapse.views import view_for

#: A backstop only: numba compiles UMAP's kernels on a process's first layout (seconds on a quiet machine, minutes
#: with both cores busy elsewhere), and the module's model trains first; the suite's 300 s per test ran out.
pytestmark = pytest.mark.timeout(1200)
LATENT = 8


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    """A latent-8 model with a short recorded history (a few frames of 64 display codes), saved as the window saves."""
    trainer, history, _ = recorded_run(digits_subset(300), latent=LATENT, epochs=1, batch_size=100)
    path = tmp_path_factory.mktemp("learned") / "learned8.safetensors"
    return save_checkpoint(path, Checkpoint.from_trainer(trainer, history))


@pytest.fixture(scope="module")
def window_view(model: Path):
    """What the window's worker shows of the opened file in the learned view."""
    notices: list[str] = []
    prepared = opened_run(model, notices.append)
    return view_for(prepared.trainer.snapshot(), prepared.history.copy(), "umap")


@pytest.fixture(scope="module")
def rendered_view(model: Path):
    return load_view(argparse.Namespace(checkpoint=model, data_dir=None, no_download=True, view="umap"))


def test_render_builds_the_learned_view_the_window_shows_of_an_opened_file(window_view, rendered_view) -> None:
    assert isinstance(rendered_view.plane, LearnedPlane) and isinstance(window_view.plane, LearnedPlane)
    np.testing.assert_array_equal(rendered_view.snapshot.codes, window_view.snapshot.codes)
    np.testing.assert_array_equal(rendered_view.xy, window_view.xy)
    probe = rendered_view.xy[:7] + 0.3
    np.testing.assert_allclose(rendered_view.plane.from_plane(probe), window_view.plane.from_plane(probe), atol=1e-5)


def columns(table: list[list[str]], names: list[str], dtype=np.float32) -> np.ndarray:
    """The named columns of a CSV read whole (its first row the header), as numbers."""
    at = [table[0].index(name) for name in names]
    return np.array([[row[i] for i in at] for row in table[1:]], dtype=dtype)


def test_export_codes_writes_positions_and_the_inverse_codes(model, window_view, tmp_path) -> None:
    out = tmp_path / "codes.csv"
    assert main(["export", "codes", str(model), "--out", str(out), "--view", "umap", "--no-download"]) == 0
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    z = [f"z{d}" for d in range(LATENT)]
    back = [f"back_z{d}" for d in range(LATENT)]
    assert table[0] == ["index", "label", "class", *z, "data_index", "split", "x", "y", *back]
    codes, xy, back_z = columns(table, z), columns(table, ["x", "y"]), columns(table, back)
    np.testing.assert_array_equal(codes, window_view.snapshot.codes)
    np.testing.assert_array_equal(xy, window_view.xy)
    np.testing.assert_allclose(back_z, window_view.plane.from_plane(window_view.xy), atol=1e-5)


def test_export_codes_of_the_pca_view_gives_the_planes_way_back(model, tmp_path) -> None:
    out = tmp_path / "codes.csv"
    assert main(["export", "codes", str(model), "--out", str(out), "--no-download"]) == 0
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    plane = load_view(argparse.Namespace(checkpoint=model, data_dir=None, no_download=True)).plane
    xy, back_z = columns(table, ["x", "y"], np.float64), columns(table, [f"back_z{d}" for d in range(LATENT)])
    np.testing.assert_allclose(back_z, plane.from_plane(xy), atol=1e-5)


def test_render_path_from_a_position_decodes_what_the_window_decodes_there(model, window_view, tmp_path, capsys):
    out = tmp_path / "strip.png"
    x, y = (float(v) for v in window_view.xy[5])
    command = ["render", "path", str(model), f"--from={x!r},{y!r}", "--to", "3", "--steps", "3", "--view", "umap"]
    assert main([*command, "--out", str(out), "--no-download"]) == 0
    first = np.asarray(Image.open(out))[:, :28]
    image, _ = window_view.decode_at(x, y)
    assert np.abs(first.astype(int) - to_uint8(image[0]).astype(int)).max() <= 1


def test_render_map_draws_through_the_learned_inverse(model, tmp_path, capsys) -> None:
    out = tmp_path / "map.png"
    assert main(["render", "map", str(model), "--out", str(out), "--grid", "4", "--view", "umap", "--no-download"]) == 0
    assert "learned inverse" in capsys.readouterr().out
    assert np.asarray(Image.open(out)).shape == (4 * 28, 4 * 28)


def test_render_map_dims_the_tiles_far_from_every_point_as_the_window_does(model, window_view, tmp_path, capsys):
    from core.latent.atlas import DIM_FLOOR, PlaneRange, contrast_of, decode_map, mosaic, shown_tiles

    low, high = window_view.xy.min(axis=0), window_view.xy.max(axis=0)
    size = high - low
    area = PlaneRange(float(low[0]), float(high[0] + 2 * size[0]), float(low[1]), float(high[1]))  # far to the right
    out = tmp_path / "map.png"
    command = ["render", "map", str(model), "--out", str(out), "--grid", "6", "--view", "umap", "--no-download"]
    assert main([*command, f"--range={area.x0!r},{area.x1!r},{area.y0!r},{area.y1!r}"]) == 0
    assert "dimmed" in capsys.readouterr().out
    decoded = decode_map(window_view, area, 6)
    contrast = contrast_of(decoded.distance)
    assert decoded.dims and contrast[:, -1].max() == DIM_FLOOR and contrast.max() == 1.0  # far cells, near cells
    np.testing.assert_array_equal(np.asarray(Image.open(out)), mosaic(shown_tiles(decoded)))
    far = shown_tiles(decoded)[0, -1]
    np.testing.assert_allclose(far, DIM_FLOOR * decoded.tiles[0, -1] + (1 - DIM_FLOOR) * 0.5, atol=1e-6)


def test_render_timelapse_lays_every_frame_out(model, tmp_path, capsys) -> None:
    out = tmp_path / "run.gif"
    assert main(["render", "timelapse", str(model), "--out", str(out), "--view", "umap", "--width", "240"]) == 0
    assert "Laying out frame" in capsys.readouterr().err
    assert Image.open(out).n_frames >= 2
