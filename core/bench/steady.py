"""The steady training rate: the median over short intervals, so rare pauses both contenders pay fall out of it.

Why: the window ÷ engine figure compares training through the window with the engine alone, in phases of a
second or two taken in turn. A snapshot (0.4–0.7 s on a 2-core host, spaced by wall time by the engine's pacer)
lands in some phases and not in others, and one snapshot in a 1.5 s phase takes a third off that phase's rate:
the figure then swung by ±10 % from run to run with nothing changed. Both contenders take the same snapshots
(same engine, same pacer), and their cost is its own figure ("engine, snapshots on"); what this ratio is for is
the window's steady cost: the signals, redraws and repaints that run on every update while it trains. The
median of the rates over intervals at least as long as the window's time between two redraws of its loss curve
(core.training.pacing) keeps each interval's share of those, and leaves out the few intervals a snapshot (or a
garbage collection, or another process) fell in.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable, Sequence

#: The window receives progress at most 30 times a second (explorer.training.worker): the engine's samples are
#: thinned alike.
INTERVAL_S = 1 / 30


def thinned(samples: Iterable[tuple[int, float]], every_s: float = INTERVAL_S) -> list[tuple[int, float]]:
    """(images seen, training seconds) samples at least `every_s` of training time apart (the first kept)."""
    kept: list[tuple[int, float]] = []
    for seen, elapsed in samples:
        if not kept or elapsed - kept[-1][1] >= every_s:
            kept.append((seen, elapsed))
    return kept


def interval_rates(phases: Iterable[Sequence[tuple[int, float]]], every_s: float = INTERVAL_S) -> list[float]:
    """Images/s over each interval between consecutive thinned samples, within each phase (never across two)."""
    rates = []
    for phase in phases:
        points = thinned(phase, every_s)
        for (seen0, t0), (seen1, t1) in itertools.pairwise(points):
            if t1 > t0:
                rates.append((seen1 - seen0) / (t1 - t0))
    return rates


def steady_rate(phases: Iterable[Sequence[tuple[int, float]]], every_s: float = INTERVAL_S) -> tuple[float, int]:
    """The median of interval_rates and how many intervals it was taken over (nan, 0 when there were none)."""
    rates = interval_rates(phases, every_s)
    return (float(statistics.median(rates)) if rates else math.nan), len(rates)


def whole_rate(phases: Iterable[Sequence[tuple[int, float]]]) -> float:
    """Images over seconds summed across the phases, snapshots and all (for the figure's detail)."""
    images = seconds = 0.0
    for phase in phases:
        if len(phase) >= 2:
            images += phase[-1][0] - phase[0][0]
            seconds += phase[-1][1] - phase[0][1]
    return images / seconds if seconds > 0 else math.nan


def paired_ratio(
    numerators: Sequence[Sequence[tuple[int, float]]],
    denominators: Sequence[Sequence[tuple[int, float]]],
    every_s: float = INTERVAL_S,
) -> tuple[float, list[float]]:
    """The median over rounds of (steady rate of numerators[i]) ÷ (steady rate of denominators[i]), and the ratios.

    Why pairs: this host's speed drifts 2–3× over seconds, and two phases taken back to back share the host's
    state of the moment; pooling each contender's phases first lets one slow stretch of the host land on one
    side only. Rounds without a rate on both sides are left out (nan when none is left).
    """
    ratios = []
    for top, bottom in zip(numerators, denominators, strict=False):
        a, b = steady_rate([top], every_s)[0], steady_rate([bottom], every_s)[0]
        if math.isfinite(a) and math.isfinite(b) and b > 0:
            ratios.append(a / b)
    return (float(statistics.median(ratios)) if ratios else math.nan), ratios
