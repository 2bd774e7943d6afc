"""Decodes the latent position under the cursor with the shown view's decoder, and says all of it in one record.

Mouse moves reach this already coalesced (LatentPanel's MouseMoveCoalescer delivers at most one per turn of
the event loop), so each one is decoded at once: the preview follows the cursor with no timer hop.

Why one record: the preview, the nearest images and the meter must all come from the snapshot that decoded. A
listener that read the session's view again could get a newer one (the hover re-decodes on a new snapshot before
that listener hears of it); the record carries its own view, so nobody has to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from core.latent.neighbours import Meter, Neighbours
    from core.latent.view import SnapshotView

NEAREST = 5  # nearest display images a hover looks up, for a run shown with a neighbours panel


@dataclass(frozen=True)
class Hovered:
    """One decoded cursor position: everything a listener shows of it, from one view."""

    image: np.ndarray  # C×H×W floats in [0, 1], decoded at `xy`
    code: np.ndarray  # (D,) the latent code decoded
    xy: tuple[float, float]  # the plane position
    view: SnapshotView  # the network state that decoded it
    nearest: Neighbours | None  # the display codes nearest `code` (None: not asked for, or the view has none)
    meter: Meter | None  # how far `code` lies from the data

    @property
    def labels(self) -> list[str]:
        """The nearest images' labels, nearest first."""
        return [] if self.nearest is None else [self.view.label_of(i) for i in self.nearest.indices.tolist()]


class HoverDecoder(QObject):
    """Decodes each position it is asked for with the view it was last given; `decoded` carries a Hovered."""

    decoded = Signal(object)  # Hovered

    def __init__(self, nearest: int = 0, parent: QObject | None = None) -> None:
        """`nearest`: how many nearest display images each record looks up (0: none, no search per move)."""
        super().__init__(parent)
        self.nearest = nearest
        self._view: SnapshotView | None = None
        self._last: tuple[float, float] | None = None

    @property
    def view(self) -> SnapshotView | None:
        return self._view

    def set_view(self, view: SnapshotView | None) -> None:
        """Use this network state from now on; re-decode the last position so the preview stays current."""
        self._view = view
        if view is not None and self._last is not None:
            self.request(*self._last)

    @Slot(float, float)
    def request(self, x: float, y: float) -> None:
        self._last = (x, y)
        view = self._view
        if view is None:
            return
        image, code = view.decode_at(x, y)
        nearest = meter = None
        if self.nearest and view.neighbours is not None and len(view.neighbours):
            nearest = view.neighbours.nearest(code, self.nearest)
            meter = view.neighbours.meter_for(nearest)
        self.decoded.emit(Hovered(image, code, (x, y), view, nearest, meter))
