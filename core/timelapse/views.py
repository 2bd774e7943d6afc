"""Which plane a snapshot is shown on beside a run's recorded history, and its view on that plane.

The window's worker (a live snapshot, or the one of an opened checkpoint), `render` and `export` all ask here, so
for any latent size the window and the headless commands put every point at the same position and decode the
same code at a given (x, y). Above 2-D the plane is a PCA plane with no fixed sign or order, and a history turns
each frame's plane to line up with the previous one (core.latent.plane.fit_aligned_plane): a plane fitted afresh
would be the same plane turned or mirrored, and `render path --from x,y` would decode another code than the window
under the cursor at x,y. A recorded frame's own view is HistoryFrames.view (its recorded plane).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.events import Snapshot
from core.latent.plane import LatentPlane, fit_aligned_plane
from core.latent.view import SnapshotView, view_of
from core.timelapse.recording import RunHistory

if TYPE_CHECKING:
    from core.latent.learned_view import LearnedPlane


def plane_for(snapshot: Snapshot, history: RunHistory | None) -> LatentPlane:
    """The plane of the frame recorded at this snapshot's step (a live snapshot just recorded, a checkpoint whose
    history ends where its model does); else the plane fitted to its codes, turned to line up with the newest
    frame's (the plain fitted plane when there is no history)."""
    frames = history.frames if history is not None else ()
    newest = frames[-1] if frames else None
    if newest is not None and newest.step == snapshot.step:
        return newest.plane
    return fit_aligned_plane(snapshot.codes, newest.plane if newest is not None else None)


def view_for(
    snapshot: Snapshot,
    history: RunHistory | None,
    projection: str = "pca",
    previous: SnapshotView | None = None,
    cancelled: Callable[[], bool] | None = None,
    fit_plane: Callable[..., LearnedPlane | None] | None = None,
) -> SnapshotView | None:
    """What the window shows of this snapshot beside `history` (None: a run with no recording), built in the
    calling thread with the off-the-data meter ready (core.latent.view.view_of).

    `projection` "umap" lays the codes out with the learned view (core.latent.learned_view; seconds, and umap-learn
    imported on first use) for latent sizes above 2: started from and aligned with `previous` where that is a
    learned view of the same display set (live training), else a fresh seeded layout, so an opened file shows the
    same layout in the window and in `render`. Latent sizes 1 and 2 are shown as they are in either projection.
    `cancelled` (asked between the layout and the inverse's training steps) lets the window abandon a layout nobody
    waits for any more (a switch back to PCA, another run, the window closing): None is returned then.
    `fit_plane` (fit_learned_plane's arguments and answer) computes the plane elsewhere: the window's layout process.
    """
    if projection == "umap" and snapshot.codes.shape[1] > 2:
        from core.latent.learned_view import LearnedPlane, fit_learned_plane

        before = previous.plane if previous is not None and isinstance(previous.plane, LearnedPlane) else None
        plane = (fit_plane or fit_learned_plane)(snapshot.codes, before, cancelled=cancelled)
        return None if plane is None else view_of(snapshot, plane)
    return view_of(snapshot, plane_for(snapshot, history))
