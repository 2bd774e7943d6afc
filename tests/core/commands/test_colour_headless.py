"""A colour (3×32×32) model through everything headless: checkpoint save and open, its run history, `render map` and
`render path` (RGB PNGs whose tiles are the decodes, pixel for pixel) and `render timelapse`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from cifar_testkit import CLASSES, CifarFiles, trust_these_files, write_cifar
from core_testkit import fast_config, state_equal
from PIL import Image

from core.commands.main import main
from core.data.datasets import ImageDataset, ImageSplit
from core.events import Snapshot
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.atlas import mosaic, to_uint8
from core.latent.view import view_of
from core.settings import ModelConfig
from core.timelapse.recording import HistoryRecorder, RunHistory
from core.training.engine import Trainer


def dataset_of(files: CifarFiles) -> ImageDataset:
    """The CIFAR-format files' images, as load_dataset('cifar-10') returns them (that is tested in test_cifar)."""
    return ImageDataset(
        "cifar-10",
        ImageSplit(torch.from_numpy(files.train_images), torch.from_numpy(files.train_labels)),
        ImageSplit(torch.from_numpy(files.test_images), torch.from_numpy(files.test_labels)),
        CLASSES,
    )


@pytest.fixture(scope="module")
def cifar(tmp_path_factory: pytest.TempPathFactory) -> CifarFiles:
    return write_cifar(tmp_path_factory.mktemp("cifar"))


@pytest.fixture(scope="module")
def colour_run(cifar: CifarFiles, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trainer, RunHistory]:
    """A 3×32×32 model trained a few steps with a snapshot after each, its history recorded, saved."""
    config = fast_config(epochs=3, batch_size=25, lr=5e-3, snapshot_interval_s=1e-6, snapshot_budget=1.0)
    trainer = Trainer(dataset_of(cifar), config)
    history = RunHistory()
    recorder = HistoryRecorder(history, trainer.model_config)
    for event in trainer.run():
        recorder.consume(event)
    path = tmp_path_factory.mktemp("model") / "colour.safetensors"
    return save_checkpoint(path, Checkpoint.from_trainer(trainer, history)), trainer, history


def coloured(picture: np.ndarray) -> bool:
    """An RGB picture whose channels really differ somewhere (not grey drawn three times)."""
    p = picture.astype(int)
    return max(np.abs(p[..., 0] - p[..., 1]).max(), np.abs(p[..., 1] - p[..., 2]).max()) > 20


def test_a_colour_checkpoint_opens_with_its_shape_weights_classes_and_history(colour_run) -> None:
    path, trainer, history = colour_run
    checkpoint = load_checkpoint(path)
    assert checkpoint.model_config == ModelConfig(2, 3, 32)
    assert checkpoint.classes == CLASSES and checkpoint.dataset == "cifar-10"
    assert state_equal(checkpoint.model_state, {k: v.cpu() for k, v in trainer.model.state_dict().items()})
    opened = checkpoint.history
    assert opened is not None and len(opened) == len(history) >= 4
    assert opened.display.display_images.shape == (20, 3, 32, 32)
    for mine, theirs in zip(history.frames, opened.frames, strict=True):
        assert mine.step == theirs.step
        assert theirs.reconstructions.shape == (4, 3, 32, 32)
        np.testing.assert_array_equal(mine.reconstructions, theirs.reconstructions)
        np.testing.assert_array_equal(mine.codes, theirs.codes)
    # a frame's decoder (rebuilt from the stored weights) draws colour images of the right shape
    frames = opened.frozen()
    image = frames.view(len(frames) - 1).decode(np.zeros((1, 2), np.float32))
    assert image.shape == (1, 3, 32, 32)


def test_a_colour_checkpoint_resumes_and_trains_on(colour_run, cifar: CifarFiles) -> None:
    path, trainer, _ = colour_run
    resumed = load_checkpoint(path).resume(dataset_of(cifar), epochs=4)
    events = list(resumed.run(snapshots=True))
    assert resumed.progress.step == trainer.progress.step + 4
    last = [e for e in events if isinstance(e, Snapshot)][-1]
    assert last.reconstructions.shape == (4, 3, 32, 32) and last.display_images.shape[1:] == (3, 32, 32)


