"""The Recipe box: picking a recipe with the keyboard fills the settings; editing them names what they are."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.settings import RECIPES, SETTINGS, recipe_of
from explorer.training.controls_panel import ControlsPanel


def test_lecture_recipe_is_the_default_settings() -> None:
    lecture = RECIPES["lecture"]
    assert all(SETTINGS[name].default == pytest.approx(value) for name, value in lecture.values.items())
    assert recipe_of({name: s.default for name, s in SETTINGS.items()}) is lecture
    assert "not the lecture" in RECIPES["fast"].label and "not the lecture" in RECIPES["fast"].note
    assert recipe_of({"batch_size": 48, "lr": 5e-4}) is None


def test_recipe_box_fills_the_settings_and_follows_edits(qtbot) -> None:
    controls = ControlsPanel()
    qtbot.addWidget(controls)
    controls.show()
    assert controls.recipe.currentData() == "lecture"
    controls.recipe.setFocus()
    qtbot.keyClick(controls.recipe, Qt.Key.Key_Down)  # the user picks the next entry: the fast preset
    fast = RECIPES["fast"].values
    assert controls.recipe.currentData() == "fast"
    assert controls.batch_size.value() == fast["batch_size"]
    assert controls.lr.value() == pytest.approx(fast["lr"])
    assert controls.train_config().batch_size == fast["batch_size"]

    controls.batch_size.setFocus()
    qtbot.keyClick(controls.batch_size, Qt.Key.Key_Up)  # one more image per batch: no recipe's any more
    assert controls.recipe.currentData() == "custom"
    qtbot.keyClick(controls.batch_size, Qt.Key.Key_Down)
    assert controls.recipe.currentData() == "fast"

    controls.recipe.setFocus()
    qtbot.keyClick(controls.recipe, Qt.Key.Key_Up)  # back to the lecture's
    assert (controls.batch_size.value(), controls.lr.value()) == (32, pytest.approx(5e-4))
    controls.set_running(True, paused=False)
    assert not controls.recipe.isEnabled()
