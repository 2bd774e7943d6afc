"""The loss panel: per-batch loss, its running average (window 100) and epoch boundaries, redrawn ≤ 10 times a second
(fewer where training leaves the window no core: core.training.pacing).

It draws the session's loss history (core.training.loss_history.LossHistory) and keeps no copy of its own.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.training.loss_history import RUNNING_WINDOW, running_average

REDRAW_INTERVAL_MS = 100  # the curve is redrawn at most 10 times a second unless a run's pacing asks for fewer
PARTS_TIP = (
    "A variational autoencoder's loss is reconstruction + β × KL: draw the two terms as well (running averages; "
    "a checkpoint keeps them)"
)
PARTS_UNKNOWN = "This file was saved before checkpoints kept the two terms: only the total loss is known"
#: The empty panel says what it will show.
EMPTY_SUMMARY = "No training yet: each batch's loss is drawn here."


def _key_text(variational: bool) -> str:
    key = (
        '<span style="color:#82aad7">━</span> minibatch loss &nbsp; '
        f'<span style="color:#d62728">━</span> running average ({RUNNING_WINDOW})'
    )
    if variational:
        key += ' &nbsp; <span style="color:#2ca02c">━</span> reconstruction'
        key += ' &nbsp; <span style="color:#9467bd">━</span> KL'
    return key


def robust_y_range(losses: np.ndarray) -> tuple[float, float]:
    """A y range that ignores the first-batch spike: up to the 99th percentile of the later losses."""
    skip = min(len(losses) // 10, 50)
    tail = losses[skip:] if len(losses) > skip + 5 else losses
    top = float(np.percentile(tail, 99)) * 1.15
    return 0.0, max(top, 1e-6)


class LossPanel(QWidget):
    """Draws a run's loss history, handed over whole at most ~30 times a second (a read-only view, not a copy)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.12)
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "iteration")
        item.setLabel("left", "MSE loss")
        for axis in ("bottom", "left", "top"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        item.showAxis("top")
        item.getAxis("top").setLabel("epoch")
        self.batch_curve = item.plot(pen=pg.mkPen(130, 170, 215, 150, width=1), name="minibatch loss")
        self.average_curve = item.plot(pen=pg.mkPen(214, 39, 40, width=2.5), name=f"running average ({RUNNING_WINDOW})")
        # a VAE's two terms, each as a running average: reconstruction (green) and KL (purple), unweighted by β
        self.recon_curve = item.plot(pen=pg.mkPen(44, 160, 44, width=2))
        self.kl_curve = item.plot(pen=pg.mkPen(148, 103, 189, width=2))
        self.plot.setMinimumHeight(150)
        for curve in (self.batch_curve, self.average_curve, self.recon_curve, self.kl_curve):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        item.setXRange(0, 1)
        # Axes (the left one draws the grid across the whole plot) as cached pixmaps: every redraw of the curve
        # repainted them from their recorded drawing, text and all, 2.4 ms of the ~4.8 ms a redraw took on the
        # 2-core CI host, on the window's thread while training takes both cores. New ticks redraw the cache.
        for axis in ("bottom", "left", "top"):
            item.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.log_box = QCheckBox("log scale")
        self.log_box.setToolTip("Show the loss on a logarithmic axis: late, small improvements become visible")
        # the key under the plot, not on it: at laptop sizes a legend inside covered the curve
        self.key = QLabel(_key_text(False))
        self.key.setObjectName("panelCaption")
        self.log_box.toggled.connect(self._on_log_toggled)
        self.parts_box = QCheckBox("reconstruction and KL")
        self.parts_box.setToolTip(PARTS_TIP)
        self.parts_box.setChecked(True)
        self.parts_box.setVisible(False)
        self.parts_box.toggled.connect(self._redraw)
        self._parts: np.ndarray | None = None  # N×2 (reconstruction, KL) for the last N steps; None: an autoencoder
        self.summary = QLabel("")
        self.summary.setObjectName("panelCaption")
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        bar.addWidget(self.key, 1)
        bar.addWidget(self.parts_box, 0, Qt.AlignmentFlag.AlignRight)
        bar.addWidget(self.log_box, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        self._losses = np.zeros(0, np.float64)
        self._epoch_marks: list[pg.InfiniteLine] = []
        self._batches_per_epoch = 1
        self._run_length = 1  # steps the x axis spans: fixed for a run, so the axes are not redrawn every update
        self._y_top = 0.0
        self.redraw_gap_ms = REDRAW_INTERVAL_MS  # least time between two redraws while a run trains
        self._drawn_at = 0.0  # time.perf_counter() of the last redraw
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.timeout.connect(self._redraw)

    @property
    def losses(self) -> np.ndarray:
        return self._losses

    def clear(self, batches_per_epoch: int = 1) -> None:
        self._losses = np.zeros(0, np.float64)
        self._y_top = 0.0
        for mark in self._epoch_marks:
            self.plot.removeItem(mark)
        self._epoch_marks = []
        self.set_batches_per_epoch(batches_per_epoch)
        self._redraw()

    def set_batches_per_epoch(self, count: int) -> None:
        self._batches_per_epoch = max(1, count)
        self.plot.getPlotItem().getAxis("top").setScale(1.0 / self._batches_per_epoch)

    def start_run(
        self, losses: np.ndarray, batches_per_epoch: int, epochs_done: int, run_length: int, redraws_hz: float
    ) -> None:
        """Lay out a run: its history so far, epoch marks for the epochs done, an x axis spanning the whole run,
        and redraws at most `redraws_hz` times a second while it trains (its pacing, core.training.pacing)."""
        self.redraw_gap_ms = max(REDRAW_INTERVAL_MS, round(1000 / redraws_hz))
        self.clear(batches_per_epoch)
        self._losses = losses
        self._run_length = max(1, run_length, len(losses))
        for epoch in range(1, epochs_done + 1):
            self.mark_epoch(epoch)
        self._redraw()

    def show_losses(self, losses: np.ndarray) -> None:
        """The history has grown: draw it in this turn of the event loop, or once redraw_gap_ms has passed."""
        self._losses = losses
        self._schedule_redraw()

    def _schedule_redraw(self) -> None:
        if not self._redraw_timer.isActive():
            since_ms = 1000 * (time.perf_counter() - self._drawn_at)
            self._redraw_timer.start(max(0, round(self.redraw_gap_ms - since_ms)))

    def flush(self) -> None:
        """Draw what has arrived now (end of a run, tests) instead of at the next tick."""
        self._redraw_timer.stop()
        self._redraw()

    @property
    def batches_per_epoch(self) -> int:
        return self._batches_per_epoch

    def mark_epoch(self, epoch: int) -> None:
        """A dotted line where epoch `epoch` (1-based) ends."""
        step = epoch * self._batches_per_epoch
        mark = pg.InfiniteLine(
            pos=step, angle=90, movable=False, pen=pg.mkPen(150, 150, 150, 160, style=Qt.PenStyle.DotLine)
        )
        self.plot.addItem(mark, ignoreBounds=True)
        self._epoch_marks.append(mark)

    def show_parts(self, parts: np.ndarray | None) -> None:
        """A VAE's (reconstruction, KL) rows for the last len(parts) steps, or None (an autoencoder: no toggle)."""
        variational = parts is not None
        if variational != self.parts_box.isVisible():
            self.parts_box.setVisible(variational)
            self.plot.getPlotItem().setLabel("left", "loss per image" if variational else "MSE loss")
            self.key.setText(_key_text(variational))
        self._parts = parts
        unknown = variational and len(parts) > 0 and not np.isfinite(parts).any()
        self.parts_box.setEnabled(not unknown)  # a file saved before the terms were kept: say so, draw nothing
        self.parts_box.setToolTip(PARTS_UNKNOWN if unknown else PARTS_TIP)
        self._schedule_redraw()

    def _draw_parts(self) -> None:
        parts = self._parts if self.parts_box.isVisible() and self.parts_box.isChecked() else None
        if parts is None or not len(parts):
            self.recon_curve.setData([], [])
            self.kl_curve.setData([], [])
            return
        steps = np.arange(len(self._losses) - len(parts) + 1, len(self._losses) + 1)[-len(parts) :]
        parts = parts[-len(steps) :]
        # steps whose terms a file did not keep (NaN) come first: the curves begin at the first step known
        known = np.flatnonzero(np.isfinite(parts).all(axis=1))
        start = int(known[0]) if len(known) else len(parts)
        self.recon_curve.setData(steps[start:], running_average(parts[start:, 0]))
        self.kl_curve.setData(steps[start:], running_average(parts[start:, 1]))

    def _redraw(self) -> None:
        self._drawn_at = time.perf_counter()
        steps = np.arange(1, len(self._losses) + 1)
        average = running_average(self._losses)
        self.batch_curve.setData(steps, self._losses)
        self.average_curve.setData(steps, average)
        self._draw_parts()
        if len(self._losses):
            self.summary.setText(
                f"step {len(self._losses):,} · last loss {self._losses[-1]:.4f} · running average {average[-1]:.4f}"
            )
            item = self.plot.getPlotItem()
            span = max(len(self._losses), self._run_length, self._batches_per_epoch)
            if item.getViewBox().viewRange()[0][1] < span * 0.999 or item.getViewBox().viewRange()[0][1] > span * 1.1:
                item.setXRange(0, span, padding=0.02)
            if not self.log_box.isChecked():
                low, top = robust_y_range(self._losses)
                if not 0.8 * self._y_top <= top <= self._y_top:  # move the y axis only when the curve needs it
                    self._y_top = top * 1.05
                    item.setYRange(low, self._y_top, padding=0.0)
        else:
            self.summary.setText(EMPTY_SUMMARY)

    @Slot(bool)
    def _on_log_toggled(self, on: bool) -> None:
        item = self.plot.getPlotItem()
        item.setLogMode(y=on)
        if on:
            item.enableAutoRange(axis="y")
        self._redraw()
