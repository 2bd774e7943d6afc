"""The reference convolutional autoencoder (lecture L16), with separable encoder and decoder."""

from __future__ import annotations

import torch
from torch import nn

from core.settings import ModelConfig

#: Feature maps after the encoder's convolutions: 64 channels at a quarter of the input size.
_FEATURE_CHANNELS = 64

__all__ = ["ConvAutoEncoder", "ModelConfig", "count_parameters"]


class Reshape(nn.Module):
    """View a flat vector as a feature map (the lecture's `Reshape`)."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], *self.shape)


class Trim(nn.Module):
    """Crop the decoder's output to the input size (29→28 for MNIST)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, : self.size, : self.size]


def _leaky() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.01)


class ConvAutoEncoder(nn.Module):
    """Encoder Conv 1→32→64→64→64 + Linear to latent; decoder mirrors it with ConvTranspose."""

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        c, f, d = self.config.channels, self.config.feature_size, self.config.latent_dim
        flat = _FEATURE_CHANNELS * f * f
        self.encoder = nn.Sequential(
            nn.Conv2d(c, 32, stride=1, kernel_size=3, padding=1),
            _leaky(),
            nn.Conv2d(32, 64, stride=2, kernel_size=3, padding=1),
            _leaky(),
            nn.Conv2d(64, 64, stride=2, kernel_size=3, padding=1),
            _leaky(),
            nn.Conv2d(64, 64, stride=1, kernel_size=3, padding=1),
            nn.Flatten(),
            nn.Linear(flat, d),
        )
        self.decoder = nn.Sequential(
            nn.Linear(d, flat),
            Reshape(_FEATURE_CHANNELS, f, f),
            nn.ConvTranspose2d(64, 64, stride=1, kernel_size=3, padding=1),
            _leaky(),
            nn.ConvTranspose2d(64, 64, stride=2, kernel_size=3, padding=1),
            _leaky(),
            nn.ConvTranspose2d(64, 32, stride=2, kernel_size=3, padding=0),
            _leaky(),
            nn.ConvTranspose2d(32, c, stride=1, kernel_size=3, padding=0),
            Trim(self.config.image_size),
            nn.Sigmoid(),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N×C×H×W, floats in 0–1) to latent codes (N×latent_dim)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes (N×latent_dim) to images (N×C×H×W, floats in 0–1)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
