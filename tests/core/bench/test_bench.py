"""The bench's table and its seam for the window figures, without running any measurement (no Qt here)."""

from __future__ import annotations

import io

from core.bench import Figure
from core.bench.command import _gui_figures
from core.bench.figures import format_table, print_table


def test_figure_dict_round_trip_and_table() -> None:
    figure = Figure("engine ÷ reference", 1.4242, "×", goal="≥ 1.3", met=True, n=9, detail="ratio of the medians")
    assert Figure.from_dict(figure.to_dict()) == figure
    assert Figure("x", float("nan"), "ms").to_dict()["value"] is None
    assert Figure.from_dict({"name": "bare"}) == Figure("bare", None, "")

    table = format_table({"training": [figure], "window": [{"name": "hover", "value": 3.5, "unit": "ms"}]})
    lines = table.splitlines()
    assert lines[0].split() == ["figure", "value", "goal", "status", "n"]
    assert "training" in lines and "window" in lines
    assert any(line.startswith("engine ÷ reference") and "1.42×" in line and "≥ 1.3×" in line for line in lines)
    assert any(line.startswith("hover") and "3.50 ms" in line and line.endswith("1") for line in lines)
    assert "    ratio of the medians" in lines

    plain = format_table([figure], plain=True)
    assert "1.42x" in plain and ">= 1.3x" in plain and "ok" in plain
    assert plain.isascii()


def test_print_table_falls_back_to_ascii() -> None:
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    print_table([Figure("ratio", 2.0, "×", goal="≥ 1", met=False)], file=stream)
    stream.seek(0)
    text = stream.read()
    assert "2.00x" in text and "MISS" in text


def test_window_figures_come_through_the_callable() -> None:
    def measured(quick: bool, device: str) -> list[dict]:
        return [{"name": f"hover {quick} {device}", "value": 1.0, "unit": "ms"}]

    def no_qt(quick: bool, device: str) -> list[dict]:
        raise ImportError("No module named 'PySide6'")

    def broken(quick: bool, device: str) -> list[dict]:
        raise RuntimeError("window crashed")

    assert _gui_figures(measured, True, "cpu") == ([Figure("hover True cpu", 1.0, "ms")], None, False)
    assert _gui_figures(no_qt, True, "cpu") == ([], "GUI figures skipped: No module named 'PySide6'", False)
    assert _gui_figures(broken, False, "cpu") == ([], "GUI figures failed: RuntimeError: window crashed", True)
