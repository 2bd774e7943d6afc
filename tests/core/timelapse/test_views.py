"""Which plane a snapshot is shown on beside a recorded history (core.timelapse.views): the frame's own plane where
the history recorded that step, else a fitted plane turned to line up with the newest frame, else a plain fit."""

from __future__ import annotations

import numpy as np
import pytest
from core_testkit import recorded_run

from core.latent.plane import fit_plane
from core.timelapse.recording import RunHistory
from core.timelapse.views import plane_for, view_for


@pytest.fixture(scope="module")
def run(digits_subset):
    """A latent-4 run (a PCA plane) with every step recorded, and its snapshots."""
    _, history, snapshots = recorded_run(digits_subset(256), latent=4, epochs=1)
    assert len(history) == len(snapshots) >= 4
    return history, snapshots


def test_a_recorded_step_is_shown_on_its_frames_plane(run) -> None:
    history, snapshots = run
    view = view_for(snapshots[-1], history)
    frame = history.frames[-1]
    assert frame.step == snapshots[-1].step and view.plane is frame.plane
    np.testing.assert_allclose(view.xy, frame.xy, atol=1e-6)
    assert view.neighbours.spacing > 0  # prepared with the view, in the caller's (the worker's) thread


def test_a_step_the_history_did_not_record_is_fitted_and_lined_up_with_the_newest_frame(run) -> None:
    history, snapshots = run
    before = RunHistory(history.display, history.frames[:-1])  # the last snapshot was not recorded
    snapshot, newest = snapshots[-1], before.frames[-1].plane
    plane, fresh = plane_for(snapshot, before), fit_plane(snapshot.codes)
    # the same plane through the codes as a fresh PCA (hover decodes points on it) ...
    np.testing.assert_allclose(plane.mean, fresh.mean)
    np.testing.assert_allclose(plane.components.T @ plane.components, fresh.components.T @ fresh.components, atol=1e-9)
    assert sum(plane.explained) == pytest.approx(sum(fresh.explained))
    # ... lying on screen as close to the newest frame's as any turn or mirror of it can
    overlap = np.trace(newest.components @ plane.components.T)
    turns = [np.diag(signs) for signs in ((1, 1), (-1, 1), (1, -1), (-1, -1))]
    turns += [np.array([[0, 1], [1, 0]]), np.array([[0, -1], [1, 0]])]
    for turn in turns:
        assert overlap >= np.trace(newest.components @ (turn @ fresh.components).T) - 1e-9


def test_without_a_history_the_plane_is_fitted_to_the_codes(run) -> None:
    _, snapshots = run
    for history in (None, RunHistory()):
        plane, fresh = plane_for(snapshots[-1], history), fit_plane(snapshots[-1].codes)
        np.testing.assert_array_equal(plane.components, fresh.components)
        np.testing.assert_array_equal(plane.mean, fresh.mean)
