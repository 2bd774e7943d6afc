"""The errors budget (core.training.snapshot_pacing.ErrorsBudget) on a clock the test moves: a decode between steps
comes only once the time spent on them, with it, fits the share of the run's time so far."""

from __future__ import annotations

from core.training.snapshot_pacing import ErrorsBudget


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_decode_waits_until_it_fits_the_share_of_the_time_so_far():
    clock = _Clock()
    budget = ErrorsBudget(0.01, clock)
    clock.now += 39.0
    assert not budget.allows(0.4)  # 0.4 s would be more than 1 % of 39 s
    clock.now += 1.5
    assert budget.allows(0.4)
    budget.spent(0.4, between_steps=True)
    assert budget.spent_s == 0.4
    clock.now += 30.0  # 70.5 s in: 0.8 s of decodes would be more than 1 %
    assert not budget.allows(0.1)  # the last decode's cost is the estimate now, not the caller's
    clock.now += 10.0
    assert budget.allows(0.1)
    budget.spent(0.1, between_steps=True)  # a quicker decode: the estimate stays the longest one's
    assert budget.expected_s(0.0) == 0.4


def test_decodes_while_no_step_runs_do_not_count_and_a_whole_share_always_allows():
    clock = _Clock()
    budget = ErrorsBudget(0.01, clock)
    budget.spent(0.4, between_steps=False)  # the run's start: training waits for nothing
    assert budget.spent_s == 0
    clock.now += 40.5
    assert budget.allows(10.0)  # the cost is the last decode's (0.4 s), not the estimate
    assert budget.expected_s(10.0) == 0.4
    assert ErrorsBudget(1.0, clock).allows(1e9)
