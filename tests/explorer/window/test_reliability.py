"""Nothing lost, nothing crashes: the window under failures, load and impatient users."""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from gui_testkit import (
    DecodeCounter,
    gap_bound,
    idle_timer_gap,
    move_mouse_to,
    save_and_wait,
    shown_warning,
    visible_message_boxes,
    wait_for_losses,
    wait_for_snapshot,
)
from PySide6.QtWidgets import QApplication

from core.data.datasets import load_dataset
from core.events import BatchEnd
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.training.engine import TrainConfig, Trainer
from explorer.app import setup_logging
from explorer.bench.gui import TimerGapMeter
from explorer.bench.pointer import mouse_move_at
from explorer.utils.error_dialog import log_file

REPO = Path(__file__).resolve().parents[3]


def choose(window, dataset: str = "mnist", epochs: int = 50, lr: float | None = None) -> None:
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData(dataset))
    window.controls.epochs.setValue(epochs)
    if lr is not None:
        window.controls.lr.setValue(lr)


def test_saving_while_training_keeps_the_window_responsive(qtbot, window, tiny_mnist, tmp_path):
    idle = idle_timer_gap(qtbot)
    choose(window)
    window.start_training()
    wait_for_losses(qtbot, window, 2)
    meter = TimerGapMeter()
    meter.start()
    path = tmp_path / "during.safetensors"
    save_and_wait(qtbot, window, path)
    qtbot.wait(200)
    worst = meter.stop()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    print(f"\nlargest timer gap while saving during training: {worst:.1f} ms (idle window: {idle:.1f} ms)")
    assert load_checkpoint(path).progress.step >= 2
    assert worst < gap_bound(100, idle)


def test_divergence_stops_training_and_tells_the_user_what_to_try(qtbot, window, tiny_mnist, tmp_path):
    """Adam at lr=10 only collapses this sigmoid-capped model; a real overflow needs huge weights. A checkpoint
    whose decoder holds ±3e38 (finite, so it loads; its codes are finite, so it opens: huge encoder weights are
    refused at once, test_hostile_input) overflows to inf − inf = NaN in the first reconstruction."""
    trainer = Trainer(load_dataset("mnist", download=False), TrainConfig(epochs=1, lr=10.0, display_size=64))
    with torch.no_grad():
        for tensor in trainer.model.decoder.parameters():
            if tensor.ndim > 1:
                signs = torch.arange(tensor.numel()).remainder(2).mul(2).sub(1).reshape(tensor.shape)
                tensor.copy_(signs * 3e38)
    path = tmp_path / "explosive.safetensors"
    save_checkpoint(path, Checkpoint.from_trainer(trainer))
    assert window.open_checkpoint(path)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    window.controls.epochs.setValue(2)
    window.continue_training()
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    title, text = shown_warning(window)
    assert title == "Training diverged"
    assert "not a finite number" in text and "smaller learning rate than 10" in text
    kept = window.session.model.checkpoint.model_state.values()
    assert all(bool(t.isfinite().all()) for t in kept), "the last good weights stay"
    assert not list((tmp_path / "autosave").glob("*.safetensors"))  # nothing was trained, so nothing autosaved
    save_and_wait(qtbot, window, tmp_path / "kept.safetensors")  # and what is kept saves and loads
    assert load_checkpoint(tmp_path / "kept.safetensors").progress.step == 0
    for box in visible_message_boxes():
        box.close()


def test_an_unexpected_worker_error_reaches_the_user_and_the_log(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    setup_logging()
    try:

        def broken_run(*_args, **_kwargs):
            raise RuntimeError("the disk caught fire")

        with monkeypatch.context() as patched:
            patched.setattr("core.runs.start.new_run", broken_run)  # what Train's run factory calls
            choose(window, dataset="digits-5k", epochs=1)
            window.start_training()
            qtbot.waitUntil(lambda: not window.running, timeout=30_000)
        boxes = visible_message_boxes()
        assert any("the disk caught fire" in box.text() for box in boxes)
        assert any("Traceback" in box.detailedText() for box in boxes)
        for handler in logging.getLogger().handlers:
            handler.flush()
        logged = log_file().read_text()
        assert "RuntimeError: the disk caught fire" in logged and "Traceback" in logged
        for box in boxes:
            box.close()
        # the window is still usable: a real run starts and makes progress afterwards
        monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "none"))
        choose(window, dataset="digits-5k", epochs=1)
        window.start_training()
        wait_for_losses(qtbot, window, 1)
        window.stop_training()
        qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "baseFilename", "").startswith(str(tmp_path)):
                root.removeHandler(handler)
                handler.close()


def test_start_and_stop_twenty_times_quickly(qtbot, window, tiny_mnist):
    choose(window)
    for _ in range(20):
        window.start_training()
        window.stop_training()
        qtbot.waitUntil(lambda: not window.running, timeout=30_000)
        assert window.session.runner.thread is None
    window.start_training()
    wait_for_losses(qtbot, window, 1)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)


