"""The folded decoder (core.model.fast_decode) draws the plain decoder's images, for every model the app builds, and the
view's hover, map and path decodes agree with one another through it."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from core_testkit import fast_config
from torch import nn

from core.latent.atlas import PathEnd, data_range, decode_map, decode_path, path_between, to_uint8
from core.latent.view import view_of
from core.model.fast_decode import ONE_THREAD_BATCH, FastDecoder, map_batch
from core.model.vae import build_network
from core.settings import ModelConfig
from core.training.engine import Trainer, preferred_memory_format


def snapshot_decoder(config: ModelConfig, seed: int) -> nn.Module:
    """A decoder as take_snapshot hands it to the window: a CPU copy, channels_last, eval mode, no gradients."""
    torch.manual_seed(seed)
    model = build_network(config)
    with torch.no_grad():  # livelier weights than the initial ones: the images then differ from code to code
        for parameter in model.decoder.parameters():
            parameter.mul_(2.0)
    cpu = torch.device("cpu")
    decoder = copy.deepcopy(model.decoder).to(cpu, memory_format=preferred_memory_format(cpu)).eval()
    return decoder.requires_grad_(False)


@pytest.mark.parametrize("kind", ["autoencoder", "variational"])
@pytest.mark.parametrize("latent", [2, 6])
@pytest.mark.parametrize(("channels", "size"), [(1, 28), (3, 32)])
def test_the_folded_decoder_draws_the_plain_decoders_images(kind, latent, channels, size) -> None:
    decoder = snapshot_decoder(ModelConfig(latent, channels, size, kind=kind), seed=latent + channels)
    fast = FastDecoder(decoder)
    assert fast.folded  # the fast path itself is what is checked, not a fallback to the plain decoder
    codes = torch.from_numpy(np.random.default_rng(latent).normal(0.0, 3.0, (150, latent)).astype(np.float32))
    with torch.inference_mode():
        plain, folded = decoder(codes).numpy(), fast(codes).numpy()
        single = np.concatenate([fast(codes[i : i + 1]).numpy() for i in range(0, 150, 37)])
    assert folded.shape == plain.shape == (150, channels, size, size)
    assert plain.std(axis=0).mean() > 1e-3  # the codes draw different images: equality below means something
    np.testing.assert_allclose(folded, plain, atol=1e-5)
    assert np.abs(to_uint8(folded).astype(int) - to_uint8(plain).astype(int)).max() <= 1
    np.testing.assert_allclose(single, plain[::37], atol=1e-5)  # one code at a time (the hover) as in a batch


def test_a_decoder_of_another_shape_is_run_as_it_is() -> None:
    decoder = nn.Sequential(nn.Linear(2, 12), nn.Tanh()).eval()
    fast = FastDecoder(decoder)
    codes = torch.randn(5, 2)
    assert not fast.folded
    with torch.inference_mode():
        assert torch.equal(fast(codes), decoder(codes))


def test_the_map_batch_follows_the_thread_count() -> None:
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert map_batch() == ONE_THREAD_BATCH
        torch.set_num_threads(2)
        assert map_batch() >= 400  # a 20×20 map in one batch
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("latent", [2, 6])
def test_hover_map_and_path_decode_the_same_images(digits, latent) -> None:
    view = view_of(Trainer(digits, fast_config(display_size=200), ModelConfig(latent, 1, 28)).snapshot())
    area = data_range(view)
    decoded = decode_map(view, area, 7)
    plain = view.snapshot.decoder
    for row, column in [(0, 0), (3, 5), (6, 6)]:
        x, y = decoded.centres[row, column]
        hover, code = view.decode_at(x, y)
        np.testing.assert_allclose(decoded.tiles[row, column], hover, atol=1e-5)  # batch kernels round differently
        with torch.inference_mode():
            reference = plain(torch.from_numpy(code[None].astype(np.float32))).numpy()[0]
        np.testing.assert_allclose(hover, reference, atol=1e-5)
    path = path_between(view, PathEnd(tuple(decoded.centres[0, 0])), PathEnd(tuple(decoded.centres[6, 6])), 5)
    frames = decode_path(view, path)
    np.testing.assert_allclose(frames[0], decoded.tiles[0, 0], atol=1e-5)
    np.testing.assert_allclose(frames[-1], decoded.tiles[6, 6], atol=1e-5)


def test_the_map_thread_takes_both_cores_only_while_no_run_trains_and_the_machine_is_quiet() -> None:
    from core.runs.backend import map_threads

    assert map_threads(training=False, load=0.3, cores=2) == 2
    assert map_threads(training=False, load=None, cores=2) == 2  # no load average (Windows): as on a quiet machine
    assert map_threads(training=True, load=0.3, cores=2) == 1  # training keeps its cores, the window its own
    assert map_threads(training=False, load=9.0, cores=2) == 1  # other programs busy: a second thread only waits
    assert map_threads(training=False, load=0.0, cores=1) == 1
    assert map_threads(training=False, load=1.0, cores=16) == 2
