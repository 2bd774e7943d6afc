"""The engine training a user's own module against a plain PyTorch loop over the same module and data.

The issue's bar: the engine trains a user's module at ≥ 0.95× the loop a user would write themselves: the images in
memory, a shuffled permutation per epoch, the batch made float, MSE, zero_grad / backward / Adam's step, the loss
read every step. Both train the same freshly seeded module for one epoch at the same torch thread count; the two
are interleaved (A B A B …) so that a change in the machine's load falls on both, and the medians are compared.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.bench.common import Progress
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.model.own_module import probe
from core.settings import ModelSource, TrainConfig
from core.training.engine import Trainer


@dataclass(frozen=True)
class OwnModelFigure:
    engine_images_per_s: float
    plain_images_per_s: float
    rounds: int

    @property
    def ratio(self) -> float:
        return self.engine_images_per_s / self.plain_images_per_s

    def line(self) -> str:
        return (
            f"your own module: engine {self.engine_images_per_s:,.0f} img/s, plain PyTorch loop "
            f"{self.plain_images_per_s:,.0f} img/s, ratio {self.ratio:.2f} "
            f"(medians of {self.rounds} interleaved rounds)"
        )


def _plain_epoch(source: ModelSource, data: ImageDataset, batch: int, seed: int) -> float:
    """One epoch of the loop a user would write; images per second."""
    from core.model.own_code import build_module

    torch.manual_seed(seed)
    net = build_module(source)
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-4)
    images = data.train.images
    start = time.perf_counter()
    order = torch.randperm(len(images))
    for i in range(0, len(images), batch):
        x = images[order[i : i + batch]].float() / 255
        loss = F.mse_loss(net.decode(net.encode(x)), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()
    return len(images) / (time.perf_counter() - start)


def _engine_epoch(source: ModelSource, data: ImageDataset, batch: int, seed: int, threads: int) -> float:
    config = probe(source, data.train.images, beta=1.0)
    trainer = Trainer(
        data, TrainConfig(epochs=1, batch_size=batch, seed=seed, device="cpu", num_threads=threads), config
    )
    start = time.perf_counter()
    for _ in trainer.run(snapshots=False):
        pass
    return len(data.train) / (time.perf_counter() - start)


def measure_own_model(source: ModelSource, data: ImageDataset, rounds: int = 5, batch: int = 32) -> OwnModelFigure:
    """Interleaved epochs of the engine and of the plain loop, at the calling thread's torch thread count."""
    threads = torch.get_num_threads()
    engine, plain = [], []
    _plain_epoch(source, data, batch, 0)  # warm-up: first allocations, the file's import
    for round_ in range(rounds):
        engine.append(_engine_epoch(source, data, batch, round_, threads))
        torch.set_num_threads(threads)  # the engine sets the count of the thread it trains on: the same here
        plain.append(_plain_epoch(source, data, batch, round_))
    return OwnModelFigure(statistics.median(engine), statistics.median(plain), rounds)


#: The guide's ten-line example (docs/guide/own-model.md): what a user brings, written to a file as they would.
GUIDE_EXAMPLE = """from torch import nn

class TinyAE(nn.Module):
    def __init__(self, latent=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, latent))
        self.dec = nn.Sequential(nn.Linear(latent, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid())
    def encode(self, x):
        return self.enc(x)
    def decode(self, z):
        return self.dec(z).view(-1, 1, 28, 28)
"""

#: The issue's bar for the engine against the plain loop.
OWN_MODEL_GOAL = 0.95


def measure_own_model_section(dataset: ImageDataset, quick: bool, say: Progress) -> list[Figure]:
    """`bench`'s figure for a user's module: the guide's example, engine ÷ plain loop (medians, interleaved)."""
    import tempfile
    from pathlib import Path

    from core.model.own_code import source_of

    rounds = 7 if quick else 11  # an epoch of the MLP takes a quarter second: enough rounds for a steady median
    say(f"your own module: the guide's TinyAE, engine and a plain PyTorch loop, one epoch each ×{rounds}, in turn")
    with tempfile.TemporaryDirectory(prefix="convae-own-bench-") as folder:
        code = Path(folder) / "tiny.py"
        code.write_text(GUIDE_EXAMPLE)
        figure = measure_own_model(source_of(code, "TinyAE"), dataset, rounds=rounds)
    return [
        Figure(
            "your own module (the guide's TinyAE, batch 32): engine ÷ a plain PyTorch loop",
            figure.ratio,
            "×",
            goal=f"≥ {OWN_MODEL_GOAL:g}",
            met=figure.ratio >= OWN_MODEL_GOAL,
            n=rounds,
            detail=f"engine {figure.engine_images_per_s:,.0f} img/s, plain loop {figure.plain_images_per_s:,.0f} "
            f"img/s, medians of {rounds} interleaved epochs at {torch.get_num_threads()} torch threads",
        )
    ]
