"""The network's sizes follow the data's channels C and side S: every part of core that handles images (the
model, the folded decoder, snapshots and their decoded maps, the time-lapse history, checkpoints) works at C=3 and
S=32 or 64 as at MNIST's 1×28, and the lecture's 28×28 network keeps its exact layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config, state_equal
from torch import nn

from core.data.datasets import ImageDataset, ImageSplit
from core.events import Snapshot
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.atlas import data_range, decode_map, mosaic
from core.latent.view import view_of
from core.model.autoencoder import ConvAutoEncoder, count_parameters
from core.model.fast_decode import FastDecoder
from core.model.vae import build_network
from core.settings import ModelConfig
from core.timelapse.recording import HistoryRecorder, RunHistory
from core.training.engine import Trainer, TrainingControl

SHAPES = [(1, 28), (3, 32), (1, 64)]
KINDS = ["autoencoder", "variational"]


def test_the_lecture_network_keeps_its_layers_and_200963_parameters() -> None:
    model = ConvAutoEncoder(ModelConfig(latent_dim=2, channels=1, image_size=28))
    assert count_parameters(model) == 200_963
    layers = [(type(m).__name__, tuple(getattr(m, "weight", torch.empty(0)).shape)) for m in model.modules()]
    convolutions = [shape for name, shape in layers if name in ("Conv2d", "ConvTranspose2d", "Linear")]
    assert convolutions == [
        (32, 1, 3, 3), (64, 32, 3, 3), (64, 64, 3, 3), (64, 64, 3, 3), (2, 3136),  # encoder
        (3136, 2), (64, 64, 3, 3), (64, 64, 3, 3), (64, 32, 3, 3), (32, 1, 3, 3),  # decoder
    ]  # fmt: skip
    assert model.decoder[1].shape == (64, 7, 7)
    assert model.decoder[-2].size == 28  # the trim of the 29×29 output


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("channels", "size"), SHAPES)
def test_layer_sizes_follow_channels_and_size(kind: str, channels: int, size: int) -> None:
    model = build_network(ModelConfig(3, channels, size, kind=kind))
    flat = 64 * (size // 4) ** 2
    first = model.encoder[0]
    assert (first.in_channels, model.decoder[-3].out_channels) == (channels, channels)
    assert model.decoder[0].out_features == flat
    heads = [model.z_mean, model.z_log_var] if kind == "variational" else [model.encoder[-1]]
    assert all(head.in_features == flat for head in heads)
    x = torch.rand(4, channels, size, size)
    with torch.no_grad():
        assert model.encode(x).shape == (4, 3)
        assert model.decode(model.encode(x)).shape == x.shape


def patterned_dataset(channels: int, size: int, count: int = 48) -> ImageDataset:
    """Three classes of images that differ (a bright square in a class's own corner, and per-channel tints)."""
    generator = torch.Generator().manual_seed(channels * size)
    images = torch.randint(0, 60, (count, channels, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.arange(count) % 3
    half = size // 2
    for i, label in enumerate(labels.tolist()):
        rows, cols = [(slice(0, half), slice(0, half)), (slice(half, None), slice(0, half)),
                      (slice(0, half), slice(half, None))][label]  # fmt: skip
        images[i, label % channels, rows, cols] = 230
    return ImageDataset(f"test-{channels}x{size}", ImageSplit(images, labels), None, ("a", "b", "c"))


def trained_with_history(dataset: ImageDataset, kind: str) -> tuple[Trainer, RunHistory, Snapshot]:
    config = ModelConfig(2, dataset.channels, dataset.image_size, kind=kind)
    trainer = Trainer(dataset, fast_config(epochs=1, batch_size=16), config)
    history = RunHistory()
    recorder = HistoryRecorder(history, config)
    snapshot = None
    for event in trainer.run(TrainingControl()):
        recorder.consume(event)
        if isinstance(event, Snapshot):
            snapshot = event
    assert snapshot is not None
    return trainer, history, snapshot


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("channels", "size"), SHAPES)
def test_snapshots_maps_fast_decode_and_checkpoints_at_every_shape(
    tmp_path: Path, kind: str, channels: int, size: int
) -> None:
    dataset = patterned_dataset(channels, size)
    trainer, history, snapshot = trained_with_history(dataset, kind)
    shape = (channels, size, size)
    view = view_of(snapshot)

    # the snapshot's samples and its map tiles are the data's shape; a mosaic keeps the colour
    assert tuple(snapshot.originals.shape[1:]) == shape
    assert tuple(snapshot.reconstructions.shape[1:]) == shape
    assert tuple(snapshot.display_images.shape[1:]) == shape
    tiles = decode_map(view, data_range(view), columns=4).tiles
    assert tiles.shape == (4, 4, *shape)
    picture = mosaic(tiles)
    assert picture.shape == ((4 * size, 4 * size) if channels == 1 else (4 * size, 4 * size, 3))

    # the folded decoder draws the plain decoder's images at this shape too
    decoder: nn.Module = snapshot.decoder
    fast = FastDecoder(decoder)
    assert fast.folded and fast.feature_shape == (64, size // 4, size // 4)
    codes = torch.from_numpy(np.random.default_rng(size).normal(0, 2, (40, 2)).astype(np.float32))
    with torch.inference_mode():
        plain, folded = decoder(codes), fast(codes)
    assert folded.shape == (40, *shape)
    torch.testing.assert_close(folded, plain, atol=1e-5, rtol=0)

    # a checkpoint with its time-lapse round-trips, and the loaded history decodes at this shape
    assert len(history) >= 1
    path = save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer, history))
    loaded = load_checkpoint(path)
    assert loaded.model_config == ModelConfig(2, channels, size, kind=kind)
    assert state_equal(loaded.model_state, Checkpoint.from_trainer(trainer).model_state)
    assert loaded.history is not None and len(loaded.history) == len(history)
    frames = loaded.history.frozen()
    old_view = frames.view(len(frames) - 1)
    assert old_view.decode(np.zeros((2, 2), np.float32)).shape == (2, *shape)
    resumed = loaded.resume(dataset, epochs=2)
    assert resumed.model_config.channels == channels
    with torch.no_grad():
        again = view_of(resumed.snapshot()).decode(codes.numpy())
    np.testing.assert_allclose(again, plain.numpy(), atol=1e-5)
