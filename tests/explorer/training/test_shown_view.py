"""Which view is shown: the newest live one, unless the user chose a recorded frame; one signal says each change."""

from __future__ import annotations

import os
import signal

import pytest

from explorer.training.shown_view import ShownView


def test_live_views_are_shown_until_a_frame_is_chosen_and_wait_until_live_again(qtbot) -> None:
    shown = ShownView()
    seen: list[object] = []
    shown.changed.connect(seen.append)
    first, second, frame, third = object(), object(), object(), object()
    shown.offer_live(first)
    assert shown.view is first and shown.following_live and seen == [first]
    shown.show_frame(frame)
    assert shown.view is frame and not shown.following_live
    shown.offer_live(second)  # a snapshot while the user looks at a frame: kept, not shown
    assert shown.view is frame and shown.live is second and seen == [first, frame]
    shown.follow_live()
    assert shown.view is second and shown.following_live and seen == [first, frame, second]
    shown.offer_live(third)
    assert seen[-1] is third
    shown.reset()  # another run: nothing shown, nothing said
    assert shown.view is None and shown.live is None and shown.following_live and seen[-1] is third
    shown.follow_live()  # nothing live yet: nothing to show
    assert shown.view is None and len(seen) == 4


@pytest.fixture(scope="module")
def live_views(digits_subset):
    """Real views of successive snapshots of a latent-8 run (64 display codes each)."""
    from core_testkit import recorded_run

    from core.latent.view import view_of

    _, _, snapshots = recorded_run(digits_subset(300), latent=8, epochs=1, batch_size=100)
    return [view_of(snapshot) for snapshot in snapshots[-4:]]


def learned(view) -> bool:
    return view is not None and bool(getattr(view.plane, "is_learned", False))


@pytest.mark.timeout(1200)  # numba compiles UMAP on a process's first layout: minutes on a busy host
def test_the_learned_view_is_laid_out_in_the_background_and_the_newest_snapshot_waits_its_turn(
    qtbot, live_views
) -> None:
    pytest.importorskip("umap")
    shown = ShownView()
    seen: list[object] = []
    busy: list[bool] = []
    shown.changed.connect(seen.append)
    shown.layingOut.connect(busy.append)
    first, second, third, fourth = live_views
    shown.offer_live(first)  # PCA: at once
    assert seen == [first]
    shown.set_projection("umap")  # the view on screen stays until its layout is ready
    assert shown.view is first and shown.laying_out and busy == [True]
    shown.offer_live(second)  # while the first layout runs: they wait, and only the newest is laid out next
    shown.offer_live(third)
    assert shown.view is first and seen == [first]
    qtbot.waitUntil(lambda: learned(shown.view), timeout=900_000)
    assert shown.view.snapshot is first.snapshot  # an older snapshot's layout, still newer than what was shown
    assert shown.laying_out  # and the newest snapshot's layout has started
    qtbot.waitUntil(lambda: learned(shown.view) and shown.view.snapshot is third.snapshot, timeout=900_000)
    assert not shown.laying_out and busy[-1] is False
    assert all(learned(view) for view in seen[1:]) and second.snapshot not in [view.snapshot for view in seen]

    # back to PCA while a layout runs: the plane at once, and the layout is never shown
    shown.offer_live(fourth)
    assert shown.laying_out
    shown.set_projection("pca")
    assert shown.view is fourth and not shown.laying_out and busy[-1] is False
    count = len(seen)
    shown.shutdown()  # joins the layout thread: a result after this would have been delivered by now
    qtbot.wait(0)
    assert len(seen) == count and shown.view is fourth


def process_ended(pid: int) -> bool:
    """No process with this id any more (ended and reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.timeout(1200)  # numba compiles UMAP on a process's first layout: minutes on a busy host
def test_a_layout_process_killed_mid_layout_fails_clearly_and_the_next_layout_starts_a_new_one(
    qtbot, live_views
) -> None:
    pytest.importorskip("umap")
    shown = ShownView()
    failures: list[str] = []
    shown.failed.connect(failures.append)
    first, second, _, _ = live_views
    shown.offer_live(first)
    assert shown.layouts.pid is None  # nothing started before the learned view is needed
    shown.set_projection("umap")
    qtbot.waitUntil(lambda: shown.layouts.pid is not None, timeout=60_000)
    killed = shown.layouts.pid
    assert killed != os.getpid()  # laid out in a process of its own: the window's GIL stays free
    os.kill(killed, signal.SIGKILL)  # its first layout imports umap-learn and compiles: it is still at work
    qtbot.waitUntil(lambda: bool(failures), timeout=60_000)
    assert "layout process ended" in failures[0] and "-9" in failures[0]
    assert not shown.laying_out and shown.view is first  # the view on screen stays

    shown.offer_live(second)  # the next request starts a new process and is shown
    qtbot.waitUntil(lambda: learned(shown.view) and shown.view.snapshot is second.snapshot, timeout=900_000)
    served = shown.layouts.pid
    assert served is not None and served not in (killed, os.getpid()) and len(failures) == 1
    shown.shutdown()  # as the window's close does: the process ends with it
    assert shown.layouts.pid is None
    qtbot.waitUntil(lambda: process_ended(served), timeout=60_000)
