"""The lecture's training loop (PIL images, DataLoader, Adam), the yardstick the engine is measured against."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from core.data.datasets import ImageDataset, ImageSplit
from core.model.autoencoder import ConvAutoEncoder
from core.settings import ModelConfig


class _PilImages(Dataset):
    """The lecture's data path: every item becomes a PIL image, then a float tensor through ToTensor."""

    def __init__(self, split: ImageSplit) -> None:
        self._arrays = split.images.numpy()
        self._labels = split.labels.numpy()
        self._to_tensor = transforms.ToTensor()

    def __len__(self) -> int:
        return len(self._arrays)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        array = self._arrays[index]
        image = Image.fromarray(array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0))
        return self._to_tensor(image), int(self._labels[index])


class ReferenceLoop:
    """The lecture's training loop as it was written (L16), the yardstick for the engine.

    torch.manual_seed before the model and the DataLoader, PIL images through ToTensor, DataLoader(batch 32,
    shuffle, no workers), Adam with default options, F.mse_loss, zero_grad/backward/step, loss.item() every step.
    """

    def __init__(
        self, dataset: ImageDataset, device: torch.device, seed: int = 123, batch_size: int = 32, lr: float = 5e-4
    ) -> None:
        self.device = device
        torch.manual_seed(seed)
        self.model = ConvAutoEncoder(ModelConfig(channels=dataset.channels, image_size=dataset.image_size)).to(device)
        self.loader = DataLoader(_PilImages(dataset.train), batch_size=batch_size, shuffle=True, num_workers=0)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epoch_losses: list[float] = []

    def epoch(self) -> Iterator[int]:
        """One epoch, yielding the images of each step; its mean minibatch loss lands in epoch_losses."""
        losses = []
        for features, _ in self.loader:
            features = features.to(self.device)
            loss = F.mse_loss(self.model(features), features)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
            yield len(features)
        self.epoch_losses.append(float(np.mean(losses)))

    def steps(self) -> Iterator[int]:
        """Endless steps, epoch after epoch."""
        while True:
            yield from self.epoch()
