"""Refusing a computation on a user's file whose result is not a finite number, in words instead of a traceback.

A checkpoint's weights are validated as finite when it is read, but finite is not small: weights of 3e38 (the top
of float32) pass, and the first layer that multiplies them overflows to infinity, then NaN. Nothing downstream
expects that: a plane range of NaN is refused deep inside, Pillow fails drawing text at NaN coordinates, and an
export writes `inf` into files other tools read. So every place where a command turns a user's file into numbers
it goes on to use (codes, their plane positions, decoded pictures) passes them through `require_finite`, which
raises NotFiniteError with a sentence saying what overflowed and why, before anything is drawn or written.
"""

from __future__ import annotations

import numpy as np

#: Why a model's numbers overflow, in words a user reads (said after what overflowed).
OVERFLOW_REASON = (
    "its weights are so large that float32 arithmetic overflows (a damaged or deliberately altered checkpoint?)"
)


class NotFiniteError(ValueError):
    """A computed result holds NaN or ±infinity; the message says what it was and why it happens."""


def require_finite(values: object, what: str, reason: str = OVERFLOW_REASON) -> np.ndarray:
    """`values` as an array when every number in it is finite; NotFiniteError naming `what` otherwise.

    `what` is a plural noun phrase ("the codes of the display images"); `reason` says why they can overflow.
    """
    array = np.asarray(values)
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise NotFiniteError(
            f"{what} are not finite numbers ({bad:,} of {np.size(array):,} are NaN or infinite): {reason}"
        )
    return array
