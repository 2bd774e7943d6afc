"""Decodes the latent position under the cursor with the current snapshot's decoder (through core.latent.view).

Mouse moves reach this already coalesced (LatentPanel's MouseMoveCoalescer delivers at most one per turn of
the event loop), so each one is decoded at once: the preview follows the cursor with no timer hop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from core.latent.view import SnapshotView


class HoverDecoder(QObject):
    decoded = Signal(object, float, float, object)  # image, x, y, latent code

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view: SnapshotView | None = None
        self._last: tuple[float, float] | None = None

    def set_view(self, view: SnapshotView) -> None:
        """Use this network state from now on; re-decode the last position so the preview stays current."""
        self._view = view
        if self._last is not None:
            self.request(*self._last)

    @Slot(float, float)
    def request(self, x: float, y: float) -> None:
        self._last = (x, y)
        if self._view is None:
            return
        image, latent = self._view.decode_at(x, y)
        self.decoded.emit(image, x, y, latent)
