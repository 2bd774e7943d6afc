"""The lecture's VAE training loop (L17: PIL images, DataLoader, Adam), the yardstick for the engine's VAE."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from core.bench.reference import _PilImages
from core.data.datasets import ImageDataset
from core.model.vae import ConvVAE
from core.settings import ModelConfig


class ReferenceVaeLoop:
    """L17's `train_vae_v1` as it was written, for one model: the yardstick for the engine's VAE.

    torch.manual_seed before the model and the DataLoader, PIL images through ToTensor, DataLoader(shuffle, no
    workers), Adam with default options; the forward pass draws ε with torch.randn (the global generator), the
    KL is −½·Σ(1 + log σ² − μ² − σ²) per image and the reconstruction the per-image sum of F.mse_loss(reduction=
    'none'), each averaged over the batch; loss.item() every step.
    """

    def __init__(
        self,
        dataset: ImageDataset,
        device: torch.device,
        seed: int = 123,
        batch_size: int = 256,
        lr: float = 5e-4,
        latent_dim: int = 2,
        beta: float = 1.0,
    ) -> None:
        self.device, self.beta = device, beta
        torch.manual_seed(seed)
        config = ModelConfig(latent_dim, dataset.channels, dataset.image_size, kind="variational", beta=beta)
        self.model = ConvVAE(config).to(device)
        self.loader = DataLoader(_PilImages(dataset.train), batch_size=batch_size, shuffle=True, num_workers=0)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epoch_losses: list[float] = []

    def _forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """L17's VAE.forward: encoder, the two heads, reparameterize with torch.randn, decoder."""
        x = self.model.encoder(features)
        z_mean, z_log_var = self.model.z_mean(x), self.model.z_log_var(x)
        eps = torch.randn(z_mean.size(0), z_mean.size(1)).to(z_mean.device)
        encoded = z_mean + eps * torch.exp(z_log_var / 2.0)
        return self.model.decoder(encoded), z_mean, z_log_var

    def epoch(self) -> Iterator[int]:
        """One epoch, yielding the images of each step; its mean minibatch loss lands in epoch_losses."""
        losses = []
        self.model.train()
        for features, _ in self.loader:
            features = features.to(self.device)
            decoded, z_mean, z_log_var = self._forward(features)
            kl_div = -0.5 * torch.sum(1 + z_log_var - z_mean**2 - torch.exp(z_log_var), dim=1)
            batchsize = kl_div.size(0)
            kl_div = kl_div.mean()
            pixelwise = F.mse_loss(decoded, features, reduction="none")
            pixelwise = pixelwise.view(batchsize, -1).sum(dim=1).mean()
            loss = pixelwise + self.beta * kl_div
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
            yield len(features)
        self.epoch_losses.append(float(np.mean(losses)))
