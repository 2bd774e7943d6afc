"""One selection of display images for every run on screen: a lasso on either latent panel, a class, the worst
reconstructions; each RunView highlights the same images, the selection dock shows them.

Why an object of its own (as the shared cursor): the run, the comparison run and a sweep's gallery all show the
selection, and a lasso on any of them changes it; with N views, linking each to the others is N² links. Here each
subscribes once. The indices are positions in the first run's display set (`images`): a run whose display set is
another subset of the data maps them image by image (core.latent.selection_set.matching_rows). Indices of display
images stay valid across snapshots and recorded frames, so the selection lives through training and the time-lapse.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.latent.selection_set import Combine, as_indices, combine


class SharedSelection(QObject):
    """The selected display images (sorted int64 indices), the tile the mouse is over, and a tile clicked."""

    changed = Signal(object)  # np.ndarray: the selected indices now
    hovered = Signal(object)  # int | None: the display image whose tile the mouse is over
    clicked = Signal(int)  # a tile clicked: that image becomes every run's clicked point
    referenceChanged = Signal()  # the display set the indices refer to is another one

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.indices = np.zeros(0, np.int64)
        #: The display images the indices refer to (the first run's), or None before there is a run.
        self.images: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.indices)

    def set_reference(self, images: np.ndarray | None) -> None:
        """The display set the indices mean. Another set (another run) clears the selection: its indices would
        name other pictures."""
        old = self.images
        self.images = images
        if old is not None and images is not None and _same_images(old, images):
            return
        self.select(np.zeros(0, np.int64))
        self.referenceChanged.emit()

    def select(self, indices: np.ndarray | list[int], how: Combine = Combine.REPLACE) -> None:
        """Combine `indices` with the selection (replace, add or remove) and tell every view."""
        chosen = combine(self.indices, as_indices(indices), how)
        if self.images is not None:
            chosen = chosen[chosen < len(self.images)]
        if np.array_equal(chosen, self.indices) and how is not Combine.REPLACE:
            return
        self.indices = chosen
        self.changed.emit(chosen)

    def clear(self) -> None:
        self.select(np.zeros(0, np.int64))

    def hover(self, index: int | None) -> None:
        self.hovered.emit(index)

    def click(self, index: int) -> None:
        self.clicked.emit(int(index))


def _same_images(a: np.ndarray, b: np.ndarray) -> bool:
    """The same display set: one run's snapshots share its pixels (checked at once), another run's may equal them."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.__array_interface__["data"][0] == b.__array_interface__["data"][0] and a.strides == b.strides:
        return True
    return bool(np.array_equal(a, b))
