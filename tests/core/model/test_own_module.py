"""A user's own module in the engine: real modules written to files, probed, trained, saved and reopened, compared
with their own encode and decode."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from core_testkit import fast_config
from own_model_kit import BATCH_NORM, CONV_VAE, HOSTILE, MLP, SPATIAL, write_module

from core.events import BatchEnd, Snapshot
from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from core.model.own_code import OwnCodeError, build_module, source_of
from core.model.own_module import OwnModelError, probe
from core.training.engine import Trainer
from core.training.step_runners import OneThreadSteps, SplitSteps, close_steps, make_steps


def _train(config, data, **overrides):
    trainer = Trainer(data, fast_config(**overrides), config)
    events = list(trainer.run())
    return trainer, events


def _reopened_encode(path, images):
    """The saved model's codes through the whole road: file → checkpoint → the user's own class, rebuilt."""
    checkpoint = load_checkpoint(path)
    net = build_module(checkpoint.model_config.source)
    net.load_state_dict(checkpoint.model_state)
    return checkpoint, net.eval()


@pytest.mark.parametrize("latent", [2, 8])
def test_an_mlp_autoencoder_trains_saves_and_reopens_as_its_own_class(latent, tmp_path, digits_subset):
    data = digits_subset(256)
    source = source_of(write_module(tmp_path, "mlp", MLP), "MLP", json.dumps({"latent": latent}))
    config = probe(source, data.train.images, beta=1.0)
    assert (config.latent_dim, config.variational, config.source.code_shape) == (latent, False, (latent,))
    trainer, events = _train(config, data)
    losses = [e.loss for e in events if isinstance(e, BatchEnd)]
    assert len(losses) == 8 and losses[-1] < losses[0]
    path = save_checkpoint(tmp_path / "own.safetensors", Checkpoint.from_trainer(trainer))
    checkpoint, net = _reopened_encode(path, data.train.images)
    assert checkpoint.model_config == config  # the trust record: path, class, args, SHA-256, code shape
    assert set(checkpoint.model_state) == set(net.state_dict()) == {"enc.1.weight", "enc.1.bias", "enc.3.weight",
                                                                    "enc.3.bias", "dec.0.weight", "dec.0.bias",
                                                                    "dec.2.weight", "dec.2.bias"}  # fmt: skip
    snapshot = checkpoint.resume(data, device="cpu", num_threads=1).snapshot()
    with torch.no_grad():
        own = net.encode(trainer.display.images.float() / 255).numpy()
    np.testing.assert_allclose(snapshot.codes, own, atol=1e-5)
    assert checkpoint.optimizer_state is not None  # resumable: Adam's state under the module's parameters


def test_a_conv_vae_with_mu_and_logvar_trains_as_the_lectures_vae(tmp_path, digits_subset):
    data = digits_subset(256)
    source = source_of(write_module(tmp_path, "vae", CONV_VAE), "ConvVAE")
    config = probe(source, data.train.images, beta=2.0)
    assert config.variational and config.latent_dim == 2 and config.beta == 2.0
    trainer, events = _train(config, data)
    steps = [e for e in events if isinstance(e, BatchEnd)]
    assert all(e.kl is not None and e.loss == pytest.approx(e.reconstruction + 2.0 * e.kl, rel=1e-4) for e in steps)
    snapshot = next(e for e in reversed(events) if isinstance(e, Snapshot))
    assert snapshot.log_variances is not None and snapshot.kl_per_dim.shape == (2,)
    with torch.no_grad():  # the panel shows the means
        mean, _ = trainer.model.net.encode(trainer.display.images.float() / 255)
    np.testing.assert_allclose(snapshot.codes, mean.numpy(), atol=1e-5)
    path = save_checkpoint(tmp_path / "vae.safetensors", Checkpoint.from_trainer(trainer))
    assert load_checkpoint(path).progress.batch_loss_parts == trainer.progress.batch_loss_parts


def test_a_spatial_latent_is_flattened_for_the_view_and_unflattened_for_the_decoder(tmp_path, digits_subset):
    data = digits_subset(256)
    source = source_of(
        write_module(tmp_path, "spatial", SPATIAL), "Spatial", input_range=(-1.0, 1.0), output_range=(-1.0, 1.0)
    )
    config = probe(source, data.train.images, beta=1.0)
    assert config.source.code_shape == (2, 7, 7) and config.latent_dim == 98 and config.source.spatial
    assert config.describe() == "your own autoencoder spatial.py:Spatial (its 2×7×7 codes flattened for the view)"
    trainer, events = _train(config, data)
    snapshot = next(e for e in reversed(events) if isinstance(e, Snapshot))
    assert snapshot.codes.shape == (64, 98)
    net = trainer.model.net.eval()
    codes = torch.from_numpy(snapshot.codes[:3])
    with torch.no_grad():
        own = (net.decode(codes.view(3, 2, 7, 7)) + 1) / 2  # its output range, mapped back to 0–1
        ours = snapshot.decoder(codes)
    torch.testing.assert_close(ours, own, atol=1e-5, rtol=1e-5)


def test_batch_norm_trains_on_whole_batches_and_its_step_counts_are_saved(tmp_path, digits_subset):
    data = digits_subset(256)
    source = source_of(write_module(tmp_path, "bn", BATCH_NORM), "WithBatchNorm")
    config = probe(source, data.train.images, beta=1.0)
    trainer = Trainer(data, fast_config(num_threads=2), config)
    assert trainer.model.coupled == ["enc.2"] and not trainer.model.batch_safe
    steps = make_steps(trainer.model, trainer.optimizer, data.train.images, 32, threads=2)
    try:
        # halves would change BatchNorm's statistics: the whole batch (on one thread: the module is light)
        assert isinstance(steps, OneThreadSteps)
    finally:
        close_steps(steps)
    for hidden, halves in ((4096, True), (32, False)):
        code = source_of(write_module(tmp_path, "mlp", MLP), "MLP", json.dumps({"hidden": hidden}))
        plain = Trainer(data, fast_config(num_threads=2), probe(code, data.train.images, beta=1.0))
        steps = make_steps(plain.model, plain.optimizer, data.train.images, 32, threads=2)
        try:
            # a module without batch coupling keeps the engine's halves, unless an image's pass is so light (hidden
            # 32: 0.1 MFLOPs; 4096: 12.8) that a step is mostly bookkeeping: then one thread, the whole batch
            if halves:
                assert isinstance(steps, SplitSteps) and steps.parts == 2
            else:
                assert isinstance(steps, OneThreadSteps)
        finally:
            close_steps(steps)
    list(trainer.run())
    path = save_checkpoint(tmp_path / "bn.safetensors", Checkpoint.from_trainer(trainer))
    state = load_checkpoint(path).model_state
    assert state["enc.2.num_batches_tracked"].dtype == torch.int64 and int(state["enc.2.num_batches_tracked"]) == 8
    torch.testing.assert_close(state["enc.2.running_mean"], trainer.model.net.enc[2].running_mean)


def test_a_modules_own_loss_is_what_trains_it(tmp_path, digits_subset):
    data = digits_subset(256)
    source = source_of(write_module(tmp_path, "own_loss", BATCH_NORM), "OwnLoss")
    config = probe(source, data.train.images, beta=1.0)
    trainer, _ = _train(config, data)
    net = trainer.model.net
    assert type(net).calls == 8  # one call a step, on the whole batch
    net.train()
    x = data.train.images[:32].float() / 255
    with torch.no_grad():
        expected = torch.nn.functional.l1_loss(net(x), x)
    loss, _ = trainer.model.own_training_loss(x)
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)


def test_a_file_that_raises_on_import_is_shown_with_its_traceback(tmp_path, digits_subset):
    path = write_module(tmp_path, "raises", HOSTILE["raises"])
    with pytest.raises(OwnCodeError) as caught:
        probe(source_of(path, "Net"), digits_subset(8).train.images, beta=1.0)
    assert "RuntimeError: this file refuses to be imported" in str(caught.value)
    assert "Traceback" in caught.value.details and str(path) in caught.value.details


def test_a_class_that_is_not_a_module_and_a_missing_class_are_named(tmp_path, digits_subset):
    path = write_module(tmp_path, "plain", HOSTILE["not_a_module"])
    with pytest.raises(OwnCodeError, match=r"MLP in .* is not a torch\.nn\.Module class"):
        probe(source_of(path, "MLP"), digits_subset(8).train.images, beta=1.0)
    with pytest.raises(OwnCodeError, match="has no class Missing"):
        probe(source_of(write_module(tmp_path, "mlp", MLP), "Missing"), digits_subset(8).train.images, beta=1.0)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("wrong_decode", r"decode of codes 4×2 returned 4×1×14×56; expected 4×1×28×28"),
        ("wrong_encode", r"encode of 4 images of 1×28×28 returned 1×2; expected 4×D"),
        ("unbounded", r"outside 0–1\. End the decoder with a sigmoid, or .*--output-range"),
    ],
)
def test_wrong_shapes_and_ranges_are_refused_with_the_shapes_compared(name, message, tmp_path, digits_subset):
    source = source_of(write_module(tmp_path, name, HOSTILE[name]), "MLP")
    with pytest.raises(OwnModelError, match=message):
        probe(source, digits_subset(8).train.images, beta=1.0)


def test_a_changed_or_missing_file_under_a_recorded_hash_is_named(tmp_path, digits_subset):
    data = digits_subset(64)
    code = write_module(tmp_path, "mlp", MLP)
    config = probe(source_of(code, "MLP"), data.train.images, beta=1.0)
    trainer = Trainer(data, fast_config(), config)  # saved untrained: the record is what counts
    path = save_checkpoint(tmp_path / "own.safetensors", Checkpoint.from_trainer(trainer))
    code.write_text(MLP + "\n# edited\n")
    with pytest.raises(CheckpointError, match=r"has changed since this model was saved") as caught:
        load_checkpoint(path)
    assert str(code) in str(caught.value) and "--model-code" in str(caught.value)
    code.unlink()
    with pytest.raises(CheckpointError, match=rf"{code}.* does not exist"):
        load_checkpoint(path)
