"""The window's pacing follows what the host can spare (core.training.pacing)."""

from __future__ import annotations

from core.training.pacing import FULL, SPARING, window_pacing


def test_training_on_every_core_spares_the_windows_redraws() -> None:
    assert window_pacing("cpu", 2, cpus=2) == SPARING
    assert window_pacing("cpu", 16, cpus=8) == SPARING  # more threads than cores: none spare


def test_a_spare_core_or_a_gpu_keeps_the_full_rates() -> None:
    assert window_pacing("cpu", 4, cpus=8) == FULL
    assert window_pacing("cuda", 16, cpus=16) == FULL


def test_sparing_is_slower_in_every_part() -> None:
    assert SPARING.progress_hz < FULL.progress_hz
    assert SPARING.curve_hz < FULL.curve_hz
    assert SPARING.live_points_s > FULL.live_points_s
