"""The lecture's loop in a process of its own: it trains there step by step, and its CPU time counts as the bench's."""

from __future__ import annotations

import os

import pytest

from core.bench.machine import _children_cpu_s, own_children
from core.bench.reference_process import ReferenceProcess

pytestmark = pytest.mark.slow  # a spawned Python importing torch


def test_the_child_trains_the_lecture_loop_step_by_step_and_counts_as_ours() -> None:
    with ReferenceProcess(threads=1) as reference:
        pid = reference._process.pid
        assert pid != os.getpid() and pid in own_children
        steps = reference.steps()
        assert [next(steps) for _ in range(3)] == [32, 32, 32]
        reference.set_threads(2)
        assert next(steps) == 32
        assert _children_cpu_s() > 0  # the bench's "other processes" figure leaves this child out
    assert pid not in own_children
    assert not reference._process.is_alive()
