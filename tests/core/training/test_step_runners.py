"""The rule that picks the step runner, and the thread teams SplitSteps runs its slices on."""

from __future__ import annotations

import pytest
import torch

from core.bench.threads import thread_counts
from core.data.datasets import ImageDataset
from core.model.autoencoder import ModelConfig
from core.training.denormals import team_flushes
from core.training.engine import build_model, build_optimizer
from core.training.step_runners import (
    GRAPHS,
    HALVES,
    QUARTERS,
    WHOLE,
    SplitSteps,
    choose_step_runner,
    make_steps,
    splits_batches,
)

CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("device", "threads", "batch", "expected"),
    [
        ("cpu", 1, 32, WHOLE),  # one thread: nothing to split
        ("cpu", 2, 32, HALVES),  # measured: halves on 1+1 beat one two-thread team
        ("cpu", 4, 32, HALVES),  # measured on 16-core hosts: halves best (or within 5 %) from 2 to 8 threads
        ("cpu", 8, 32, HALVES),
        ("cpu", 16, 32, QUARTERS),  # and quarters at 16
        ("cpu", 32, 128, QUARTERS),
        ("cpu", 16, 8, HALVES),  # quarters of 2 images: too small a slice
        ("cpu", 2, 1, WHOLE),
        ("cpu", 8, 1, WHOLE),  # a single image cannot be halved
        ("cuda", 16, 32, GRAPHS),
        ("mps", 8, 32, WHOLE),  # nothing measured there
    ],
)
def test_the_rule_decides_from_device_threads_and_batch(device: str, threads: int, batch: int, expected: str) -> None:
    assert choose_step_runner(torch.device(device), threads, batch) == expected
    assert splits_batches(torch.device(device), threads, batch) == (expected in (HALVES, QUARTERS))


@pytest.mark.parametrize(
    ("threads", "parts", "own", "helper"), [(2, 2, 1, 1), (4, 2, 2, 2), (5, 2, 3, 2), (8, 2, 4, 4), (18, 4, 6, 4)]
)
def test_make_steps_follows_the_rule_and_gives_each_slice_its_team(
    digits: ImageDataset, threads: int, parts: int, own: int, helper: int
) -> None:
    model = build_model(ModelConfig(), 1).to(memory_format=torch.channels_last)
    runner = make_steps(model, build_optimizer(model, 5e-4), digits.train.images, 32, threads)
    assert isinstance(runner, SplitSteps)
    try:
        assert (runner.parts, runner.own_threads, runner.helper_threads) == (parts, own, helper)
        team_threads = [team.run(torch.get_num_threads) for team in runner.teams]
        assert team_threads == [own] + [helper] * (parts - 1)  # each slice's own team
        assert all(team.run(team_flushes) for team in runner.teams), "every thread of every team flushes denormals"
        before = torch.get_num_threads()
        runner(torch.arange(32))
        assert torch.get_num_threads() == before, "the caller's thread count is given back after each step"
    finally:
        runner.close()


def test_one_thread_trains_the_whole_batch_on_a_team_that_flushes_denormals(digits: ImageDataset) -> None:
    model = build_model(ModelConfig(), 1)
    runner = make_steps(model, build_optimizer(model, 5e-4), digits.train.images, 32, 1)
    assert isinstance(runner, SplitSteps)
    try:
        assert (runner.parts, [team.run(torch.get_num_threads) for team in runner.teams]) == (1, [1])
        assert runner.teams[0].run(team_flushes)
        assert float(runner(torch.arange(32))) > 0
    finally:
        runner.close()


def test_the_bench_measures_only_thread_counts_the_machine_has() -> None:
    assert thread_counts(1) == [1]
    assert thread_counts(2) == [1, 2]
    assert thread_counts(6) == [1, 2, 4]
    assert thread_counts(64) == [1, 2, 4, 8, 16]
    assert thread_counts()[0] == 1