def test_render_map_of_a_colour_model_is_an_rgb_png_of_its_decodes(
    colour_run, cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, _, _ = colour_run
    trust_these_files(monkeypatch, cifar)  # `render` loads the display images from the CIFAR-format files
    out = tmp_path / "map.png"
    assert main(["render", "map", str(path), "--out", str(out), "--grid", "5", "--range=-2,2,-1,1",
                 "--data-dir", str(cifar.root), "--no-download"]) == 0  # fmt: skip
    with Image.open(out) as png:
        assert png.mode == "RGB"
        picture = np.asarray(png)
    assert picture.shape == (5 * 32, 5 * 32, 3)
    view = view_of(load_checkpoint(path).resume(dataset_of(cifar), device="cpu").snapshot())
    centres = np.linspace(-2 + 0.4, 2 - 0.4, 5), np.linspace(1 - 0.2, -1 + 0.2, 5)
    for row, y in enumerate(centres[1]):
        for column, x in enumerate(centres[0]):
            image, _ = view.decode_at(x, y)
            tile = picture[row * 32 : (row + 1) * 32, column * 32 : (column + 1) * 32]
            expected = to_uint8(image).transpose(1, 2, 0)  # C×H×W → H×W×C: red, green, blue
            assert np.abs(tile.astype(int) - expected.astype(int)).max() <= 1, (row, column)
    assert coloured(picture)


def test_render_path_of_a_colour_model_is_an_rgb_strip_of_its_decodes(
    colour_run, cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, _, _ = colour_run
    trust_these_files(monkeypatch, cifar)
    out = tmp_path / "path.png"
    assert main(["render", "path", str(path), "--from", "0", "--to", "7", "--steps", "6", "--out", str(out),
                 "--data-dir", str(cifar.root), "--no-download"]) == 0  # fmt: skip
    with Image.open(out) as png:
        assert png.mode == "RGB"
        picture = np.asarray(png)
    assert picture.shape == (32, 6 * 32, 3)
    view = view_of(load_checkpoint(path).resume(dataset_of(cifar), device="cpu").snapshot())
    a, b = view.xy[0].astype(np.float64), view.xy[7].astype(np.float64)
    for k, t in enumerate(np.linspace(0.0, 1.0, 6)):
        image, _ = view.decode_at(*((1 - t) * a + t * b))
        expected = to_uint8(image).transpose(1, 2, 0)
        assert np.abs(picture[:, k * 32 : (k + 1) * 32].astype(int) - expected.astype(int)).max() <= 1, k
    assert coloured(picture)


def test_render_timelapse_of_a_colour_model(colour_run, tmp_path: Path) -> None:
    path, _, history = colour_run
    out = tmp_path / "run.gif"
    assert main(["render", "timelapse", str(path), "--out", str(out), "--width", "320"]) == 0
    with Image.open(out) as gif:
        assert gif.n_frames == len(history)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_the_mosaic_draws_grey_or_red_green_blue_and_never_alpha(channels: int) -> None:
    """Tile (r, c) channel k lands at its block of the picture in channel k: no channel swapped, none smeared."""
    rng = np.random.default_rng(channels)
    tiles = rng.integers(0, 256, (2, 3, channels, 4, 5), dtype=np.uint8)
    picture = mosaic(tiles)
    assert picture.shape == ((8, 15) if channels < 3 else (8, 15, 3))
    for row in range(2):
        for column in range(3):
            block = picture[row * 4 : (row + 1) * 4, column * 5 : (column + 1) * 5]
            expected = tiles[row, column, 0] if channels < 3 else tiles[row, column, :3].transpose(1, 2, 0)
            np.testing.assert_array_equal(block, expected)


def test_a_colour_variational_model_trains_saves_and_opens(cifar: CifarFiles, tmp_path: Path) -> None:
    """The L17 network on 3×32×32 images too: finite losses, colour reconstructions, a checkpoint that opens."""
    model = ModelConfig(2, 3, 32, kind="variational", beta=1.0)
    trainer = Trainer(dataset_of(cifar), fast_config(epochs=2, batch_size=25, lr=5e-3), model)
    for _ in trainer.run(snapshots=False):
        pass
    assert len(trainer.progress.batch_losses) == 8 and all(np.isfinite(trainer.progress.batch_losses))
    snapshot = trainer.snapshot()
    assert snapshot.reconstructions.shape == (4, 3, 32, 32) and snapshot.log_variances.shape == (20, 2)
    path = save_checkpoint(tmp_path / "vae.safetensors", Checkpoint.from_trainer(trainer))
    opened = load_checkpoint(path)
    assert opened.model_config == model
    assert state_equal(opened.model_state, {k: v.cpu() for k, v in trainer.model.state_dict().items()})
