"""The live view's points from the training batches themselves: where the display images are training images (the
built-in digits, image folders), every batch's forward pass has just encoded some of them, at no extra cost.

Re-encoding slices of the display set costs encoder time, so on 2 cores it could afford ~10 points every 0.75 s
(core.training.pacing's 1.5 % budget): 2,000 points took minutes to all move, and a costly first slice held the next
one back for seconds (bench: largest gap between moves 4.4 s). A batch of 32 drawn from 5,000 images holds ~13 of
the 2,000 display images; an epoch passes every one of them through the encoder. Collecting those codes costs an
index lookup per step. The codes come from the forward pass of each step, so they are the weights *before* that
step's update: at most one step older than the LivePoints' `step` says.

When they are handed out is the engine's live clock's decision (core.training.live_moves), not this collector's; it
asks `complete` besides: in the first epoch the shuffle meets the display images first (they are the first of the
same seeded permutation), so all of them have moved within 40 % of the epoch, and the window shows that whole picture
then rather than up to an interval later, or never where an epoch takes less than an interval.
"""

from __future__ import annotations

import numpy as np
import torch

from core.events import LivePoints


class BatchCodes:
    """Collects the display images' codes from the batches trained on and hands them out as LivePoints."""

    def __init__(self, display_indices: np.ndarray, train_count: int) -> None:
        self._position = np.full(train_count, -1, np.int64)  # training image → display position, or -1
        self._position[np.asarray(display_indices, np.int64)] = np.arange(len(display_indices))
        self._indices: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._moved = np.zeros(len(display_indices), bool)  # display points trained on since the last snapshot
        self._completed = False  # they all have, and that was handed out

    def add(self, batch: torch.Tensor, codes: torch.Tensor | None) -> None:
        """The codes (B×D) the step on training images `batch` (B indices) computed; those of display images kept."""
        if codes is None:
            return
        positions = self._position[batch.numpy()]
        shown = positions >= 0
        if shown.any():
            self._indices.append(positions[shown])
            self._codes.append(codes.numpy()[shown])  # a copy: boolean indexing
            self._moved[positions[shown]] = True

    @property
    def complete(self) -> bool:
        """Every display point has been trained on since the last snapshot, and the last of them wait to be shown."""
        return not self._completed and self.pending and bool(self._moved.all())

    @property
    def pending(self) -> bool:
        """Some display images were trained on since the last take or clear."""
        return bool(self._indices)

    def clear(self) -> None:
        """Drop what was collected: a snapshot has just placed every point with newer weights."""
        self._indices, self._codes = [], []
        self._moved[:] = False
        self._completed = False

    def take(self, step: int, epoch: float) -> LivePoints:
        """The collected points (each display image once, its latest code) as one partial update."""
        indices, codes = np.concatenate(self._indices), np.concatenate(self._codes)
        self._indices, self._codes = [], []
        self._completed = bool(self._moved.all())
        latest = len(indices) - 1 - np.unique(indices[::-1], return_index=True)[1]  # the last time each was seen
        return LivePoints(step, epoch, indices[latest].astype(np.int64), np.ascontiguousarray(codes[latest]))
