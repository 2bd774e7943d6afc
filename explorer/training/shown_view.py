"""Which SnapshotView a run shows: the newest live one, or a recorded frame the user chose (the time-lapse).

Why one owner: the session (new snapshots) and the time-lapse player (frames) both want to change what is shown;
when both set it, each has to know the other's state ("is the user looking at a frame?") and they race. Here the
session offers each live view, the player asks for a frame or for live again, and this object alone decides and
says so with one signal; the points, the hover, the map, the grids all follow `changed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from core.latent.view import SnapshotView


class ShownView(QObject):
    changed = Signal(object)  # SnapshotView: what every panel of the run shows now

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view: SnapshotView | None = None  # shown now
        self.live: SnapshotView | None = None  # the newest snapshot's view
        self.recorded = False  # the view shown is a recorded frame the user chose

    @property
    def following_live(self) -> bool:
        return not self.recorded

    def offer_live(self, view: SnapshotView) -> None:
        """A new snapshot: shown at once when following live (or when nothing is shown yet), else kept for later."""
        self.live = view
        if not self.recorded or self.view is None:
            self._show(view)

    def show_frame(self, view: SnapshotView) -> None:
        """A recorded frame, shown until `follow_live`: new snapshots wait meanwhile."""
        self.recorded = True
        self._show(view)

    def follow_live(self) -> None:
        """Back to the newest snapshot (shown again at once, if there is one)."""
        self.recorded = False
        if self.live is not None:
            self._show(self.live)

    def reset(self) -> None:
        """Another run: nothing shown, following live (nothing is emitted: the run's panels are laid out afresh)."""
        self.view, self.live, self.recorded = None, None, False

    def _show(self, view: SnapshotView) -> None:
        self.view = view
        self.changed.emit(view)
