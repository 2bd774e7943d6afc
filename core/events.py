"""What the training engine tells the outside world: plain, immutable records (no Qt, no live tensors)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # events carry a decoder, but reading them must not need torch
    from torch import nn


@dataclass(frozen=True)
class BatchEnd:
    step: int  # optimizer steps done so far, over the whole run
    epoch: int  # 0-based epoch this batch belongs to
    batch: int  # 1-based batch within the epoch
    batches_per_epoch: int
    loss: float
    images_seen: int  # images trained on since this run (or resume) began
    elapsed_s: float  # seconds of training since this run began, pauses excluded
    reconstruction: float | None = None  # a variational model's parts of `loss` (loss = reconstruction + β·kl)
    kl: float | None = None


@dataclass(frozen=True)
class EpochEnd:
    epoch: int  # 0-based epoch just finished
    epochs: int
    mean_loss: float
    seconds: float


@dataclass(frozen=True)
class Snapshot:
    """One network state, frozen for display: the points and the hover decoder always come from the same one.

    `decoder` is a detached CPU copy in eval mode: the GUI may run it while the engine keeps training.
    """

    step: int
    epoch: float  # epochs done, fractional mid-epoch
    decoder: nn.Module
    codes: np.ndarray  # (N, latent_dim) float32, the display subset encoded with these weights
    labels: np.ndarray  # (N,) int64
    display_images: np.ndarray  # (N, C, H, W) uint8, the images behind `codes`
    originals: np.ndarray  # (K, C, H, W) float32 0–1, a fixed sample
    reconstructions: np.ndarray  # (K, C, H, W) float32 0–1, that sample through these weights
    classes: tuple[str, ...]
    log_variances: np.ndarray | None = None  # (N, latent_dim) float32 beside `codes` (the means): variational only
    kl_per_dim: np.ndarray | None = None  # (latent_dim,) float64, mean KL to N(0, 1) per code dimension, nats
    beta: float | None = None  # the KL weight of a variational model; None for an autoencoder
    #: A detached CPU copy of the images → codes path with the same weights (core.model.snapshot_encoder): the user's
    #: own
    #: picture is encoded with it. None where no encoder was kept (a time-lapse frame read from a file).
    encoder: nn.Module | None = None
    #: (N,) float32: each display image's reconstruction error with these weights, the mean squared pixel error in
    #: 0–1 units of decoder(code) against the image (core.model.errors; a VAE's code is its mean). None where it
    #: was not computed.
    errors: np.ndarray | None = None
    #: The step whose weights `errors` come from: this snapshot's own step, or an earlier one where a CPU run's
    #: errors budget left this snapshot's decode out (core.training.snapshot_pacing). None with `errors`.
    errors_step: int | None = None
    #: (N,) int64: each display image's position in its split of the data set (the test split where the data set
    #: has one, else the training split: `data_split`), so a selection can name the images in the data set itself.
    #: None where unknown (a time-lapse frame read from an older file).
    data_indices: np.ndarray | None = None
    data_split: str | None = None  # "test" or "training": the split `data_indices` count in


@dataclass(frozen=True)
class LivePoints:
    """Some display images' codes between two full snapshots: a partial update.

    Where the display images are training images (the built-in digits, image folders) on the CPU, they are the codes
    the training batches' own forward passes computed since the last update (core.training.batch_codes): free, and
    every display point moves once an epoch. Elsewhere, or when the batches bring none for a while, the engine
    re-encodes a rotating slice of the display set within a small share of training time. Only the points move: the
    decoder, the reconstructions and the other points still come from the last Snapshot, so the window says so.
    """

    step: int
    epoch: float
    indices: np.ndarray  # (M,) int64 positions in the display set, each once
    #: (M, latent_dim) float32: encoded with the weights after `step` (a re-encoded slice), or by the forward pass of
    #: the step that last trained on the image, before its update (batch codes: since the last move of the points)
    codes: np.ndarray


class EndReason(StrEnum):
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class TrainingEnded:
    reason: EndReason
    message: str
    step: int
    epoch: int


Event = BatchEnd | EpochEnd | Snapshot | LivePoints | TrainingEnded
