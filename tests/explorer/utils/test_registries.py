"""Menus by id and close hooks: features find their place in a menu by a stable id, whatever the install order."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow

from explorer.utils.registries import CloseHooks, MenuRegistry


def texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_sections_keep_their_order_whatever_order_features_add_to_them(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    menus = MenuRegistry(window.menuBar(), window)
    menus.add("file.quit", "quit", "&Quit")
    menus.add("file.export", "export-csv", "Export loss as &CSV…")
    menus.add("file.open", "open", "&Open checkpoint…", shortcut="Ctrl+O")
    menus.add("file.export", "export-png", "Export latent plot as &PNG…")
    assert texts(menus.menu("file")) == [
        "&Open checkpoint…", "Export loss as &CSV…", "Export latent plot as &PNG…", "&Quit"
    ]  # fmt: skip
    assert [a.objectName() for a in menus.with_keys()] == ["open"]
    assert menus.action("export-png").text() == "Export latent plot as &PNG…"


def test_an_action_id_is_used_once_and_an_unknown_section_is_named(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    menus = MenuRegistry(window.menuBar(), window)
    menus.add("view.latent", "fit", "&Fit")
    with pytest.raises(ValueError, match="'fit'"):
        menus.add("view.latent", "fit", "&Fit again")
    with pytest.raises(KeyError, match=r"view\.nowhere"):
        menus.add("view.nowhere", "lost", "Lost")


def test_a_triggered_action_calls_its_slot(qtbot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    menus = MenuRegistry(window.menuBar(), window)
    calls: list[bool] = []
    menus.add("view.latent", "equal", "&Equal scales", lambda on: calls.append(on), checkable=True)
    menus.action("equal").trigger()
    assert calls == [True]


def test_close_hooks_run_in_order_and_one_failure_stops_none(caplog: pytest.LogCaptureFixture) -> None:
    hooks, ran = CloseHooks(), []

    def broken() -> None:
        raise RuntimeError("boom")

    hooks.add("first", lambda: ran.append("first"))
    hooks.add("broken", broken)
    hooks.add("last", lambda: ran.append("last"))
    hooks.run()
    assert ran == ["first", "last"]
    assert "Closing broken failed" in caplog.text
