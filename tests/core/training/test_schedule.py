"""The learning-rate schedule: OneCycleLR's curve, exact resume from a checkpoint, old checkpoints still open."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from core_testkit import fast_config, state_equal

from core.events import BatchEnd
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.settings import TrainConfig
from core.training.control import TrainingControl
from core.training.engine import Trainer
from core.training.schedule import learning_rate
from core.training.step_runners import GRAPHS, WHOLE, choose_step_runner


@pytest.mark.parametrize("total", [10, 37, 200])
def test_one_cycle_follows_torch_one_cycle_lr(total: int) -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=3e-3, total_steps=total)
    expected = []
    for _ in range(total):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert [learning_rate("onecycle", 3e-3, step, total) for step in range(total)] == pytest.approx(expected)
    assert learning_rate("constant", 5e-4, 7, total) == 5e-4
    with pytest.raises(ValueError, match="schedule must be one of"):
        learning_rate("linear", 1e-3, 0, total)


def _run(trainer: Trainer, stop_after: int | None = None) -> list[BatchEnd]:
    control, seen = TrainingControl(), []
    for event in trainer.run(control, snapshots=False):
        if isinstance(event, BatchEnd):
            seen.append(event)
            if event.step == stop_after:
                control.stop()
    return seen


def test_a_scheduled_run_resumes_exactly_and_sets_the_rate_each_step(tmp_path: Path, digits_subset) -> None:
    dataset = digits_subset(96)
    config = fast_config(epochs=2, batch_size=16, lr=3e-3, lr_schedule="onecycle")
    whole = Trainer(dataset, config)
    expected = [e.loss for e in _run(whole)]
    total = 2 * whole.batches_per_epoch
    assert whole.optimizer.param_groups[0]["lr"] == pytest.approx(learning_rate("onecycle", 3e-3, total - 1, total))

    stopped = Trainer(dataset, config)
    before = [e.loss for e in _run(stopped, stop_after=5)]
    checkpoint = load_checkpoint(save_checkpoint(tmp_path / "s.safetensors", Checkpoint.from_trainer(stopped)))
    assert checkpoint.train_config.lr_schedule == "onecycle"
    resumed = checkpoint.resume(dataset)
    assert before + [e.loss for e in _run(resumed)] == expected
    assert state_equal(resumed.model.state_dict(), whole.model.state_dict())

    constant = Trainer(dataset, fast_config(epochs=2, batch_size=16, lr=3e-3))
    assert [e.loss for e in _run(constant)] != expected, "the schedule must change the steps"


def test_old_settings_without_a_schedule_are_the_lectures_and_bad_names_are_refused() -> None:
    old = {k: v for k, v in TrainConfig().to_dict().items() if k != "lr_schedule"}
    assert TrainConfig.from_dict(old).lr_schedule == "constant"
    with pytest.raises(ValueError, match="schedule must be one of constant, onecycle"):
        TrainConfig(lr_schedule="cosine")


def test_a_changing_rate_is_never_replayed_from_a_cuda_graph() -> None:
    cuda = torch.device("cuda")
    assert choose_step_runner(cuda, 16, 32) == GRAPHS
    assert choose_step_runner(cuda, 16, 32, fixed_lr=False) == WHOLE
