"""One cursor for several runs on screen: a hover over any of their latent panels moves it, and every run decodes
that same plane position with its own view.

Why an object of its own: with two runs (the comparison) each side could drive the other, but with N (a sweep's
gallery) that is N² links, and a run that drives another's crosshair has to know its insides. Here each RunView
subscribes once; `moved` says where the cursor is and which run's panel the mouse is over (the others draw the
crosshair themselves).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SharedCursor(QObject):
    """The plane position under the mouse, in whichever subscribed latent panel it is."""

    moved = Signal(float, float, object)  # x, y on the plane, the RunView whose panel the mouse is over

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.position: tuple[float, float] | None = None

    def move(self, x: float, y: float, source: object) -> None:
        self.position = (x, y)
        self.moved.emit(x, y, source)
