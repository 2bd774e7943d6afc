"""Decodes the latent position under the cursor with the snapshot's decoder, coalescing mouse moves.

Moves only record the latest position; one zero-delay timer decodes it once the event queue is
drained, so fast mouse movement never queues up decodes.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

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
        self._pending: tuple[float, float] | None = None
        self._last: tuple[float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._decode_pending)
        self.decodes = 0  # how many decodes ran (coalescing is visible in tests and the bench)

    def set_snapshot(self, snapshot: Snapshot, plane: LatentPlane) -> None:
        """Use this network state from now on; re-decode the last position so the preview stays current."""
        self._snapshot, self._plane = snapshot, plane
        if self._last is not None and self._pending is None:
            self.request(*self._last)

    @Slot(float, float)
    def request(self, x: float, y: float) -> None:
        self._pending = (x, y)
        if not self._timer.isActive():
            self._timer.start()

    def decode_now(self) -> None:
        """Decode the pending position at once (the bench uses this to time a single move)."""
        self._timer.stop()
        self._decode_pending()

    @Slot()
    def _decode_pending(self) -> None:
        if self._pending is None or self._snapshot is None or self._plane is None:
            return
        x, y = self._pending
        self._pending, self._last = None, (x, y)
        image, latent = decode_at(self._snapshot, self._plane, x, y)
        self.decodes += 1
        self.decoded.emit(image, x, y, latent)
