"""Signs that a run has gone wrong without a non-finite loss, read from a snapshot (no torch: the window reads them)."""

from __future__ import annotations

import numpy as np

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


def kl_per_dimension(means: np.ndarray, log_vars: np.ndarray) -> np.ndarray:
    """Each code dimension's KL to N(0, 1), averaged over the images (nats): ~0 for one the model ignores."""
    means, log_vars = np.asarray(means, np.float64), np.asarray(log_vars, np.float64)
    if len(means) == 0:
        return np.zeros(means.shape[1], np.float64)
    return (0.5 * (means**2 + np.exp(log_vars) - 1.0 - log_vars)).mean(axis=0)


#: A dimension whose mean KL is below this many nats carries (almost) nothing about its image: an inactive unit.
INACTIVE_KL = 0.01


def posterior_collapse(kl_per_dim: np.ndarray | None, beta: float) -> str | None:
    """A warning when most code dimensions are inactive (KL ≈ 0): the decoder has learned to ignore the codes.

    None when the model is fine or not variational. The message says what to try.
    """
    if kl_per_dim is None or len(kl_per_dim) == 0:
        return None
    inactive = int((np.asarray(kl_per_dim) < INACTIVE_KL).sum())
    dims = len(kl_per_dim)
    if inactive * 2 <= dims:
        return None
    smaller = max(beta / 4, 0.01)
    return (
        f"Posterior collapse: {inactive} of {dims} latent dimensions carry almost no information "
        f"(KL < {INACTIVE_KL} nats), so every image gets nearly the same code and the decoder draws an average. "
        f"Try a smaller β (now {beta:g}; e.g. {smaller:g}), train longer, or a larger latent size."
    )
