"""output_collapsed tells a collapsed run (lr=10) from a healthy one using the real engine on real digits."""

from __future__ import annotations

from core.events import Snapshot
from core.model.diagnostics import output_collapsed
from core.training.engine import TrainConfig, Trainer


def snapshots_after_one_epoch(dataset, lr: float) -> list[Snapshot]:
    trainer = Trainer(dataset, TrainConfig(epochs=1, lr=lr, display_size=64, device="cpu"))
    return [event for event in trainer.run() if isinstance(event, Snapshot)]


def test_learning_rate_ten_is_reported_as_collapsed_and_the_lecture_rate_is_not(digits_subset):
    data = digits_subset(256)
    healthy, collapsed = snapshots_after_one_epoch(data, 5e-4), snapshots_after_one_epoch(data, 10.0)
    assert not output_collapsed(healthy[0]) and not output_collapsed(collapsed[0])  # step 0 is never judged
    assert not output_collapsed(healthy[-1])
    assert output_collapsed(collapsed[-1])
