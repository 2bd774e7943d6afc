"""The window's menus, as the user sees them: every entry in its place, found by id, with its key."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence


def entries(menu) -> list[str]:
    """A menu's entries as shown (separators left out, Qt collapses the empty sections' ones)."""
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def test_the_menus_keep_their_entries_order_and_keys(window) -> None:
    bar = [action.text() for action in window.menuBar().actions()]
    assert bar == ["&File", "&Training", "&View", "&Selection", "&Help"]
    menus = window.menus
    file_entries = entries(menus.menu("file"))
    assert file_entries[:4] == ["&Open checkpoint…", "Open your own &model…", "Open &recent", "Open for &comparison…"]
    assert file_entries.index("&Save checkpoint…") < file_entries.index("Export latent plot as &PNG…")
    exports = ["Export latent plot as &PNG…", "Export latent plot as S&VG…", "Export path strip as P&NG…",
               "Export loss as &CSV…"]  # fmt: skip
    at = file_entries.index(exports[0])
    assert file_entries[at : at + 4] == exports
    assert file_entries[-1] == "&Quit"
    assert entries(menus.menu("training")) == [
        "&Start new training", "&Continue training", "&Pause / Resume", "S&top",
        "Train co&mparison run (these settings)",
    ]  # fmt: skip
    view = entries(menus.menu("view"))
    assert view[:5] == [
        "&Fit the latent view", "&Equal scales on both axes", "Decoded &map under the points",
        "Clear the path &pins", "Show &all classes",
    ]  # fmt: skip
    assert view[5:7] == ["Colour points by &class", "Colour points by reconstruction &error"]
    assert view[7:9] == ["Projection: &PCA", "Projection: &UMAP (learned view)"]
    panels = ["Training", "Preview", "Training loss", "Reconstructions", "KL per latent dimension", "Comparison run"]
    assert view[9 : 9 + len(panels)] == panels and view[-2:] == ["Nearest images", "Selection"]
    assert entries(menus.menu("select")) == [
        "&Pan and zoom", "&Lasso select", "&Rectangle select",
        "Select the &worst reconstructions", "Select error &above the threshold", "&Clear the selection",
        "Show the Selection &panel",
        "Export selection as &CSV…", "Export selection as PNG &gallery…",
        "Export selection for the Embedding &Projector…", "&Import a selection (CSV of indices)…",
    ]  # fmt: skip
    assert entries(menus.menu("help")) == ["&Keyboard shortcuts", "&About convae-explorer"]
    keys = {
        "open": QKeySequence(QKeySequence.StandardKey.Open), "open-comparison": QKeySequence("Ctrl+Shift+O"),
        "start": QKeySequence("Ctrl+R"), "continue": QKeySequence("Ctrl+Shift+R"), "pause": QKeySequence("Space"),
        "stop": QKeySequence("Ctrl+."), "fit": QKeySequence("Ctrl+0"), "equal-scales": QKeySequence("Ctrl+E"),
        "map": QKeySequence("M"), "clear-pins": QKeySequence("Esc"), "select-pan": QKeySequence("P"),
        "select-lasso": QKeySequence("L"), "select-rectangle": QKeySequence("R"), "select-worst": QKeySequence("W"),
        "select-clear": QKeySequence("Ctrl+Shift+A"),
    }  # fmt: skip
    assert {action_id: menus.action(action_id).shortcut() for action_id in keys} == keys
    assert menus.action("equal-scales").isCheckable() and menus.action("map").isCheckable()
    assert menus.action("projection-pca").isChecked() and menus.action("projection-umap").isCheckable()
    assert not menus.action("start").isCheckable()


def test_every_dock_is_listed_in_view_and_keeps_its_saved_name(window) -> None:
    """saveState/restoreState find docks by object name: a renamed dock would lose the user's layout."""
    names = {dock.objectName() for _, dock in window.docks.items()}
    assert {"trainingDock", "previewDock", "lossDock", "gridsDock", "klDock", "comparisonDock",
            "neighboursDock"} <= names  # fmt: skip
    listed = set(entries(window.menus.menu("view")))
    assert all(dock.windowTitle() in listed for _, dock in window.docks.items())


def test_the_training_entries_follow_the_run(window) -> None:
    action = window.menus.action
    assert action("start").isEnabled() and action("open").isEnabled()
    assert not action("pause").isEnabled() and not action("stop").isEnabled()
    assert not action("continue").isEnabled()  # nothing trained yet
