"""How often the window shows a training run: as often as the host can spare the redraws.

Why: the window draws a run on its own thread (progress bar and label, the loss curve, the live points). Where CPU
training takes every core, that thread's time comes out of training, and more than its share: with a half-batch
team on each core (core.training.step_runners), a slice of the window's thread preempts one team and the other waits
for it at the
gradient sum. Where a core is spare (more cores than training threads), or training runs on a GPU, the window
shows everything at the full rates.

Measured on the 2-core CI host (2026-11-27), the window offscreen at 1280×860 and the built-in digits training
on both cores. The window's own thread, in % of a core over three 4 s spans each (time.thread_time):

- progress 30 a second, curve and live points with it: 9.3 (an earlier measurement, 6 samples);
- progress 10 a second, the curve redrawn 10 times a second, live points every 0.5 s: 7.1-8.7, of which the
  curve ~4, the live points ~2, the bar and label ~0.5, the snapshots' views and Qt's own work the rest;
- the curve 4 times a second: 5.1-5.9; and live points every second: 4.4-4.8; and the latent view kept still
  while live points stay inside it (explorer.latent.point_cloud): 4.0-4.1.

What that costs training (a one-off script, see git history: window ÷ engine, each window phase against the mean
of the engine phases on either side, 12 rounds a run; progress 10 a second, the curve 4, live points every second
at 4 % of the time, and the bench's 100 Hz timer-gap meter on in the window phases, as it then was):

- as the window was: 0.90 / 0.91 / 0.95;
- without live points: 0.98 / 0.97;
- without live points or the window's redraws: 0.98 / 0.96; and without the meter as well: 1.00 / 1.01.

Live points cost their budget and more (the slices run between steps, on the worker's thread pool), and each
redraw preempts a training team. So where no core is spare the window redraws the curve twice a second and shows
progress five times a second, and the live slices are sized to 1.5 % of the time (the bench meters timer gaps in a
phase of its own now).

The bench's "window's own thread while training" figure measures the thread in every run.

Where the display images are training images (the built-in digits, image folders) on the CPU, the live points come
from the training batches' own forward passes (core.training.batch_codes) every `live_points_s`, at no encoding
cost; `live_points_budget` then only bounds the re-encoded slices that fill in while the batches bring no display
image (the last 60 % of the first epoch: its first 40 % holds them all). One clock spaces every move of the points,
snapshots included (core.training.live_moves), so the largest gap is about `live_points_s` plus a step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowPacing:
    """How often the window shows a run."""

    progress_hz: float  # progress updates (bar, label, the losses handed to the curve) a second
    curve_hz: float  # the loss curve's redraws a second, at most
    live_points_s: float  # time from one move of the points to the next live one (core.training.live_moves)
    live_points_budget: float  # the share of training time re-encoded slices are sized to cost


#: Where a core is spare or training runs on a GPU.
FULL = WindowPacing(progress_hz=30.0, curve_hz=10.0, live_points_s=0.5, live_points_budget=0.04)
#: Where CPU training takes every core. The points still move more often than once a second (the bench's "largest
#: gap between moves" figure), in smaller slices.
SPARING = WindowPacing(progress_hz=5.0, curve_hz=2.0, live_points_s=0.75, live_points_budget=0.015)


def window_pacing(device_type: str, training_threads: int, cpus: int | None = None) -> WindowPacing:
    """SPARING where CPU training runs on as many threads as the machine has cores, else FULL."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return SPARING if device_type == "cpu" and training_threads >= cpus else FULL
