"""A recorded run's frames laid out by the learned view (core.latent.learned_view), for `render timelapse --view
umap` and the window's time-lapse in that view.

Each frame's layout is started from the previous frame's and turned to line up with it (orthogonal Procrustes), so
a replay moves instead of spinning or flipping between frames. That makes frame k depend on frames 0…k-1: frames
are laid out in order on demand and cached, so whichever frame is asked for first, every frame gets the same layout
(and the window and `render` agree). A layout takes seconds: a long history takes minutes the first time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from core.latent.learned_view import LearnedPlane, aligned_learned_plane
from core.timelapse.recording import HistoryFrames


class LearnedFrames:
    """The learned planes of one history's frames, computed in order and kept (thread-safe)."""

    def __init__(
        self,
        frames: HistoryFrames,
        fit: Callable[[np.ndarray, LearnedPlane | None], LearnedPlane] = aligned_learned_plane,
    ) -> None:
        """`fit(codes, previous frame's plane)` lays one frame out (the window's does it in a layout process)."""
        self.frames = frames
        self._fit = fit
        self._planes: list[LearnedPlane] = []
        self._lock = threading.Lock()

    @property
    def applies(self) -> bool:
        """Whether the learned view changes anything: codes of size 1 and 2 are shown as they are."""
        return bool(len(self.frames)) and self.frames.frames[0].codes.shape[1] > 2

    def plane(self, index: int) -> LearnedPlane:
        """Frame `index`'s learned plane (and every earlier one's, the first time)."""
        with self._lock:
            while len(self._planes) <= index:
                previous = self._planes[-1] if self._planes else None
                codes = self.frames.frames[len(self._planes)].codes
                self._planes.append(self._fit(codes, previous))
            return self._planes[index]

    def all(self, progress: Callable[[int, int], None] | None = None) -> HistoryFrames:
        """The history with every frame on its learned plane (the frames as they are when the view is not needed)."""
        if not self.applies:
            return self.frames
        count = len(self.frames)
        laid_out = []
        for i, frame in enumerate(self.frames.frames):
            laid_out.append(replace(frame, plane=self.plane(i)))
            if progress is not None:
                progress(i + 1, count)
        return HistoryFrames(self.frames.display, tuple(laid_out))
