"""How much memory the threads decoding an image folder may hold at once, whatever their number and the pictures.

A picture's file says nothing about its decoded size: a 140 KB PNG holds 8000×8000 16-bit pixels (128 MB decoded,
more again while it is converted). Each decode thread used to take what its picture needed, so 8 threads on a
folder of such files held gigabytes together (a 13000×13000 file alone took 4.8 GB). A decode now first reserves
its picture's decoded bytes here, from the header, and waits while the reservations of the others leave too
little: the threads together never hold more than the budget. A picture larger than the whole budget (it is within
core.data.raster's pixel cap) is decoded alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: What all decode threads of one folder load may hold at once: a 64-megapixel RGBA picture and its conversion.
DECODE_BUDGET_BYTES = 512 * 2**20


def decoded_bytes(width: int, height: int, mode: str) -> int:
    """The bytes Pillow holds for a decoded picture of this size and mode (grey and palette 1, 16-bit grey 2, else
    4: Pillow stores RGB in four bytes a pixel)."""
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return width * height * per_pixel


class DecodeBudget:
    """Bytes shared by the threads of one load; `reserve` blocks until its share fits (see the module docstring)."""

    def __init__(self, total: int = DECODE_BUDGET_BYTES) -> None:
        self.total = total
        self._free = total
        self._changed = threading.Condition()

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` (at most the whole budget) for the `with` block, waiting until they are free."""
        share = max(0, min(int(nbytes), self.total))
        with self._changed:
            self._changed.wait_for(lambda: self._free >= share)
            self._free -= share
        try:
            yield
        finally:
            with self._changed:
                self._free += share
                self._changed.notify_all()
