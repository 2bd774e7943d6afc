"""The time-lapse in the window: scrub and replay a run's recorded frames, and move the live points between snapshots.

Choosing a frame asks the session's ShownView (explorer.training.shown_view) to show that frame's SnapshotView, so
the points, the hover decoder, the reconstructions (and anything else driven by the view) all switch to it
together; a cursor on the loss curve marks its step. While training runs, the slider follows the live end unless
the user moved it; Live returns there. During playback the points glide between frames (positions interpolated at
the screen's pace, drawn by the run's RunView) on axes fixed over the whole recording.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Slot

from explorer.timelapse.scrubber import ScrubberPanel

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.timelapse.recording import HistoryFrames
    from explorer.latent.run_view import RunView
    from explorer.training.loss_panel import LossPanel
    from explorer.training.session import RunSession

TICK_MS = 15  # playback redraws: ~60 a second where the host keeps up


class TimelapsePlayer(QObject):
    """The scrubber's frames on one run: chosen through the session's ShownView, glided through its RunView."""

    def __init__(
        self, session: RunSession, run: RunView, loss: LossPanel, scrubber: ScrubberPanel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.run, self.latent, self.scrubber = session, run, run.latent, scrubber
        self.shown = session.shown
        self.frames: HistoryFrames | None = None
        self.index: int | None = None  # the recorded frame shown; None: following live
        self.position = 0.0  # playback position in frames (fractional between two)
        self._last_tick = 0.0
        self._glide: tuple[int, np.ndarray, np.ndarray] | None = None  # frame i, its xy, frame i+1's xy
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(30, 30, 30, 200, width=1.5))
        self.cursor.setVisible(False)
        self.cursor.setZValue(20)
        loss.plot.addItem(self.cursor, ignoreBounds=True)
        scrubber.frameChosen.connect(self.choose)
        scrubber.playToggled.connect(self.set_playing)
        scrubber.liveRequested.connect(self.go_live)
        self.session.historyChanged.connect(self._on_history)
        self.session.viewChanged.connect(self._on_view)
        self.session.runReady.connect(self._on_run_ready)

    @property
    def following_live(self) -> bool:
        return self.index is None

    # ----- from the session -----------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_ready(self, _info: object) -> None:
        self.frames, self.index, self._glide = None, None, None
        self.timer.stop()
        self.scrubber.set_playing(False)
        self.scrubber.set_range(0, 0)
        self.scrubber.set_live(True)
        self.scrubber.label.setText("No recording yet")

    @Slot(object)
    def _on_history(self, frames: HistoryFrames) -> None:
        shown = self.frames.frames[self.index].step if self.frames is not None and self.index is not None else None
        self.frames = frames
        if shown is not None:  # the recording was thinned meanwhile: stay on the same step
            self.index = frames.index_at_step(shown)
        self.scrubber.set_range(len(frames), len(frames) - 1 if self.following_live else self.index)
        self._say()

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        self.cursor.setPos(view.snapshot.step)
        self.cursor.setVisible(True)

    # ----- what the user asks -------------------------------------------------------------------------------
    @Slot(int)
    def choose(self, index: int) -> None:
        """Show recorded frame `index` everywhere (slider moved, or a step of playback)."""
        if self.frames is None or not 0 <= index < len(self.frames):
            return
        if self.timer.isActive() and not self._ticking:
            self.set_playing(False)  # the user took the slider: playback stops there
        entering = self.following_live
        self.index = index
        self.shown.show_frame(self.frames.view(index), self.frames, index)
        if entering:
            self._fix_axes()
        self.scrubber.set_live(False)
        self._say()

    @Slot()
    def go_live(self) -> None:
        self.set_playing(False)
        self.index, self._glide = None, None
        self.shown.follow_live()
        self.latent.reset_view()
        count = len(self.frames) if self.frames is not None else 0
        self.scrubber.set_range(count, max(0, count - 1))
        self.scrubber.set_live(True)
        self._say()

    @Slot(bool)
    def set_playing(self, on: bool) -> None:
        self.scrubber.set_playing(on)
        if not on:
            self.timer.stop()
            return
        if self.frames is None or len(self.frames) < 2:
            self.scrubber.set_playing(False)
            return
        start = 0 if self.index is None or self.index >= len(self.frames) - 1 else self.index
        self.position = float(start)
        self._ticking = True
        try:
            self.choose(start)
        finally:
            self._ticking = False
        self._last_tick = time.perf_counter()
        self.timer.start()

    _ticking = False

    @Slot()
    def _tick(self) -> None:
        frames = self.frames
        if frames is None:
            self.timer.stop()
            return
        now = time.perf_counter()
        self.position = min(self.position + (now - self._last_tick) * self.scrubber.frames_per_second, len(frames) - 1)
        self._last_tick = now
        whole = math.floor(self.position)
        self._ticking = True
        try:
            if whole != self.index:
                self.choose(whole)
                self.scrubber.set_range(len(frames), whole)
        finally:
            self._ticking = False
        self.glide_to(self.position)
        if self.position >= len(frames) - 1:
            self.set_playing(False)

    def glide_to(self, position: float) -> None:
        """Draw the points between frame floor(position) and the next, interpolated linearly."""
        frames = self.frames
        if self.shown.learned:  # the recorded planes are PCA planes: the learned frames are shown whole, one by one
            return
        whole = min(int(position), len(frames) - 1)
        if self._glide is None or self._glide[0] != whole:
            after = frames.frames[min(whole + 1, len(frames) - 1)]
            plane = frames.frames[whole].plane
            self._glide = (whole, frames.frames[whole].xy, plane.to_plane(after.codes))
        _, here, there = self._glide
        share = np.float32(position - whole)
        xy = here + (there - here) * share
        display = frames.display
        self.run.show_between(xy, display.labels, display.classes, frames.frames[whole].plane)

    def _fix_axes(self) -> None:
        """The same axes for every frame of the recording: the points move, the axes do not."""
        if self.frames is None:
            return
        x0, x1, y0, y1 = self.frames.bounds()
        if self.frames.display.model_config.latent_dim == 1:
            y0, y1 = -1.0, 1.0
        self.latent.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.04)

    def _say(self) -> None:
        frames = self.frames
        if frames is None or not len(frames):
            return
        index = len(frames) - 1 if self.index is None else self.index
        frame = frames.frames[index]
        where = "live" if self.index is None else f"step {frame.step:,}, epoch {frame.epoch:.2f}"
        self.scrubber.label.setText(f"Frame {index + 1} of {len(frames):,} kept · {where}")
