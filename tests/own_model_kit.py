"""Real modules that are not the lecture's, written by the tests into files, as a user's own model code would be."""

from __future__ import annotations

from pathlib import Path

#: An MLP autoencoder of any latent size (the guide's ten-line example, nearly).
MLP = """
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, latent=2, hidden=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid())

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z).view(-1, 1, 28, 28)
"""

#: A convolutional VAE whose encode returns (mu, logvar).
CONV_VAE = """
import torch
from torch import nn


class ConvVAE(nn.Module):
    def __init__(self, latent=2):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        self.mu = nn.Linear(8 * 14 * 14, latent)
        self.logvar = nn.Linear(8 * 14 * 14, latent)
        self.up = nn.Linear(latent, 8 * 14 * 14)
        self.out = nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1)

    def encode(self, x):
        h = self.features(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.out(torch.relu(self.up(z)).view(-1, 8, 14, 14)))
"""

#: A spatial latent (N×2×7×7, as convolutional VAEs such as AutoencoderKL have), pixels in [-1, 1] both ways.
SPATIAL = """
import torch
from torch import nn


class Spatial(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, 4, 4, stride=2, padding=1), nn.ReLU(),
                                  nn.Conv2d(4, 2, 4, stride=2, padding=1))
        self.up = nn.Sequential(nn.ConvTranspose2d(2, 4, 4, stride=2, padding=1), nn.ReLU(),
                                nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1), nn.Tanh())

    def encode(self, x):
        assert x.min() >= -1 and x.max() <= 1
        return self.down(x)

    def decode(self, z):
        return self.up(z)
"""

#: BatchNorm (batch-coupled) and a loss of its own.
BATCH_NORM = """
import torch
from torch import nn


class WithBatchNorm(nn.Module):
    def __init__(self, latent=3):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, latent))
        self.dec = nn.Sequential(nn.Linear(latent, 784), nn.Sigmoid())

    def encode(self, x):
        return self.enc(x)

    def decode(self, z):
        return self.dec(z).view(-1, 1, 28, 28)


class OwnLoss(WithBatchNorm):
    calls = 0

    def forward(self, x):
        return self.decode(self.encode(x))

    def loss(self, x, output):
        OwnLoss.calls += 1
        return torch.nn.functional.l1_loss(output, x)
"""

HOSTILE = {
    "raises": "import torch\nraise RuntimeError('this file refuses to be imported')\n",
    "not_a_module": "class MLP:\n    def encode(self, x):\n        return x\n",
    "wrong_decode": MLP.replace("return self.dec(z).view(-1, 1, 28, 28)", "return self.dec(z).view(-1, 1, 14, 56)"),
    "wrong_encode": MLP.replace("return self.enc(x)", "return self.enc(x)[:1]"),
    "unbounded": MLP.replace(", nn.Sigmoid())", ")"),
    "raises_in_encode": MLP.replace("return self.enc(x)", "raise ValueError('encode is broken on purpose')"),
}


def write_module(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(source)
    return path
