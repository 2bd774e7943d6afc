"""View › Projection: PCA / UMAP, the projection every run's latent panel is shown on, remembered between sessions.

Why a feature of its own: the choice belongs to no single run (the comparison run follows the first run's choice, so
one cursor decodes through the same kind of view in both) and outlives the window (QSettings). Each run's ShownView
(explorer.training.shown_view) does the work: it lays the learned view out in the background and shows it when it
is ready, so this feature only offers the choice, passes it on and reports what happens.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QSettings, Signal, Slot
from PySide6.QtGui import QActionGroup

from core.latent.learned_view import umap_available
from explorer.training.session import RunSession
from explorer.training.shown_view import PCA, UMAP
from explorer.utils.registries import CloseHooks, MenuRegistry

#: Where the choice is remembered.
PROJECTION_KEY = "view/projection"
LAYING_OUT = "Laying out the learned view… (the view before it stays shown until it is ready)"
MISSING = "The learned view needs umap-learn: pip install 'convae-explorer[view]'"


class ProjectionChoice(QObject):
    status = Signal(str)
    warning = Signal(str, str)  # title, text

    def __init__(
        self,
        sessions: Sequence[RunSession],
        menus: MenuRegistry,
        settings: QSettings,
        close_hooks: CloseHooks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions = tuple(sessions)
        self._settings = settings
        group = QActionGroup(self)
        group.setExclusive(True)
        tips = {
            PCA: "Show latent sizes above 2 on their first two principal components (hover decodes through the plane)",
            UMAP: "Show latent sizes above 2 as a UMAP layout that keeps neighbours; hover decodes through its "
            "learned inverse (laid out in the background)",
        }
        texts = {PCA: "Projection: &PCA", UMAP: "Projection: &UMAP (learned view)"}
        self.actions = {}
        for projection in (PCA, UMAP):
            action = menus.add(
                "view.latent", f"projection-{projection}", texts[projection], checkable=True, tip=tips[projection]
            )
            group.addAction(action)
            action.triggered.connect(lambda _checked=False, p=projection: self.choose(p))
            self.actions[projection] = action
        for session in self.sessions:
            session.shown.layingOut.connect(self._on_laying_out)
            session.shown.failed.connect(self._on_failed)
            close_hooks.add("learned view", session.shown.shutdown)
        available = umap_available()  # looked up, not imported: umap-learn takes seconds to import
        if not available:
            self.actions[UMAP].setEnabled(False)
            self.actions[UMAP].setToolTip(MISSING)
            self.actions[UMAP].setStatusTip(MISSING)
        saved = settings.value(PROJECTION_KEY, PCA)
        self.choose(saved if saved == UMAP and available else PCA, remember=False)

    @property
    def projection(self) -> str:
        return UMAP if self.actions[UMAP].isChecked() else PCA

    @Slot(str)
    def choose(self, projection: str, remember: bool = True) -> None:
        """Show every run through `projection` from now on (the views on screen are laid out again at once)."""
        self.actions[projection].setChecked(True)
        if remember:
            self._settings.setValue(PROJECTION_KEY, projection)
        for session in self.sessions:
            session.shown.set_projection(projection)

    @Slot(bool)
    def _on_laying_out(self, busy: bool) -> None:
        if busy:
            self.status.emit(LAYING_OUT)
        elif not any(session.shown.laying_out for session in self.sessions) and self.projection == UMAP:
            self.status.emit("Learned view ready: hover decodes through its inverse.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.choose(PCA)
        self.warning.emit("Cannot show the learned view", f"{message}\n\nShowing the PCA plane instead.")
