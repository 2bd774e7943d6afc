"""The reparameterisation trick with a reproducible ε stream: what every model whose encoder gives a Gaussian over
codes (L17's VAE, a user's module whose `encode` returns `(mu, logvar)`) trains with.

Training draws ε from the model's own generator (seeded with the run's seed) on the CPU, so that a run is
reproducible whatever else uses torch's global generator; on a GPU it uses that device's default generator, which
CUDA graphs can capture.
"""

from __future__ import annotations

import torch

from core.settings import ModelConfig


class GaussianCodes:
    """A mixin for an nn.Module with `moments(x) -> (mean, log_var)`, `decode(z)`, a `config` (its latent size) and
    a `_noise` generator (the class names them, and defines no methods of theirs: it comes first in the bases, and
    a stub here would hide the model's own)."""

    config: ModelConfig
    _noise: torch.Generator

    def restart_noise(self, seed: int, epoch: int, batches_done: int, batch_size: int) -> None:
        """Start epoch `epoch`'s ε stream (fixed by the seed and the epoch), past the batches already done.

        Called by the engine at each epoch's start, so a run stopped mid-epoch and resumed from its checkpoint draws
        exactly the ε the uninterrupted run drew (on the CPU; a GPU draws from its own generator).
        """
        self._noise.manual_seed(seed * 100_003 + epoch)
        for _ in range(batches_done):  # batch by batch, as the steps drew them
            torch.randn((batch_size, self.config.latent_dim), generator=self._noise)

    def noise(self, count: int, device: torch.device) -> torch.Tensor:
        """ε ~ N(0, I) for `count` codes (see the module's docstring for which generator)."""
        shape = (count, self.config.latent_dim)
        if device.type == "cpu":
            return torch.randn(shape, generator=self._noise)
        return torch.randn(shape, device=device)

    def sample_forward(
        self, x: torch.Tensor, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training's pass: (decoded sample, mean, log-variance); z = μ + exp(logvar / 2) · ε."""
        mean, log_var = self.moments(x)
        eps = self.noise(len(x), x.device) if noise is None else noise.to(x.device)
        return self.decode(mean + torch.exp(0.5 * log_var) * eps), mean, log_var
