"""The time-lapse's window figures: slider move → frame drawn (p95) at 2,000 and 60,000 points, and playback.

The frames are made here: a real decoder's float16 weights (one model, untrained), and codes that drift from
frame to frame as clusters do while a space organises. Scrubbing and playback go through the real player and
window (explorer.timelapse.player), exactly as a user's slider moves and the Play button do.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtWidgets import QApplication

from core.latent.plane import fit_aligned_plane
from core.settings import ModelConfig
from core.timelapse.recording import STORED_DTYPE, DisplayRecord, Frame, HistoryFrames


def synthetic_frames(count: int, frames: int = 24, seed: int = 0) -> HistoryFrames:
    from core.model.autoencoder import ConvAutoEncoder

    rng = np.random.default_rng(seed)
    config = ModelConfig(latent_dim=2)
    state = {k: v.to(dtype=STORED_DTYPE) for k, v in ConvAutoEncoder(config).decoder.state_dict().items()}
    labels = rng.integers(0, 10, count)
    display = DisplayRecord(
        labels=labels,
        display_images=np.zeros((count, 1, 28, 28), np.uint8),
        originals=np.zeros((15, 1, 28, 28), np.float32),
        classes=tuple(str(i) for i in range(10)),
        model_config=config,
    )
    start, end = rng.normal(0, 0.3, (10, 2)), rng.normal(0, 4, (10, 2))
    noise = rng.normal(0, 1, (count, 2))
    made, plane = [], None
    for i in range(frames):
        share = i / max(1, frames - 1)
        codes = ((1 - share) * start + share * end)[labels] + (0.2 + 0.8 * share) * noise
        codes = codes.astype(np.float32)
        plane = fit_aligned_plane(codes, plane)
        recon = np.zeros((15, 1, 28, 28), np.float16)
        made.append(Frame(i * 50, i * 0.5, 0.05, codes, recon, state, plane))
    return HistoryFrames(display, tuple(made))


def _scrub_times(app: QApplication, window, frames: HistoryFrames, moves: int) -> list[float]:
    player = window.timelapse
    player._on_history(frames)
    slider = player.scrubber.slider
    rng = np.random.default_rng(2)
    times = []
    for _ in range(moves):
        target = int(rng.integers(0, len(frames)))
        if target == slider.value():
            target = (target + 1) % len(frames)
        start = time.perf_counter()
        slider.setValue(target)  # as a drag or a key press does: valueChanged → the player → the session's view
        app.processEvents()
        window.latent.plot.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
    player.go_live()
    return times


def _playback(app: QApplication, window, frames: HistoryFrames, meter) -> tuple[float, float]:
    """Frames drawn a second during playback at 4×, and the largest 10 ms-timer gap meanwhile (`meter`: a
    TimerGapMeter of explorer.bench.gui, handed in so that this module need not import that one)."""
    player = window.timelapse
    player._on_history(frames)
    player.scrubber.speed.setCurrentIndex(player.scrubber.speed.count() - 1)
    meter.gaps = []
    meter.start()
    drawn = [0]  # playback ticks: each draws the points between two frames

    def tick() -> None:
        drawn[0] += 1

    player.timer.timeout.connect(tick)
    start = time.perf_counter()
    player.set_playing(True)
    while player.timer.isActive() and time.perf_counter() - start < 60:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    gap = meter.stop()
    player.timer.timeout.disconnect(tick)
    player.go_live()
    return drawn[0] / elapsed, gap


def figure(name: str, value: float, unit: str, goal: str, met: bool, n: int, detail: str = "") -> dict:
    return {"name": name, "value": value, "unit": unit, "goal": goal, "met": bool(met), "n": n, "detail": detail}


def timelapse_figures(app: QApplication, window, quick: bool, meter) -> list[dict]:
    """The figures above, measured on `window` (a shown MainWindow); `meter` measures timer gaps."""
    figures = []
    moves = 30 if quick else 80
    for count, goal in ((2_000, 16.0), (60_000, 50.0)):
        times = _scrub_times(app, window, synthetic_frames(count), moves)
        p95 = float(np.percentile(times, 95))
        figures.append(
            figure(
                f"time-lapse: slider move → frame drawn, {count:,} points, p95",
                p95,
                "ms",
                f"≤ {goal:g}",
                p95 <= goal,
                len(times),
                f"median {np.median(times):.1f} ms (points, hover decoder, grids and caption switch to the frame)",
            )
        )
    fps, gap = _playback(app, window, synthetic_frames(2_000), meter)
    figures.append(
        figure("time-lapse: playback, 2,000 gliding points", fps, "fps", "≥ 30", fps >= 30, 1, "at 4× speed")
    )
    figures.append(figure("time-lapse: largest 10 ms-timer gap in playback", gap, "ms", "≤ 50", gap <= 50, 1))
    return figures
