"""The bench's figures and their table: Figure, value and goal formatting, ASCII for terminals that need it."""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass
class Figure:
    """One measured figure, as the table prints it and the JSON stores it (explorer.bench.gui builds these too).

    `goal` is the target without its unit ("≥ 1.3"; the unit is added when printed); `met` is None when the
    figure has no goal; `n` is how many measurements the median (or ratio of medians) was taken over.
    """

    name: str
    value: float | None
    unit: str
    goal: str | None = None
    met: bool | None = None
    n: int = 1
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: {name, value, unit, goal, met, n, detail}; a value that is not finite becomes null."""
        value = None if self.value is None or not math.isfinite(self.value) else float(self.value)
        return {
            "name": self.name,
            "value": value,
            "unit": self.unit,
            "goal": self.goal,
            "met": None if self.met is None else bool(self.met),
            "n": int(self.n),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figure:
        """Accept the dicts other modules hand over (missing keys take their defaults)."""
        value = data.get("value")
        return cls(
            name=str(data.get("name", "?")),
            value=None if value is None else float(value),
            unit=str(data.get("unit", "")),
            goal=None if data.get("goal") is None else str(data["goal"]),
            met=None if data.get("met") is None else bool(data["met"]),
            n=int(data.get("n", 1)),
            detail=str(data.get("detail", "")),
        )

    @property
    def status(self) -> str:
        return "—" if self.met is None else ("✓" if self.met else "✗")


FigureLike = Figure | Mapping[str, Any]


# ---------------------------------------------------------------------------------------------------------------
# Formatting


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit, at a precision that suits the unit ("612 img/s", "1.42×", "3.5 ms", "12 min 05 s")."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "img/s":
        return f"{value:,.0f} img/s"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return format_seconds(value)
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "":
        return f"{value:.4f}" if abs(value) < 1 else f"{value:.4g}"
    return f"{value:.3g} {unit}"


def format_seconds(seconds: float) -> str:
    if seconds < 100:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def format_goal(goal: str | None, unit: str) -> str:
    """The goal with the figure's unit appended unless it already carries one."""
    if not goal:
        return ""
    if not unit or goal.rstrip().endswith(unit):
        return goal
    return f"{goal}{unit}" if unit == "×" else f"{goal} {unit}"


def format_table(
    figures: Sequence[FigureLike] | Mapping[str, Sequence[FigureLike]], width: int = 100, plain: bool = False
) -> str:
    """Columns figure | value | goal | status | n, each figure's detail wrapped beneath it.

    Pass a mapping of section title → figures to get section headings; figures may be Figure or its dict form.
    plain=True spells ✓, ✗, ×, ≥… in ASCII (for terminals whose encoding lacks them), keeping the columns aligned.
    """
    text = _ascii if plain else str
    sections = dict(figures) if isinstance(figures, Mapping) else {"": figures}
    rows = {
        title: [f if isinstance(f, Figure) else Figure.from_dict(f) for f in items] for title, items in sections.items()
    }
    cells = {
        id(f): (
            text(f.name),
            text(format_value(f.value, f.unit)),
            text(format_goal(f.goal, f.unit)),
            text(f.status),
            str(f.n),
        )
        for items in rows.values()
        for f in items
    }
    headers = ("figure", "value", "goal", "status", "n")
    widths = [max([len(h)] + [len(c[i]) for c in cells.values()]) for i, h in enumerate(headers)]

    def line(c: Sequence[str]) -> str:
        return (
            f"{c[0]:<{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]:^{widths[3]}}  {c[4]:>{widths[4]}}"
        ).rstrip()

    total = sum(widths) + 8
    out = [line(headers), text("─") * total]
    for title, items in rows.items():
        if not items:
            continue
        if title:
            if len(out) > 2:
                out.append("")
            out.append(text(title))
        for f in items:
            out.append(line(cells[id(f)]))
            if f.detail:
                wrapped = textwrap.wrap(text(f.detail), width=max(60, min(width, total)) - 4)
                out.extend(f"    {piece}" for piece in wrapped)
    return "\n".join(out)


def print_table(figures: Sequence[FigureLike] | Mapping[str, Sequence[FigureLike]], file: TextIO | None = None) -> None:
    """Print format_table, in ASCII where the stream's encoding lacks ✓, ×, ≥ and friends."""
    stream = file or sys.stdout
    print_text(format_table(figures, plain=not _can_encode(stream, "".join(_ASCII))), stream)


_ASCII = {"✓": "ok", "✗": "MISS", "—": "-", "─": "-", "×": "x", "÷": "/", "≥": ">=", "≤": "<=", "·": "-", "…": "..."}


def _ascii(text: str) -> str:
    for char, plain in _ASCII.items():
        text = text.replace(char, plain)
    return text


def _can_encode(stream: TextIO, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def print_text(text: str, stream: TextIO) -> None:
    if not _can_encode(stream, text):
        text = _ascii(text)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        text = text.encode(encoding, errors="replace").decode(encoding, errors="replace")
    print(text, file=stream, flush=True)
