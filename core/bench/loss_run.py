"""The loss run (--loss-run): 20 epochs of the engine and of the reference loop, alternating epoch by epoch."""

from __future__ import annotations

import math
import time

import torch

from core.bench.common import Progress, median, spread, synchronize
from core.bench.figures import Figure, format_seconds
from core.bench.reference import ReferenceLoop
from core.data.datasets import ImageDataset
from core.events import EpochEnd
from core.settings import TrainConfig
from core.training.control import TrainingControl
from core.training.engine import Trainer

#: The reference run's 20th-epoch MSE on digits-5k (seed 123).
REFERENCE_MSE = 0.044


def measure_loss_run(dataset: ImageDataset, device: torch.device, say: Progress, epochs: int = 20) -> list[Figure]:
    """20 epochs of digits-5k with the engine (defaults, seed 123) and with the reference loop, epoch by epoch.

    The two runs alternate whole epochs, so their speeds are compared under the same conditions.
    """
    config = TrainConfig(device=str(device), epochs=epochs)
    reference = ReferenceLoop(dataset, device, seed=config.seed, batch_size=config.batch_size, lr=config.lr)
    engine = Trainer(dataset, config)
    say(f"loss run: {epochs} epochs each, alternating reference and engine epoch by epoch")
    ref_s, eng_s, eng_losses = alternate_epochs(reference, engine, epochs, device, say, "loss run", "MSE", ".4f")
    images = len(dataset.train)
    ref_mse, eng_mse = reference.epoch_losses[-1], eng_losses[-1]
    return [
        Figure(
            f"epoch-{epochs} mean training MSE, engine",
            eng_mse,
            "",
            n=math.ceil(images / config.batch_size),
            detail=f"seed {config.seed}, defaults; {epochs} epochs in {format_seconds(sum(eng_s))} "
            f"({images * epochs / sum(eng_s):,.0f} img/s)",
        ),
        Figure(
            f"epoch-{epochs} mean training MSE, reference loop",
            ref_mse,
            "",
            n=math.ceil(images / config.batch_size),
            detail=f"torch.manual_seed({config.seed}) first, as the lecture; it reached ≈{REFERENCE_MSE} on this data; "
            f"{epochs} epochs in {format_seconds(sum(ref_s))} ({images * epochs / sum(ref_s):,.0f} img/s)",
        ),
        *difference_and_speed(
            "MSE",
            "loss run",
            "reference",
            images,
            (ref_s, ref_mse),
            (eng_s, eng_mse),
            "mean of the last epoch's minibatch losses, each run",
        ),
    ]


def alternate_epochs(
    reference, engine: Trainer, epochs: int, device: torch.device, say: Progress, label: str, loss: str, form: str
) -> tuple[list[float], list[float], list[float]]:
    """Train `reference` (an object with epoch() and epoch_losses) and `engine` whole epochs in turn, so their speeds
    are compared under the same conditions; their seconds per epoch and the engine's epoch losses."""
    events = engine.run(TrainingControl(), snapshots=False)
    ref_s, eng_s, eng_losses = [], [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        for _ in reference.epoch():
            pass
        synchronize(device)
        ref_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        for event in events:
            if isinstance(event, EpochEnd):
                eng_losses.append(event.mean_loss)
                break
        synchronize(device)
        eng_s.append(time.perf_counter() - start)
        say(
            f"{label}: epoch {epoch + 1}/{epochs}  reference {loss} {reference.epoch_losses[-1]:{form}} "
            f"({ref_s[-1]:.1f} s)  engine {loss} {eng_losses[-1]:{form}} ({eng_s[-1]:.1f} s)"
        )
    events.close()
    return ref_s, eng_s, eng_losses


def difference_and_speed(
    loss: str,
    run: str,
    reference: str,
    images: int,
    reference_run: tuple[list[float], float],
    engine_run: tuple[list[float], float],
    detail: str,
) -> list[Figure]:
    """The two verdicts of a loss run: final losses within 5 % of each other, and the engine at least as fast.

    Each run is (seconds per epoch, final epoch's loss); speeds are the ratio of median epoch times.
    """
    (ref_s, ref_loss), (eng_s, eng_loss) = reference_run, engine_run
    difference = abs(eng_loss - ref_loss) / ref_loss
    ref_rate, eng_rate = images / median(ref_s), images / median(eng_s)
    per_epoch = [r / e for r, e in zip(ref_s, eng_s, strict=True)]
    return [
        Figure(
            f"{loss} difference, |engine − {reference}| ÷ {reference}",
            100 * difference,
            "%",
            goal="≤ 5",
            met=difference <= 0.05,
            n=1,
            detail=detail,
        ),
        Figure(
            f"{run} speed, engine ÷ {reference}",
            eng_rate / ref_rate,
            "×",
            goal="≥ 1",
            met=eng_rate >= ref_rate,
            n=len(ref_s),
            detail=f"ratio of median epoch times, epochs alternating; per-epoch {spread(per_epoch, '.2f')}; "
            f"engine {eng_rate:,.0f} img/s, {reference} {ref_rate:,.0f} img/s",
        ),
    ]
