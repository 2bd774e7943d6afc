"""Which view is shown: the newest live one, unless the user chose a recorded frame; one signal says each change."""

from __future__ import annotations

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
