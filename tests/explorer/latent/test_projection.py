"""View › Projection without umap-learn: the learned view is offered disabled, says what it needs, and a saved
choice of it falls back to the PCA plane (no layout is ever attempted)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from explorer.latent import projection
from explorer.training.session import RunSession
from explorer.utils.registries import CloseHooks, MenuRegistry
from explorer.utils.tasks import BackgroundTasks


def test_without_umap_learn_the_learned_view_is_disabled_and_the_plane_shown(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(projection, "umap_available", lambda: False)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings.setValue(projection.PROJECTION_KEY, "umap")  # chosen in an earlier session, where it was installed
    owner = QMainWindow()
    qtbot.addWidget(owner)
    session = RunSession(tmp_path / "autosave", BackgroundTasks(owner), owner)
    choice = projection.ProjectionChoice([session], MenuRegistry(owner.menuBar(), owner), settings, CloseHooks())
    umap, pca = choice.actions["umap"], choice.actions["pca"]
    assert not umap.isEnabled() and "umap-learn" in umap.toolTip()
    assert pca.isChecked() and choice.projection == "pca" and session.shown.projection == "pca"


STARTUP = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QSettings
from explorer.app import create_application
from explorer.window.main_window import MainWindow

app = create_application([])
settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
settings.setValue("view/projection", "umap")
window = MainWindow(settings, autosave_dir=Path(sys.argv[2]))
window.show()
app.processEvents()
assert window.menus.action("projection-umap").isChecked(), "the remembered choice"
print(sorted(m for m in ("umap", "numba", "pynndescent") if m in sys.modules))
window.close()
"""


def test_the_window_starts_with_the_learned_view_chosen_without_importing_umap(tmp_path) -> None:
    import subprocess
    import sys

    from core_testkit import REPO_ROOT

    done = subprocess.run(
        [sys.executable, "-c", STARTUP, str(tmp_path / "s.ini"), str(tmp_path / "autosave")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
