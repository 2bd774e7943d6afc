"""Background tasks: outcomes come back on the GUI thread, failures are never dropped, and close can join them."""

from __future__ import annotations

import threading

import pytest

from explorer.utils.tasks import BackgroundTasks


def test_a_result_comes_back_on_the_gui_thread(qtbot) -> None:
    tasks = BackgroundTasks()
    seen: list[tuple[int, bool]] = []
    with qtbot.waitSignal(tasks.ended, timeout=10_000) as ended:
        tasks.run(
            "add", lambda: 2 + 3, done=lambda r: seen.append((r, threading.current_thread() is threading.main_thread()))
        )
    assert ended.args == ["add", ""]
    assert seen == [(5, True)]
    assert tasks.running() == []


def test_a_failure_reaches_its_callback_and_the_ended_signal(qtbot) -> None:
    tasks = BackgroundTasks()
    errors: list[BaseException] = []

    def job() -> None:
        raise OSError("disk full")

    with qtbot.waitSignal(tasks.ended, timeout=10_000) as ended:
        tasks.run("write", job, failed=errors.append)
    assert ended.args == ["write", "disk full"]
    assert [str(e) for e in errors] == ["disk full"]


def test_a_failure_with_no_callback_is_logged_not_lost(qtbot, caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()
    with qtbot.waitSignal(tasks.ended, timeout=10_000):
        tasks.run("lost", lambda: 1 / 0)
    assert "Background task 'lost' failed" in caplog.text


def test_join_waits_for_a_task_and_names_those_still_running() -> None:
    tasks = BackgroundTasks()
    release = threading.Event()
    tasks.run("slow write", release.wait)
    assert tasks.running() == ["slow write"]
    assert tasks.join(timeout_s=0.05) == ["slow write"]  # still blocked: the close can say what it cuts
    release.set()
    assert tasks.join() == []
    assert tasks.running() == []


def test_tasks_are_not_daemon_threads() -> None:
    """A daemon task would be killed at exit with its file half written."""
    tasks = BackgroundTasks()
    release = threading.Event()
    tasks.run("export", release.wait)
    threads = [t for t in threading.enumerate() if t.name == "task: export"]
    release.set()
    tasks.join()
    assert threads and not threads[0].daemon
