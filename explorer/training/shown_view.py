"""Which SnapshotView a run shows: the newest live one, or a recorded frame the user chose (the time-lapse), on the
projection the user chose (the PCA plane, or the learned view).

Why one owner: the session (new snapshots) and the time-lapse player (frames) both want to change what is shown;
when both set it, each has to know the other's state ("is the user looking at a frame?") and they race. Here the
session offers each live view, the player asks for a frame or for live again, and this object alone decides and
says so with one signal; the points, the hover, the map, the grids all follow `changed`.

The learned view (core.latent.learned_view) takes seconds to lay out, and its first use imports umap-learn and
compiles numba; umap-learn, numba and torch hold the GIL meanwhile. So with that projection chosen (and codes of more
than two numbers), the view asked for is laid out in a process of its own (core.latent.layout_process, started on the
first layout and ended with the window), waited for by a background thread, and `changed` is emitted only once it is
ready: until then the previous view stays shown,
whole, so the points, hover, clicks, the map, neighbours and the off-the-data meter never mix two views, and
`layingOut` says meanwhile that the view is coming. One layout runs at a time; requests made meanwhile wait, and
only the newest of them is laid out next (a newer snapshot makes an older request stale, but a running layout is
shown when it ends, so steady training still shows a layout every few seconds instead of abandoning each one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from core.latent.layout_process import LayoutProcess
from explorer.utils.latest_worker import LatestOnlyWorker

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from core.latent.learned_view import LearnedPlane
    from core.latent.view import SnapshotView
    from core.timelapse.learned_frames import LearnedFrames
    from core.timelapse.recording import HistoryFrames


class LayoutAbandoned(Exception):
    """A recorded frame's layout was given up (nobody waits for it any more)."""


#: The projections a run can be shown on (core.latent.learned_view's names, repeated here so that choosing one
#: never imports the learned view's module on the GUI thread).
PCA, UMAP = "pca", "umap"


