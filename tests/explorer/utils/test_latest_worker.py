"""The latest-only worker: the newest job wins, its thread is no daemon, the close joins it, and an idle thread ends."""

from __future__ import annotations

import threading

import pytest

from explorer.utils import latest_worker
from explorer.utils.latest_worker import LatestOnlyWorker


def worker_threads(name: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == name]


def test_only_the_newest_result_is_delivered(qtbot) -> None:
    worker = LatestOnlyWorker("newest")
    started, release = threading.Event(), threading.Event()

    def first(stale) -> str:
        started.set()
        release.wait(10)
        return "first"

    worker.submit(first)
    assert started.wait(10)
    worker.submit(lambda stale: "second")  # replaces the first while it runs
    with qtbot.waitSignal(worker.done, timeout=10_000) as done:
        release.set()
    assert done.args == ["second"]
    worker.shutdown()


def test_the_thread_is_no_daemon_and_shutdown_joins_it(qtbot) -> None:
    """A daemon would be killed at exit mid-decode; the owner's close hook calls shutdown instead."""
    worker = LatestOnlyWorker("joined")
    with qtbot.waitSignal(worker.done, timeout=10_000):
        worker.submit(lambda stale: 1)
    threads = worker_threads("joined")
    assert threads and not threads[0].daemon
    worker.shutdown()
    assert not threads[0].is_alive()


def test_an_idle_thread_ends_by_itself_and_a_new_job_starts_another(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker whose owner never calls shutdown cannot hold the process's exit for longer than the idle time."""
    monkeypatch.setattr(latest_worker, "IDLE_EXIT_S", 0.05)
    worker = LatestOnlyWorker("idle")
    with qtbot.waitSignal(worker.done, timeout=10_000):
        worker.submit(lambda stale: 1)
    qtbot.waitUntil(lambda: worker_threads("idle") == [], timeout=10_000)
    with qtbot.waitSignal(worker.done, timeout=10_000) as done:
        worker.submit(lambda stale: 2)
    assert done.args == [2]
    worker.shutdown()
