"""Signs that a run has gone wrong without a non-finite loss, read from a snapshot (no torch: the window reads them)."""

from __future__ import annotations

from dataclasses import dataclass

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


#: Collapse is judged once the decoder draws the sample at least this close to the average image's error (see
#: collapse_verdict): within 25 % of it.
JUDGE_WITHIN = 1.25


@dataclass(frozen=True)
class CollapseVerdict:
    """Whether a VAE's posterior has collapsed at one snapshot, with the words the window shows.

    A value the view carries (core.latent.view.SnapshotView.posterior), judged afresh at every snapshot, so the
    window shows `text` while `collapsed` holds and clears it when a later snapshot's verdict changes.
    `judged` is False while training has not yet had its chance (see collapse_verdict); `text` then says so.
    """

    judged: bool
    collapsed: bool
    text: str  # the warning with what to try when collapsed; otherwise a short line on the state of things

    @property
    def warning(self) -> str | None:
        """The banner's words: the warning when collapsed, else None (nothing to warn about)."""
        return self.text if self.collapsed else None


def sample_errors(snapshot: Snapshot) -> tuple[float, float]:
    """(the decoder's error, the average image's error) over the snapshot's sample: sums of squared pixel errors per
    image, the measure L17's loss uses; the average image is the display images' mean."""
    originals = np.asarray(snapshot.originals, np.float64).reshape(len(snapshot.originals), -1)
    decoded = np.asarray(snapshot.reconstructions, np.float64).reshape(len(originals), -1)
    display = np.asarray(snapshot.display_images).reshape(len(snapshot.display_images), -1)
    average = display.mean(axis=0, dtype=np.float64) / 255.0
    return float(((originals - decoded) ** 2).sum(1).mean()), float(((originals - average) ** 2).sum(1).mean())


def collapse_verdict(snapshot: Snapshot) -> CollapseVerdict | None:
    """The posterior-collapse verdict on a variational snapshot (None for an autoencoder's, which has no posterior).

    Why not judge from the KL alone: an untrained encoder's codes all sit near N(0, I) (KL ~1e-4 nats), so the KL
    test (posterior_collapse) fires at step 0 for every VAE. Collapse means "the decoder has learned to ignore the
    codes and draws an average image"; that can only be told once the decoder draws at least as well as the
    average image would: before that nothing has been learned yet, by either half. So the verdict waits until the
    sample's reconstruction error is within JUDGE_WITHIN of the average image's error (on the built-in digits with
    L17's settings: about step 30 of the first epoch, from 235 down to ~55 against ~49). This measure needs no
    count of steps or epochs, so it holds for any learning rate, batch size and data set, and it reads only the
    snapshot, so live, recorded and opened views judge alike.
    """
    if snapshot.kl_per_dim is None:
        return None
    beta = snapshot.beta or 1.0
    decoder_error, average_error = sample_errors(snapshot) if len(snapshot.originals) else (np.inf, 0.0)
    if snapshot.step == 0 or not decoder_error <= JUDGE_WITHIN * average_error:
        return CollapseVerdict(
            judged=False,
            collapsed=False,
            text=(
                f"Too early to judge posterior collapse: the decoder does not yet draw the sample as well as the "
                f"average image would (squared error {decoder_error:.1f} against {average_error:.1f} per image)."
            ),
        )
    message = posterior_collapse(snapshot.kl_per_dim, beta)
    if message is not None:
        return CollapseVerdict(judged=True, collapsed=True, text=message)
    active = int((np.asarray(snapshot.kl_per_dim) >= INACTIVE_KL).sum())
    return CollapseVerdict(
        judged=True,
        collapsed=False,
        text=f"No posterior collapse: {active} of {len(snapshot.kl_per_dim)} latent dimensions carry information.",
    )
