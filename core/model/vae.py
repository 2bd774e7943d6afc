"""The variational autoencoder of lecture L17 and the loss every step runner trains with.

L17's network is L16's with one change in the middle: the encoder's convolutions feed two linear heads, the mean
and the log-variance of a Gaussian over codes; training decodes a sample from it (the reparameterisation trick,
z = μ + σ·ε), and the loss adds β × the KL divergence from that Gaussian to N(0, I) to the reconstruction error.
Everything that looks at codes (the latent panel, the hover, the maps) sees the means: `encode` returns μ.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.model.autoencoder import ConvAutoEncoder
from core.model.diagnostics import INACTIVE_KL, kl_per_dimension, posterior_collapse
from core.model.gaussian_codes import GaussianCodes
from core.settings import ModelConfig

__all__ = ["INACTIVE_KL", "ConvVAE", "build_network", "kl_per_dimension", "posterior_collapse", "training_loss"]


class ConvVAE(GaussianCodes, ConvAutoEncoder):
    """L16's convolutions and decoder, with mean and log-variance heads (3136 → latent each) in between.

    Training samples codes by the reparameterisation trick (core.model.gaussian_codes: ε from the model's own
    seeded generator on the CPU).
    """

    def __init__(self, config: ModelConfig | None = None, noise_seed: int = 0) -> None:
        super().__init__(config or ModelConfig(kind="variational"))
        flat = self.encoder[-1].in_features
        latent = self.config.latent_dim
        self.encoder = self.encoder[:-1]  # the convolutions and the flattening; the heads below replace the Linear
        self.z_mean = nn.Linear(flat, latent)
        self.z_log_var = nn.Linear(flat, latent)
        self._noise = torch.Generator().manual_seed(noise_seed)

    def moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images to the mean and log-variance (each N×latent_dim) of their codes' Gaussians."""
        features = self.encoder(x)
        return self.z_mean(features), self.z_log_var(features)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The means: what the latent panel places and what the decoder draws for a display image."""
        return self.moments(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions: the sample while training, the mean's decoding in eval mode (as for the grids)."""
        if self.training:
            return self.sample_forward(x)[0]
        return self.decoder(self.encode(x))


def build_network(config: ModelConfig, noise_seed: int = 0) -> nn.Module:
    """The network `config` describes: L16's autoencoder, L17's variational one, or the user's own module (wrapped by
    core.model.own_module so that everything downstream uses it as it uses the lecture's)."""
    if config.source is not None:
        from core.model.own_module import build_own

        return build_own(config, noise_seed)
    return ConvVAE(config, noise_seed) if config.variational else ConvAutoEncoder(config)


def kl_per_image_and_dim(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) of each code dimension, in closed form: ½(μ² + σ² − 1 − log σ²)."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var)


def draw_noise(model: nn.Module, count: int, device: torch.device) -> torch.Tensor | None:
    """ε for a whole batch, drawn before the batch is split between threads (None for an autoencoder)."""
    variational = isinstance(model, ConvVAE) or (hasattr(model, "own_training_loss") and model.config.variational)
    return model.noise(count, device) if variational else None


def training_loss(
    model: nn.Module,
    x: torch.Tensor,
    batch_images: int | None = None,
    noise: torch.Tensor | None = None,
    codes: list[torch.Tensor] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the loss to differentiate, what the step reports) for images x, as the lecture defines each model's loss.

    Autoencoder: the MSE over all pixels; it reports that MSE. Variational: per image the sum of squared pixel
    errors plus β × the KL to N(0, I), both averaged over the batch (L17); it reports (total, reconstruction, KL).
    `batch_images` is given when x is part of a batch (core.training.step_runners' half batches): the sums are then
    divided by the
    whole batch's size, so the parts' losses and gradients add up to the batch's.
    `codes`, when given, receives the codes this forward pass computed (detached; a VAE's means): the live view
    shows them at no cost (core.training.batch_codes). The arithmetic is the same either way. A user's own module
    (core.model.own_module) brings its own.
    """
    if hasattr(model, "own_training_loss"):
        return model.own_training_loss(x, batch_images, noise)
    if not isinstance(model, ConvVAE):
        if codes is None:
            decoded = model(x)
        else:  # what model(x) computes, in the same order, with the code kept on the way
            code = model.encoder(x)
            codes.append(code.detach())
            decoded = model.decoder(code)
        if batch_images is None:
            loss = nn.functional.mse_loss(decoded, x)
        else:
            loss = nn.functional.mse_loss(decoded, x, reduction="sum") / (batch_images * x[0].numel())
        return loss, loss.detach()
    decoded, mean, log_var = model.sample_forward(x, noise)
    if codes is not None:
        codes.append(mean.detach())
    images = len(x) if batch_images is None else batch_images
    reconstruction = nn.functional.mse_loss(decoded, x, reduction="sum") / images
    kl = kl_per_image_and_dim(mean, log_var).sum() / images
    loss = reconstruction + model.config.beta * kl
    return loss, torch.stack([loss, reconstruction, kl]).detach()


@torch.inference_mode()
def encode_moments(
    model: ConvVAE, images: torch.Tensor, device: torch.device, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Means and log-variances (float32 numpy, N×latent_dim) of uint8 images, encoded in chunks on `device`."""
    was_training = model.training
    model.eval()
    means, log_vars = [], []
    try:
        for i in range(0, len(images), chunk):
            x = images[i : i + chunk].to(device).to(torch.float32).div_(255.0)
            mean, log_var = model.moments(x)
            means.append(mean.float().cpu())
            log_vars.append(log_var.float().cpu())
    finally:
        model.train(was_training)
    if not means:
        empty = np.zeros((0, model.config.latent_dim), np.float32)
        return empty, empty.copy()
    return torch.cat(means).numpy(), torch.cat(log_vars).numpy()
