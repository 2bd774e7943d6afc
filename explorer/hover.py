"""Decodes the latent position under the cursor with the snapshot's decoder.

Mouse moves reach this already coalesced (LatentPanel's MouseMoveCoalescer delivers at most one per turn of
the event loop), so each one is decoded at once: the preview follows the cursor with no timer hop.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.events import Snapshot
from core.latent import LatentPlane


def decode_at(snapshot: Snapshot, plane: LatentPlane, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """The image (C×H×W floats 0–1) the snapshot's decoder draws at plane position (x, y), and its latent code."""
    import torch  # already loaded by the time a snapshot exists

    latent = plane.from_plane(np.array([[x, y]]))
    with torch.inference_mode():
        image = snapshot.decoder(torch.from_numpy(latent)).numpy()[0]
    return image, latent[0]


class HoverDecoder(QObject):
    decoded = Signal(object, float, float, object)  # image, x, y, latent code

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._snapshot: Snapshot | None = None
        self._plane: LatentPlane | None = None
        self._last: tuple[float, float] | None = None
        self.decodes = 0  # how many decodes ran (tests and the bench read it)

    def set_snapshot(self, snapshot: Snapshot, plane: LatentPlane) -> None:
        """Use this network state from now on; re-decode the last position so the preview stays current."""
        self._snapshot, self._plane = snapshot, plane
        if self._last is not None:
            self.request(*self._last)

    @Slot(float, float)
    def request(self, x: float, y: float) -> None:
        self._last = (x, y)
        if self._snapshot is None or self._plane is None:
            return
        image, latent = decode_at(self._snapshot, self._plane, x, y)
        self.decodes += 1
        self.decoded.emit(image, x, y, latent)
