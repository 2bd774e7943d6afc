"""Signs that a run has gone wrong without a non-finite loss, read from a snapshot."""

from __future__ import annotations

from core.events import Snapshot


def output_collapsed(snapshot: Snapshot, tolerance: float = 1e-6) -> bool:
    """True when every sample decodes to the very same image: the decoder ignores its input.

    Adam at learning rate 10 does this to the lecture's network: the sigmoid saturates, the MSE stays finite
    (about 0.11 on MNIST) and nothing is learned. A healthy run's sample reconstructions differ by ~1e-2 per
    pixel after a few steps, a collapsed one's by exactly 0. The untrained network (step 0) is not judged.
    """
    if snapshot.step == 0 or len(snapshot.reconstructions) < 2:
        return False
    return float(snapshot.reconstructions.std(axis=0).max()) < tolerance
