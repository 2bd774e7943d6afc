"""The reference convolutional autoencoder (lecture L16), with separable encoder and decoder."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

#: Feature maps after the encoder's convolutions: 64 channels at a quarter of the input size.
_FEATURE_CHANNELS = 64


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network: stored in every checkpoint."""

    latent_dim: int = 2
    channels: int = 1
    image_size: int = 28

    def __post_init__(self) -> None:
        if not 1 <= self.latent_dim <= 64:
            raise ValueError(f"latent_dim must be between 1 and 64, got {self.latent_dim}")
        if not 1 <= self.channels <= 4:
            raise ValueError(f"channels must be between 1 and 4, got {self.channels}")
        if self.image_size < 8 or self.image_size % 4 != 0:
            raise ValueError(f"image_size must be a multiple of 4 and at least 8, got {self.image_size}")

    @property
    def feature_size(self) -> int:
        """Side of the 64-channel feature map between the convolutions and the linear layer."""
        return self.image_size // 4

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        return cls(**{key: int(data[key]) for key in ("latent_dim", "channels", "image_size")})


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
