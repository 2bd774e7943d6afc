"""The decoded map, paths, nearest neighbours and the off-the-data meter (core.latent.atlas, core.latent.neighbours),
checked
against single decodes and a brute-force search on a real (tiny) model."""

from __future__ import annotations

import numpy as np
import pytest
from core_testkit import fast_config

from core.latent.atlas import (
    PathEnd,
    PlaneRange,
    cell_centres,
    data_range,
    decode_map,
    decode_path,
    end_at_image,
    mosaic,
    path_between,
    strip,
    to_uint8,
)
from core.latent.neighbours import BETWEEN, FAR, ON_DATA, NeighbourIndex, meter_words, typical_spacing
from core.latent.view import view_of
from core.settings import ModelConfig
from core.training.engine import Trainer


@pytest.fixture(scope="module", params=[2, 6], ids=["latent2", "latent6"])
def view(request, digits):
    trainer = Trainer(digits, fast_config(display_size=200), ModelConfig(request.param, 1, 28))
    return view_of(trainer.snapshot())


def test_cell_centres_put_the_largest_y_in_row_0_and_cover_the_range_evenly() -> None:
    centres = cell_centres(PlaneRange(0.0, 4.0, -2.0, 2.0), 4)
    assert centres.shape == (4, 4, 2)
    assert np.allclose(centres[0, :, 0], [0.5, 1.5, 2.5, 3.5])
    assert np.allclose(centres[:, 0, 1], [1.5, 0.5, -0.5, -1.5])


def test_a_range_must_be_ordered_and_finite() -> None:
    with pytest.raises(ValueError, match="x0 < x1"):
        PlaneRange(1.0, 0.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="finite"):
        PlaneRange(0.0, float("nan"), 0.0, 1.0)


def test_each_map_tile_is_the_decode_of_its_cell_centre(view) -> None:
    area = data_range(view)
    decoded = decode_map(view, area, 5)
    assert decoded.tiles.shape == (5, 5, 1, 28, 28)
    for row, column in [(0, 0), (0, 4), (2, 3), (4, 1)]:
        x, y = decoded.centres[row, column]
        single, _ = view.decode_at(x, y)
        np.testing.assert_allclose(decoded.tiles[row, column], single, atol=1e-5)


def test_the_mosaic_has_no_gaps_and_row_0_at_the_top() -> None:
    tiles = np.zeros((2, 3, 1, 4, 5), np.float32)
    tiles[0, 2] = 1.0  # top right
    picture = mosaic(tiles)
    assert picture.shape == (8, 15) and picture.dtype == np.uint8
    assert (picture[:4, 10:] == 255).all() and picture.sum() == 255 * 20
    colour = mosaic(np.random.default_rng(0).random((2, 2, 3, 4, 4)).astype(np.float32))
    assert colour.shape == (8, 8, 3)


def test_a_plane_path_decodes_its_interpolated_positions(view) -> None:
    start, end = PathEnd((float(view.xy[:, 0].min()), 0.0)), end_at_image(view, 7)
    path = path_between(view, start, end, 9)
    assert not path.full_codes
    assert np.allclose(path.xy[0], start.xy) and np.allclose(path.xy[-1], end.xy, atol=1e-5)
    frames = decode_path(view, path)
    middle = 0.5 * (np.asarray(start.xy) + np.asarray(end.xy))
    np.testing.assert_allclose(frames[4], view.decode_at(*middle)[0], atol=1e-5)
    assert strip(frames).shape == (28, 9 * 28)


def test_a_path_between_two_images_runs_between_their_full_codes_above_2d(view) -> None:
    a, b = end_at_image(view, 3), end_at_image(view, 11)
    path = path_between(view, a, b, 5)
    codes = view.snapshot.codes
    assert path.full_codes == view.plane.is_pca
    np.testing.assert_allclose(path.codes[0], codes[3], atol=1e-5)
    np.testing.assert_allclose(path.codes[-1], codes[11], atol=1e-5)
    np.testing.assert_allclose(path.codes[2], 0.5 * (codes[3] + codes[11]), atol=1e-5)
    frames = decode_path(view, path)
    np.testing.assert_allclose(frames[-1], view.reconstruct(11), atol=1e-5)
    with pytest.raises(IndexError, match="0 to 199"):
        end_at_image(view, 200)


def test_neighbours_equal_a_brute_force_search(view) -> None:
    codes = view.snapshot.codes.astype(np.float64)
    rng = np.random.default_rng(3)
    for _ in range(20):
        query = codes[rng.integers(len(codes))] + rng.normal(0, codes.std(), codes.shape[1])
        found = view.neighbours.nearest(query, 5)
        distances = np.sqrt(((codes - query) ** 2).sum(axis=1))
        expected = np.argsort(distances, kind="stable")[:5]
        assert found.indices.tolist() == expected.tolist()
        np.testing.assert_allclose(found.distances, distances[expected], rtol=1e-9)


def test_the_spacing_is_the_median_nearest_neighbour_distance() -> None:
    codes = np.random.default_rng(0).normal(size=(150, 3))
    d = np.sqrt(((codes[:, None] - codes[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    assert typical_spacing(codes) == pytest.approx(np.median(d.min(axis=1)))
    assert typical_spacing(np.zeros((4, 2))) == 1.0  # all at one place: a unit, never zero


def test_the_meter_reads_on_the_data_on_a_point_and_far_outside_the_cloud(view) -> None:
    index = view.neighbours
    on_point = index.meter(view.snapshot.codes[5])
    assert on_point.words == ON_DATA and on_point.distance == pytest.approx(0.0, abs=1e-5)
    far_code = view.snapshot.codes.max(axis=0) + 50 * index.spacing
    far = index.meter(far_code)
    assert far.words == FAR and far.ratio > 4
    assert meter_words(2.0) == BETWEEN and on_point.colour != far.colour


def test_neighbour_index_rejects_codes_that_are_not_a_table() -> None:
    with pytest.raises(ValueError, match="N×D"):
        NeighbourIndex(np.zeros(5))
    assert len(NeighbourIndex(np.zeros((0, 2))).nearest(np.zeros(2)).indices) == 0


def test_to_uint8_rounds_like_the_window() -> None:
    assert to_uint8(np.array([0.0, 0.5, 1.0, 2.0, np.nan], np.float32)).tolist() == [0, 128, 255, 255, 0]


def test_the_bench_measures_the_map_and_the_search(digits) -> None:
    from core.bench.atlas import measure_atlas

    figures = measure_atlas(digits, quick=True, say=lambda _: None)
    names = [f.name for f in figures]
    assert names[0].startswith("decoded map 20×20") and any("60,000 codes" in n for n in names)
    assert all(f.value is not None and 0 < f.value < 60_000 and f.met is not None for f in figures)
