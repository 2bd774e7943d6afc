"""A real latent-8 model trained far enough for its codes to spread beyond a plane: the learned view's tests use it
(core and commands alike)."""

from __future__ import annotations

from core_testkit import fast_config

from core.data.datasets import ImageDataset
from core.settings import ModelConfig
from core.training.engine import Trainer

#: Display images: enough for UMAP's neighbourhoods to mean something, few enough to lay out in a second or two.
DISPLAY = 400


def trained_latent8(digits: ImageDataset, epochs: int = 2) -> Trainer:
    """A latent-8 autoencoder trained `epochs` epochs on digits-5k (the lecture's batch 32 and learning rate, one
    thread, snapshots only at the end): at batch 64 its codes still lay on a line after 2 epochs."""
    config = fast_config(epochs=epochs, batch_size=32, display_size=DISPLAY, snapshot_interval_s=1e9)
    trainer = Trainer(digits, config, ModelConfig(latent_dim=8))
    for _ in trainer.run():
        pass
    return trainer
