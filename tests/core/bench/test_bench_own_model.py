"""The bench's figure for a user's module: the guide's example trained by the engine and by a plain loop (values,
not speeds, are checked: the host may be busy)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

from core.bench.own_model import GUIDE_EXAMPLE, OWN_MODEL_GOAL, measure_own_model_section


def test_the_engine_against_a_plain_loop_is_measured_on_the_guides_example(digits_subset):
    (figure,) = measure_own_model_section(digits_subset(256), True, lambda message: None)
    assert figure.unit == "×" and math.isfinite(figure.value) and figure.value > 0
    assert figure.met == (figure.value >= OWN_MODEL_GOAL) and figure.n == 7  # --quick's rounds
    engine, plain = (float(v.replace(",", "")) for v in re.findall(r"([\d,]+) img/s", figure.detail))
    assert math.isclose(figure.value, engine / plain, rel_tol=0.01)


def test_the_bench_trains_the_module_the_guide_shows():
    guide = (Path(__file__).parents[3] / "docs" / "guide" / "own-model.md").read_text()
    shown = re.search(r"## A ten-line example\n\n```python\n(.*?)```", guide, re.S).group(1)
    assert ast.dump(ast.parse(shown)) == ast.dump(ast.parse(GUIDE_EXAMPLE))
