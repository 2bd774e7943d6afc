"""Where each run of a sweep goes in the gallery: a grid by the swept values, or a ranking by a result.

Pure functions of the manifest (no Qt), so the arrangement is decided in one place and read in a test at a glance.
Two axes give rows and columns named by them; a third and more are chosen one value at a time (a page per
combination); one axis wraps its values into a near-square grid. A ranking lists every run, best first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.sweep.manifest import SweepManifest, SweepRun

BY_VALUES = "values"
#: The rankings offered, each a result in the manifest, lowest first.
RANKINGS = {"final_loss": "final loss", "kl": "KL", "active_units": "active units"}


@dataclass(frozen=True)
class Arrangement:
    """Where the runs go: (row, column) per run_id, and the headers of the rows and columns ("" for none)."""

    cells: dict[str, tuple[int, int]]
    row_headers: tuple[str, ...]
    column_headers: tuple[str, ...]


def same_value(a: object, b: object) -> bool:
    """A run's setting equals an axis value (numbers compare as numbers: 2 and 2.0 are one value)."""
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool | str):
        return float(a) == float(b)
    return a == b


def value_text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def paged_axes(manifest: SweepManifest) -> list[str]:
    """The axes beyond the first two: each gets a chooser, the grid shows one of its values at a time."""
    return list(manifest.axes)[2:]


def arrange(manifest: SweepManifest, order: str = BY_VALUES, page: dict[str, object] | None = None) -> Arrangement:
    """The gallery's grid for `order` (BY_VALUES or one of RANKINGS); `page` picks the value of each paged axis."""
    runs = manifest.runs
    if order != BY_VALUES:
        ranked = sorted(runs, key=lambda run: _rank_key(run, order))
        return _wrapped([run.run_id for run in ranked], ())
    axes = list(manifest.axes)
    page = page or {}
    shown = [run for run in runs if all(same_value(run.settings.get(a), page.get(a)) for a in paged_axes(manifest))]
    if len(axes) < 2:
        return _wrapped([run.run_id for run in shown], ())
    rows, columns = manifest.axes[axes[0]], manifest.axes[axes[1]]
    cells = {}
    for run in shown:
        row = _position(rows, run.settings.get(axes[0]))
        column = _position(columns, run.settings.get(axes[1]))
        if row is not None and column is not None:
            cells[run.run_id] = (row, column)
    return Arrangement(
        cells,
        tuple(f"{axes[0]} {value_text(v)}" for v in rows),
        tuple(f"{axes[1]} {value_text(v)}" for v in columns),
    )


def _position(values: list, value: object) -> int | None:
    return next((i for i, v in enumerate(values) if same_value(v, value)), None)


def _wrapped(run_ids: list[str], headers: tuple[str, ...]) -> Arrangement:
    """Runs in reading order on a near-square grid (six runs: 2 rows of 3), without headers."""
    columns = max(1, math.ceil(math.sqrt(len(run_ids))))
    cells = {run_id: divmod(i, columns) for i, run_id in enumerate(run_ids)}
    return Arrangement(cells, headers, ())


def _rank_key(run: SweepRun, result: str) -> tuple[int, float, str]:
    """Runs with the result first, lowest first; those without it (failed, still running) after them."""
    value = getattr(run, result)
    return (1, 0.0, run.run_id) if value is None else (0, float(value), run.run_id)
