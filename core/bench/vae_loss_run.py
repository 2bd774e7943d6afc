"""The VAE loss run (part of --loss-run): L17's settings on digits-5k, the engine and the lecture's loop alternating.

L17 trains latent 2, Adam lr 5e-4, batch 256, 50 epochs, seed 123, β = 1. Both runs take those settings; they
alternate whole epochs so that their speeds are compared under the same conditions, and the final epoch's mean
combined loss (reconstruction + KL per image) of each is reported.
"""

from __future__ import annotations

import math

import torch

from core.bench.common import Progress
from core.bench.figures import Figure, format_seconds
from core.bench.loss_run import alternate_epochs, difference_and_speed
from core.bench.reference_vae import ReferenceVaeLoop
from core.data.datasets import ImageDataset
from core.settings import ModelConfig, TrainConfig
from core.training.engine import Trainer

#: L17's settings (1_VAE_mnist_sigmoid_mse.ipynb).
L17 = {"latent_dim": 2, "lr": 5e-4, "batch_size": 256, "epochs": 50, "seed": 123, "beta": 1.0}


def measure_vae_loss_run(
    dataset: ImageDataset, device: torch.device, say: Progress, epochs: int = L17["epochs"]
) -> list[Figure]:
    """`epochs` epochs of the engine's VAE and of L17's loop on `dataset`, alternating epoch by epoch."""
    config = TrainConfig(
        device=str(device), epochs=epochs, batch_size=L17["batch_size"], lr=L17["lr"], seed=L17["seed"]
    )
    model_config = ModelConfig(
        L17["latent_dim"], dataset.channels, dataset.image_size, kind="variational", beta=L17["beta"]
    )
    reference = ReferenceVaeLoop(
        dataset, device, seed=config.seed, batch_size=config.batch_size, lr=config.lr,
        latent_dim=model_config.latent_dim, beta=model_config.beta,
    )  # fmt: skip
    engine = Trainer(dataset, config, model_config)
    say(f"VAE loss run: {epochs} epochs each at L17's settings, alternating reference and engine epoch by epoch")
    ref_s, eng_s, eng_losses = alternate_epochs(reference, engine, epochs, device, say, "VAE loss run", "loss", ".2f")
    images = len(dataset.train)
    ref_loss, eng_loss = reference.epoch_losses[-1], eng_losses[-1]
    batches = math.ceil(images / config.batch_size)
    return [
        Figure(
            f"VAE epoch-{epochs} mean combined loss per image, engine",
            eng_loss,
            "",
            n=batches,
            detail=f"latent 2, lr 5e-4, batch 256, β 1, seed {config.seed}; {epochs} epochs in "
            f"{format_seconds(sum(eng_s))} ({images * epochs / sum(eng_s):,.0f} img/s)",
        ),
        Figure(
            f"VAE epoch-{epochs} mean combined loss per image, L17 loop",
            ref_loss,
            "",
            n=batches,
            detail=f"PIL + DataLoader, torch.manual_seed({config.seed}) first; {epochs} epochs in "
            f"{format_seconds(sum(ref_s))} ({images * epochs / sum(ref_s):,.0f} img/s)",
        ),
        *difference_and_speed(
            "VAE loss",
            "VAE loss run",
            "L17 loop",
            images,
            (ref_s, ref_loss),
            (eng_s, eng_loss),
            "mean of the last epoch's minibatch losses (reconstruction + KL), each run",
        ),
    ]