def test_a_long_pause_loses_nothing(qtbot, window, tiny_mnist):
    """Pause (here 5 s, standing in for minutes: the engine just waits on a flag), resume, finish: the loss
    sequence is exactly the one an uninterrupted run of the same seed produces."""
    choose(window, epochs=2)
    window.start_training()
    wait_for_losses(qtbot, window, 3)
    window.toggle_pause()
    qtbot.waitUntil(lambda: window.session.runner.control.waiting, timeout=30_000)
    qtbot.wait(5_000)
    window.toggle_pause()
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    shown = window.loss.losses
    run = window.session.info

    reference = Trainer(load_dataset("mnist", download=False), run.config, run.model_config)
    expected = [e.loss for e in reference.run(snapshots=False) if isinstance(e, BatchEnd)]
    assert np.array_equal(shown, np.array(expected))


def test_a_thousand_mouse_moves_a_second_while_training_stay_bounded(qtbot, window, tiny_mnist):
    idle = idle_timer_gap(qtbot)
    choose(window)
    window.start_training()
    wait_for_snapshot(qtbot, window)
    plot = window.latent.plot
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    rng = np.random.default_rng(0)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    meter = TimerGapMeter()
    meter.start()
    posted = 0
    counter = DecodeCounter(window)
    delivered = [0]  # the moves the coalescer let through to pyqtgraph (its scene reports each one)
    plot.scene().sigMouseMoved.connect(lambda _: delivered.__setitem__(0, delivered[0] + 1))
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < 10.0:
        # keep up 1,000 queued moves a second through the real event queue, however slow the loop turns
        (x0, x1), (y0, y1) = window.latent.view_box.viewRange()  # the view follows the points as they spread
        while posted < int(1000 * elapsed):
            x, y = x0 + (x1 - x0) * rng.uniform(0.1, 0.9), y0 + (y1 - y0) * rng.uniform(0.1, 0.9)
            event = mouse_move_at(window.latent, x, y)
            QApplication.postEvent(plot.viewport(), event)
            posted += 1
        qtbot.wait(5)
    qtbot.wait(100)
    worst = meter.stop()
    decodes = counter.count
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    window.stop_training()
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    print(
        f"\n{posted} moves posted in 10 s, {decodes} decodes, largest timer gap {worst:.1f} ms, "
        f"peak memory +{rss_growth_mb:.1f} MB"
    )
    assert posted >= 9_900  # the load really was applied
    assert 0 < decodes <= posted  # at most one decode per move; coalesced bursts decode once
    assert 0 < delivered[0] < posted / 2  # bursts were merged, not queued
    assert rss_growth_mb < 100
    assert worst < gap_bound(150, idle), f"idle window: {idle:.1f} ms"
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()  # the view followed the points meanwhile
    before = counter.count
    move_mouse_to(window, (x0 + x1) / 2, (y0 + y1) / 2)  # and hover still answers
    qtbot.waitUntil(lambda: counter.count > before, timeout=5_000)


@pytest.mark.slow
@pytest.mark.timeout(1200)  # twenty app lifetimes: the suite's 300 s per test ran out with both cores busy elsewhere
def test_closing_mid_epoch_twenty_times_exits_cleanly(tiny_mnist, tmp_path):
    """Close at once, then after 1, 3, 5 … 37 steps (8 steps an epoch here: every close but the first is mid-epoch).
    Each attempt waits for its steps, not for a time, so a busy host changes nothing."""
    asked = [0] + [1 + 2 * attempt for attempt in range(19)]
    for steps in asked:
        (tmp_path / str(steps)).mkdir()
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("close_mid_epoch.py")), str(tmp_path), *map(str, asked)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
        # this tree's code: run as a script, the child would otherwise import the installed (editable) package
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)},
        check=False,
    )
    outcomes = [line.split() for line in result.stdout.splitlines()]
    print("\nclose after (steps), exit code, steps trained:", outcomes)
    assert result.returncode == 0, result.stderr
    assert len(outcomes) == 20
    assert all(code == "0" for _, code, _ in outcomes), outcomes
    assert "QThread: Destroyed" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    for wanted, _, trained in outcomes[1:]:
        assert int(trained) >= int(wanted), outcomes
        saves = list((tmp_path / wanted / "autosave").glob("run-*.safetensors"))
        assert len(saves) == 1 and load_checkpoint(saves[0]).progress.step == int(trained)


def test_a_learning_rate_of_ten_collapses_and_the_user_gets_a_hint(qtbot, window, tiny_mnist):
    """lr=10 does not produce a non-finite loss here (the sigmoid caps the MSE); it collapses the output to one
    image. The window says so at the next snapshot instead of letting the user wait for nothing."""
    choose(window, epochs=2, lr=10.0)
    window.start_training()
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    assert window.notice.isVisible()
    assert "collapsed" in window.notice.text() and "learning rate (10) is probably too high" in window.notice.text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux feature")
def test_training_threads_yield_cores_to_the_window() -> None:
    """The worker's thread (and the half-batch helper it starts) runs nicer than the window's thread, once."""
    import threading

    from explorer.training.worker import TRAINING_NICENESS, yield_cores_to_the_window

    seen: dict[str, int] = {}

    def work() -> None:
        yield_cores_to_the_window()
        yield_cores_to_the_window()  # a reused thread must not drift to ever lower priority
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        child = threading.Thread(target=lambda: seen.setdefault("child", os.getpriority(os.PRIO_PROCESS, 0)))
        child.start()
        child.join()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    window_nice = os.getpriority(os.PRIO_PROCESS, os.getpid())
    assert seen["worker"] == min(19, window_nice + TRAINING_NICENESS)
    assert seen["child"] == seen["worker"]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == window_nice  # this thread untouched
