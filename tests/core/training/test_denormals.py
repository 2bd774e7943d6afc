"""Denormals flushed to zero on the CPU training threads, and only there (core.training.denormals,
core.training.thread_teams)."""

from __future__ import annotations

import threading

import torch

from core.training.denormals import flush_denormals_here, team_flushes, this_thread_flushes
from core.training.thread_teams import ThreadTeam, steps_on_team


def test_flushing_is_a_setting_of_the_thread_that_asks_for_it() -> None:
    before = this_thread_flushes()
    seen = []

    def flush_and_look() -> None:
        flush_denormals_here()
        seen.extend([this_thread_flushes(), float(torch.tensor([1e-39]) * 3.0)])

    thread = threading.Thread(target=flush_and_look)
    thread.start()
    thread.join()
    assert seen == [True, 0.0]
    assert this_thread_flushes() == before


def test_every_thread_of_a_new_team_flushes_while_the_callers_setting_is_untouched() -> None:
    before = this_thread_flushes()
    team = ThreadTeam(2)
    try:
        assert team.run(torch.get_num_threads) == 2
        assert team.run(team_flushes), "the team's OpenMP threads inherit the flag from the thread that made them"
        assert this_thread_flushes() == before
    finally:
        team.close()


def test_a_team_thread_keeps_working_after_an_error_and_hands_the_error_back() -> None:
    team = ThreadTeam(1)
    try:
        try:
            team.run(torch.zeros(2).view, 3)
        except RuntimeError as error:
            assert "shape" in str(error)
        else:
            raise AssertionError("the team swallowed an error")
        assert team.run(lambda: 6 * 7) == 42
    finally:
        team.close()


def test_steps_on_a_team_run_each_step_on_the_teams_thread_and_end_with_the_steps() -> None:
    team = ThreadTeam(1, "convae-test-team")

    def steps():
        for step in range(3):
            yield step, threading.current_thread().name, this_thread_flushes()

    try:
        taken = list(steps_on_team(steps(), team))
    finally:
        team.close()
    assert [step for step, _, _ in taken] == [0, 1, 2]
    assert all(name.startswith("convae-test-team") and flushes for _, name, flushes in taken)
