"""The sweep gallery's figures: 16 runs read and shown, the gallery of 16 drawn, and one hover decoded by all 16.

A real sweep folder is written first: 16 VAEs (β × seed, latent 2, the built-in digits' 2,000 display images) saved
as checkpoints with their manifest (core.sweep.manifest), untrained: the cost of showing a run depends on its size,
not on its weights. The window opens it through its own File › Open sweep path (background reads, one at a time);
the hover is real mouse moves sent to one tile's plot viewport, timed until all 16 tiles show their decoded image.
Registered beside the other window figures by explorer.__main__; `python -m explorer.bench.sweep_gallery [--quick]`
prints them alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QApplication

from explorer.app import create_application
from explorer.bench.gui import _pump, figure, shown_bench_window
from explorer.bench.pointer import mouse_move_at

RUNS = 16
DRAW_GOAL_MS = 200.0
HOVER_GOAL_MS = 50.0
BETAS = (0.25, 1.0, 4.0, 16.0)
SEEDS = (1, 2, 3, 4)


def write_sweep(directory: Path) -> None:
    """16 untrained VAEs on the built-in digits as a sweep's folder: checkpoints and sweep.json."""
    from core.data.datasets import load_builtin_digits
    from core.files.checkpoint import Checkpoint, save_checkpoint
    from core.settings import ModelConfig, TrainConfig
    from core.sweep.manifest import SweepManifest, SweepRun, write_manifest
    from core.training.engine import Trainer

    data = load_builtin_digits()
    runs = []
    for beta in BETAS:
        for seed in SEEDS:
            run_id = f"beta={beta:g},seed={seed}"
            config = TrainConfig(device="cpu", num_threads=1, seed=seed, epochs=1)
            trainer = Trainer(data, config, ModelConfig(latent_dim=2, kind="variational", beta=beta))
            checkpoint = f"runs/{run_id}/model.safetensors"
            (directory / checkpoint).parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(directory / checkpoint, Checkpoint.from_trainer(trainer))
            settings = {"beta": beta, "seed": seed}
            runs.append(SweepRun(run_id, settings, "done", checkpoint, None, 1.0, None, None, 1.0))
    write_manifest(directory, SweepManifest({"beta": list(BETAS), "seed": list(SEEDS)}, {}, tuple(runs)))


def _wait(app: QApplication, done, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)
    if not done():
        raise RuntimeError("the sweep gallery did not get there in time")


def _draw_times(app: QApplication, gallery, repeats: int) -> tuple[list[float], list[float]]:
    """Milliseconds to show every run's view again (points, legend, one scale for all) and paint the gallery: wall
    time, and the GUI thread's CPU time (what a host busy with other work cannot stretch)."""
    runs = [run for run in gallery.runs.values() if run.view is not None]
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.thread_time()
        for run in runs:
            run.show_view(run.view)
        gallery.fit_panels()
        gallery.window.repaint()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        _pump(app, 0.02)
    return times, cpu


def _hover_times(app: QApplication, gallery, moves: int) -> tuple[list[float], list[float]]:
    """Milliseconds from a real mouse move over one tile to every tile showing its decoded image: wall time, and
    the GUI thread's CPU time."""
    runs = [run for run in gallery.runs.values() if run.view is not None]
    panel = runs[5].tile.latent
    (x0, x1), (y0, y1) = panel.view_box.viewRange()
    decodes = [0]
    count = lambda *_: decodes.__setitem__(0, decodes[0] + 1)  # noqa: E731
    for run in runs:
        run.hover.decoded.connect(count)
    rng = np.random.default_rng(0)
    times, cpu = [], []
    for _ in range(moves):
        x, y = x0 + (x1 - x0) * rng.uniform(0.1, 0.9), y0 + (y1 - y0) * rng.uniform(0.1, 0.9)
        event = mouse_move_at(panel, x, y)
        before = decodes[0]
        start, start_cpu = time.perf_counter(), time.thread_time()
        QApplication.sendEvent(panel.plot.viewport(), event)
        while decodes[0] < before + len(runs):
            app.processEvents()
        for run in runs:
            run.tile.decoded.repaint()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        _pump(app, 0.005)
    for run in runs:
        run.hover.decoded.disconnect(count)
    return times, cpu


def _p95_figure(name: str, measured: tuple[list[float], list[float]], goal_ms: float, detail: str) -> dict:
    times, cpu = measured
    p95 = float(np.percentile(times, 95))
    detail = (
        f"median {np.median(times):.1f} ms; the GUI thread's CPU time p95 {np.percentile(cpu, 95):.1f} ms, "
        f"median {np.median(cpu):.1f} ms; {detail}"
    )
    return figure(name, p95, "ms", f"≤ {goal_ms:g}", p95 <= goal_ms, len(times), detail)


def measure_sweep_gallery(quick: bool = False) -> list[dict]:
    app = create_application([])
    figures: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_sweep(folder / "sweep")
        window = shown_bench_window(folder)
        _pump(app, 0.3)
        from core.runs.backend import decode_on_this_thread_only

        decode_on_this_thread_only()  # the window's thread decodes single images with one thread, as the app does
        gallery = window.sweep
        start = time.perf_counter()
        gallery.open(folder / "sweep")
        gallery.window.resize(1280, 800)
        _wait(app, lambda: gallery.manifest is not None and not gallery.busy, 600)
        loaded = time.perf_counter() - start
        shown = sum(run.view is not None for run in gallery.runs.values())
        if shown != RUNS:
            raise RuntimeError(f"the gallery shows {shown} of {RUNS} runs")
        note = "File › Open sweep to the last tile: checkpoints read one after another off the GUI thread"
        figures.append(figure(f"{RUNS} sweep runs read and shown", loaded, "s", None, None, 1, note))
        _pump(app, 0.5)
        _draw_times(app, gallery, 3)  # warm-up: first paints, pixmap caches
        draws = _draw_times(app, gallery, 10 if quick else 30)
        name = f"gallery of {RUNS} runs drawn, p95"
        figures.append(_p95_figure(name, draws, DRAW_GOAL_MS, "2,000 points a run, 1280×800"))
        _hover_times(app, gallery, 10)  # warm-up: each run's fast decoder is built at its first decode
        hovers = _hover_times(app, gallery, 60 if quick else 150)
        name = f"one hover decoded by all {RUNS} runs, p95"
        figures.append(_p95_figure(name, hovers, HOVER_GOAL_MS, "real mouse moves over one tile"))
        window.close()
        window.deleteLater()
        _pump(app, 0.1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    for result in measure_sweep_gallery(quick=parser.parse_args().quick):
        goal = f"  (goal {result['goal']})" if result["goal"] else ""
        print(f"{result['name']}: {result['value']:.3g} {result['unit']}{goal}  n={result['n']}  {result['detail']}")


if __name__ == "__main__":
    main()
