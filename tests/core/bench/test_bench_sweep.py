"""`bench --sweep` (core.bench.sweep): the section run for real but small (2 one-epoch runs of 128 images, `train`
one after another and a `sweep` on a real local Ray), its figures checked against each other; the 16-core estimate
from thread rows; the section skipped, with a note, where Ray is missing; a failing command reported, not raised.

No timing is asserted: the figures are checked for consistency (a ratio is the quotient of the times it names,
Ray's start-up is part of the sweep's time), never for speed.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from core.bench.figures import Figure, format_table
from core.bench.sweep import SweepSection, SweepTimes, estimate_16_cores, measure_sweep_section, sweep_figures
from core.bench.threads import ThreadRow
from core.commands.parser import build_parser

#: A Ray token of this module's own (as tests/core/sweep does): the per-user token file is shared by every Ray
#: this user starts, and another test's cluster may rewrite it.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}


def _row(threads: int, engine: float) -> ThreadRow:
    return ThreadRow(threads, 300.0, engine, {"whole batch": engine}, "whole batch", 6, None)


def _by_name(figures: list[Figure]) -> dict[str, Figure]:
    return {figure.name: figure for figure in figures}


def _said(messages: list[str]):
    return messages.append


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_small_sweep_against_the_same_train_runs_gives_consistent_figures(idx_root: Path) -> None:
    pytest.importorskip("ray")
    messages: list[str] = []
    rows = [_row(1, 500.0), _row(2, 800.0)]
    section = measure_sweep_section(_said(messages), rows, runs=2, dataset="mnist", data_dir=idx_root, env=RAY_ENV)
    assert section.note is None and not section.failed, section.note
    figures = _by_name(section.figures)
    train = figures["2 × `train`, one after another"].value
    sweep = figures["`sweep` of the same 2 runs"].value
    startup = figures["Ray's start-up (a local Ray, until it is ready)"].value
    assert train > 0 and 0 < startup <= sweep
    assert figures["one after another ÷ sweep"].value == pytest.approx(train / sweep)
    assert figures["one after another ÷ sweep, Ray's start-up left out"].value == pytest.approx(
        train / (sweep - startup)
    )
    assert any(name.startswith("16 cores") for name in figures)
    text = format_table({"sweep": section.figures})
    for words in ("one after another", "`sweep` of the same 2 runs", "Ray's start-up", "16 cores", "runs at once"):
        assert words in text
    assert any("one after another" in message for message in messages)


def test_the_16_core_estimate_rests_on_the_thread_rows_and_says_when_it_extrapolates() -> None:
    times = SweepTimes(runs=4, one_after_another_s=40.0, sweep_s=25.0, startup_s=5.0, sweep_runs_s=18.0, cores=2)
    assert times.at_once == 2
    assert times.ratio == pytest.approx(1.6) and times.ratio_without_startup == pytest.approx(2.0)

    extrapolated = estimate_16_cores([_row(1, 500.0), _row(2, 800.0)])
    assert extrapolated is not None and extrapolated.name.startswith("16 cores (estimate)")
    assert extrapolated.value == pytest.approx(16 / 1.6**4)  # 1.6× per doubling, four doublings to 16 threads
    assert "extrapolated, not measured" in extrapolated.detail

    measured = estimate_16_cores([_row(n, rate) for n, rate in ((1, 600.0), (2, 1_100.0), (16, 2_100.0))])
    assert measured is not None and measured.name.startswith("16 cores:")
    assert measured.value == pytest.approx(16 * 600 / 2_100) and "measured on this machine" in measured.detail

    slowed = estimate_16_cores([_row(1, 596.0), _row(2, 518.0)])  # the second core was taken by other processes
    assert slowed is not None and slowed.value is None and slowed.name.startswith("16 cores (not estimated)")
    assert "no scaling to extend" in slowed.detail

    assert estimate_16_cores([]) is None  # no thread table (a GPU bench): no estimate
    assert estimate_16_cores([_row(1, 500.0)]) is None  # one core: no scaling to go on
    assert len(sweep_figures(times)) == 5  # the measured figures alone


def test_without_ray_the_section_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as where the sweep extra is not installed
    messages: list[str] = []
    section = measure_sweep_section(_said(messages))
    assert section == SweepSection(note="sweep figures skipped: Ray is not installed (pip install "
                                   "'convae-explorer[sweep]')")  # fmt: skip
    assert messages == []  # nothing was run


@pytest.mark.slow
def test_a_command_that_fails_is_reported_not_raised(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    section = measure_sweep_section(_said([]), runs=1, dataset="mnist", data_dir=tmp_path, env=RAY_ENV)
    assert section.failed and not section.figures
    assert section.note is not None
    assert section.note.startswith("sweep figures failed: `train --seed 1` exited 1: convae-explorer train: mnist")
    assert "Traceback" not in section.note


def test_bench_takes_sweep() -> None:
    assert build_parser().parse_args(["bench", "--sweep"]).sweep is True
    assert build_parser().parse_args(["bench"]).sweep is False