class ShownView(QObject):
    changed = Signal(object)  # SnapshotView: what every panel of the run shows now
    #: True while the learned view of what was asked for is being laid out (the old view stays shown meanwhile)
    layingOut = Signal(bool)
    failed = Signal(str)  # the learned view could not be laid out (the reason)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view: SnapshotView | None = None  # shown now
        self.live: SnapshotView | None = None  # the newest snapshot's view (on the PCA plane)
        self.recorded = False  # the view shown is a recorded frame the user chose
        self.projection = PCA
        self._asked: SnapshotView | None = None  # the view asked for (on its PCA plane); shown once laid out
        self._frame: tuple[HistoryFrames, int] | None = None  # where a recorded frame asked for comes from
        self._running: tuple[SnapshotView, bool] | None = None  # the view whose layout runs now, and if a frame
        #: id(asked view) -> (that view, its learned view), the last few: going back to one shows it at once
        self._learned: dict[int, tuple[SnapshotView, SnapshotView]] = {}
        self._previous: SnapshotView | None = None  # the newest live learned view: the next layout starts from it
        self._frames: LearnedFrames | None = None  # the recorded frames' learned planes, kept per history
        self._frame_stale: Callable[[], bool] | None = None  # whether the frame job running now was given up
        self.layouts = LayoutProcess()  # where learned views are computed: its process starts on the first layout
        self._worker = LatestOnlyWorker("learned-view", self)
        self._worker.done.connect(self._on_laid_out)
        self._worker.failed.connect(self._on_failed)

    @property
    def following_live(self) -> bool:
        return not self.recorded

    @property
    def laying_out(self) -> bool:
        """A learned view is being computed for what was asked (what is shown is the view before it)."""
        return self._running is not None

    @property
    def learned(self) -> bool:
        """The learned view is chosen and applies to this run (codes of more than two numbers)."""
        view = self._asked or self.view
        return self.projection == UMAP and view is not None and view.snapshot.codes.shape[1] > 2

    def offer_live(self, view: SnapshotView) -> None:
        """A new snapshot: shown at once when following live (or when nothing is shown yet), else kept for later."""
        self.live = view
        if not self.recorded or self.view is None:
            self._ask(view)

    def show_frame(self, view: SnapshotView, frames: HistoryFrames | None = None, index: int | None = None) -> None:
        """A recorded frame, shown until `follow_live`: new snapshots wait meanwhile. `frames` and `index` say
        where it was recorded, so that the learned view lays the frames out in order, each aligned to the one
        before (core.timelapse.learned_frames), as `render timelapse --view umap` does."""
        self.recorded = True
        self._ask(view, (frames, index) if frames is not None and index is not None else None)

    def follow_live(self) -> None:
        """Back to the newest snapshot (shown again at once, if there is one)."""
        self.recorded = False
        if self.live is not None:
            self._ask(self.live)

    def set_projection(self, projection: str) -> None:
        """Show every view from now on through `projection` ("pca" or "umap"), the one shown now included."""
        if projection == self.projection:
            return
        self.projection = projection
        if self._asked is not None:
            self._ask(self._asked, self._frame)

    def reset(self) -> None:
        """Another run: nothing shown, following live (nothing is emitted: the run's panels are laid out afresh)."""
        self.view, self.live, self.recorded = None, None, False
        self._asked, self._frame, self._previous, self._frames = None, None, None, None
        self._learned.clear()
        self._worker.cancel()
        if self._running is not None:
            self._running = None
            self.layingOut.emit(False)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """The window is closing: abandon any layout, end the layout process and wait for the thread."""
        self._running = None
        self._worker.cancel()
        self.layouts.close(timeout_s)
        self._worker.shutdown(timeout_s)

    # ----- inside ---------------------------------------------------------------------------------------------------
    def _ask(self, view: SnapshotView, frame: tuple[HistoryFrames, int] | None = None) -> None:
        self._asked, self._frame = view, frame
        if not self.learned:
            if self._running is not None:  # a layout nobody waits for any more
                self._worker.cancel()
                self._running = None
                self.layingOut.emit(False)
            self._show(view)
            return
        done = self._learned.get(id(view))
        if done is not None:
            self._show(done[1])
            return
        if self.view is None:  # nothing on screen yet (a new run, an opened file): the plane until the layout is ready
            self._show(view)
        if self._running is None:
            self._start(view, frame)

    def _start(self, view: SnapshotView, frame: tuple[HistoryFrames, int] | None) -> None:
        self._running = (view, frame is not None)
        self.layingOut.emit(True)
        self._worker.submit(self._job(view, frame))

    def _job(self, view: SnapshotView, frame: tuple[HistoryFrames, int] | None) -> Callable[..., object]:
        """The layout to run in the background: a recorded frame from its history's learned frames, a live view
        started from the previous live layout (so the picture does not jump), both built by core as `render`
        builds them."""
        if frame is not None:
            frames, index = frame
            if self._frames is None or self._frames.frames is not frames:
                from core.timelapse.learned_frames import LearnedFrames

                self._frames = LearnedFrames(frames, self._fit_frame)
            learned_frames = self._frames

            def lay_out_frame(stale: Callable[[], bool]) -> object:
                from core.latent.view import view_of

                self._frame_stale = stale  # read by _fit_frame, on this same thread
                try:
                    return view, view_of(view.snapshot, learned_frames.plane(index))
                except LayoutAbandoned:
                    return None

            return lay_out_frame
        previous = self._previous

        def lay_out(stale: Callable[[], bool]) -> object:
            from core.timelapse.views import view_for

            learned = view_for(
                view.snapshot, None, UMAP, previous=previous, cancelled=stale, fit_plane=self.layouts.fit
            )
            return None if learned is None else (view, learned)

        return lay_out

    def _fit_frame(self, codes: np.ndarray, previous: LearnedPlane | None) -> LearnedPlane:
        """A recorded frame's plane from the layout process (as aligned_learned_plane computes it); abandoned when
        the window closes or the request is dropped."""
        plane = self.layouts.fit(codes, previous, cancelled=self._frame_stale)
        if plane is None:
            raise LayoutAbandoned
        return plane

    @Slot(object)
    def _on_laid_out(self, result: tuple[SnapshotView, SnapshotView]) -> None:
        asked, learned = result
        was_frame = self._running is not None and self._running[1]
        self._running = None
        self._learned = dict(list(self._learned.items())[-3:])
        self._learned[id(asked)] = (asked, learned)
        if not was_frame:
            self._previous = learned
        wanted = self._asked
        if not self.learned or wanted is None:
            self.layingOut.emit(False)
            return
        # shown when it is what is asked for, or when following live (an older snapshot's layout is still newer
        # than what is on screen); a frame the user has left behind is not shown
        if wanted is asked or (not was_frame and not self.recorded):
            self._show(learned)
        if wanted is asked:
            self.layingOut.emit(False)
        elif id(wanted) in self._learned:
            self.layingOut.emit(False)
            self._show(self._learned[id(wanted)][1])
        else:
            self._start(wanted, self._frame)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._running = None
        self.layingOut.emit(False)
        self.failed.emit(message)

    def _show(self, view: SnapshotView) -> None:
        self.view = view
        self.changed.emit(view)
