"""The window's progress rate follows what the host can spare (core.progress_pacing)."""

from __future__ import annotations

from core.progress_pacing import FULL_RATE, SPARING_RATE, progress_updates_per_second


def test_training_on_every_core_spares_the_windows_redraws() -> None:
    assert progress_updates_per_second("cpu", 2, cpus=2) == SPARING_RATE
    assert progress_updates_per_second("cpu", 16, cpus=8) == SPARING_RATE  # more threads than cores: none spare


def test_a_spare_core_or_a_gpu_keeps_the_full_rate() -> None:
    assert progress_updates_per_second("cpu", 4, cpus=8) == FULL_RATE
    assert progress_updates_per_second("cuda", 16, cpus=16) == FULL_RATE
    assert SPARING_RATE < FULL_RATE
