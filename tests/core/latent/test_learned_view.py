"""The learned view (core.latent.learned_view) on a real latent-8 model: a UMAP layout that keeps neighbours better
than the PCA plane, an inverse whose codes decode closer to the real decodes than the plane's, the same layout for
the same codes, and the pieces (placing new codes, aligning layouts, distance to the data) on their own."""

from __future__ import annotations

import numpy as np
import pytest
from core_testkit import recorded_run
from learned_testkit import trained_latent8

pytest.importorskip("umap")
from core.latent.learned_view import LearnedPlane, align_layout, fit_learned_plane, place_codes
from core.latent.view import view_of
from core.timelapse.views import view_for

#: A backstop only: numba compiles UMAP's kernels on a process's first layout (seconds on a quiet machine, minutes
#: with both cores busy elsewhere), and the module's model trains first; the suite's 300 s per test ran out.
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def snapshot(digits):
    return trained_latent8(digits).snapshot()


@pytest.fixture(scope="module")
def learned(snapshot):
    return view_for(snapshot, None, "umap")


def test_the_display_codes_lie_on_their_layout_and_keep_their_neighbours(snapshot, learned) -> None:
    from sklearn.manifold import trustworthiness

    plane = learned.plane
    assert isinstance(plane, LearnedPlane) and plane.axis_titles == ("UMAP 1", "UMAP 2")
    np.testing.assert_array_equal(learned.xy, plane.layout)
    # the goal; a young model's codes lie nearly on a line, so the PCA plane keeps neighbours too here
    # (the bench compares the two on a lecture model: docs/performance.md)
    assert trustworthiness(snapshot.codes, learned.xy, n_neighbors=10) >= 0.95


def test_the_inverse_decodes_the_images_closer_to_their_decodes_than_the_plane(snapshot, learned) -> None:
    pca = view_of(snapshot)
    real = pca.decode(snapshot.codes)
    plane_error = ((pca.decode(pca.plane.from_plane(pca.xy)) - real) ** 2).mean()
    learned_error = ((learned.decode(learned.plane.from_plane(learned.xy)) - real) ** 2).mean()
    assert learned_error < 0.5 * plane_error


def test_the_same_codes_give_the_same_layout_and_inverse(snapshot, learned) -> None:
    again = fit_learned_plane(snapshot.codes)
    np.testing.assert_array_equal(again.layout, learned.plane.layout)
    probe = np.array([[0.0, 0.0], [1.5, -2.0]]) + learned.xy.mean(axis=0)
    np.testing.assert_allclose(again.from_plane(probe), learned.plane.from_plane(probe), atol=1e-5)


def test_a_warm_layout_starts_from_and_lines_up_with_the_previous_one(snapshot, learned) -> None:
    moved = snapshot.codes + np.random.default_rng(1).normal(0, 0.01, snapshot.codes.shape).astype(np.float32)
    warm = fit_learned_plane(moved, learned.plane)
    shift = np.linalg.norm(warm.layout - learned.plane.layout, axis=1)
    spread = np.linalg.norm(learned.plane.layout - learned.plane.layout.mean(axis=0), axis=1)
    assert np.median(shift) < 0.3 * np.median(spread)


def test_far_from_the_data_is_measured_in_layout_spacings(learned) -> None:
    plane = learned.plane
    on = plane.distance_to_data(plane.layout[:5])
    np.testing.assert_allclose(on, 0.0, atol=1e-6)
    low, high = plane.layout.min(axis=0), plane.layout.max(axis=0)
    far = plane.distance_to_data(np.array([high + (high - low)]))
    assert far[0] > 10


def test_decode_at_decodes_the_inverse_code(learned) -> None:
    x, y = (float(v) for v in learned.xy[3])
    image, code = learned.decode_at(x, y)
    np.testing.assert_allclose(code, learned.plane.from_plane(np.array([[x, y]]))[0])
    np.testing.assert_allclose(image, learned.decode(code[None])[0], atol=1e-5)


def test_new_codes_are_placed_among_their_nearest_codes() -> None:
    codes = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [5.0, 5.0, 5.0]], np.float32)
    layout = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [9.0, 9.0]], np.float32)
    np.testing.assert_allclose(place_codes(codes, layout, codes[1:2]), layout[1:2])
    between = place_codes(codes, layout, np.array([[0.5, 0.0, 0.0]]), k=2)
    np.testing.assert_allclose(between, [[1.0, 0.0]], atol=1e-6)


def test_align_layout_undoes_a_turn_a_mirror_and_a_move() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(50, 2)).astype(np.float32)
    angle = 1.1
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1.0, -1.0])
    moved = (reference @ turn + [3.0, -7.0]).astype(np.float32)
    np.testing.assert_allclose(align_layout(moved, reference), reference, atol=1e-5)


def test_small_latent_sizes_are_shown_as_they_are(digits_subset) -> None:
    trainer, _, _ = recorded_run(digits_subset(200), latent=2, epochs=1, batch_size=64)
    snapshot = trainer.snapshot()
    view = view_for(snapshot, None, "umap")
    assert not isinstance(view.plane, LearnedPlane)
    np.testing.assert_array_equal(view.xy, snapshot.codes)


def test_umap_is_imported_only_when_a_learned_view_is_built(subprocess_env) -> None:
    """umap-learn and numba take seconds to import: the command line, the views' road and the learned view's module
    load without them (the window imports them in the background when the user picks the view)."""
    import subprocess
    import sys

    code = (
        "import sys, core.commands.main, core.commands.parser, core.timelapse.views, core.latent.learned_view, "
        "core.timelapse.learned_frames; core.commands.parser.build_parser(); "
        "print(sorted(m for m in ('umap', 'numba', 'pynndescent', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
