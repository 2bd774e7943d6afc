"""The variational autoencoder (L17): its loss, its KL per dimension, the collapse verdict, training and checkpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config, state_equal
from safetensors.torch import load_file, save_file

from core.data.datasets import ImageDataset
from core.events import BatchEnd, Snapshot
from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from core.latent.view import view_of
from core.model.autoencoder import ConvAutoEncoder
from core.model.diagnostics import CollapseVerdict
from core.model.vae import ConvVAE, kl_per_dimension, posterior_collapse, training_loss
from core.runs.records import describe_run
from core.settings import ModelConfig, check_model_kind
from core.training.engine import Trainer, TrainingControl, build_model, build_optimizer
from core.training.step_runners import EagerSteps, SplitSteps

VAE = ModelConfig(latent_dim=2, kind="variational", beta=1.0)


def test_the_vae_is_l17s_network() -> None:
    model = build_model(VAE, 123)
    assert isinstance(model, ConvVAE)
    assert (model.z_mean.in_features, model.z_mean.out_features) == (3136, 2)
    assert (model.z_log_var.in_features, model.z_log_var.out_features) == (3136, 2)
    plain = build_model(ModelConfig(latent_dim=2), 123)
    assert type(plain) is ConvAutoEncoder
    assert [type(m) for m in model.encoder] == [type(m) for m in plain.encoder][:-1]  # same convolutions
    assert str(model.decoder) == str(plain.decoder)
    x = torch.rand(3, 1, 28, 28)
    model.eval()
    assert torch.equal(model.encode(x), model.moments(x)[0])  # the panel shows the means


def test_vae_loss_equals_a_hand_computation_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(latent_dim=3, kind="variational", beta=2.5), 7).double()
    x = torch.rand(5, 1, 28, 28, dtype=torch.float64)
    noise = torch.randn(5, 3, dtype=torch.float64)
    loss, report = training_loss(model, x, noise=noise)
    with torch.no_grad():
        features = model.encoder(x)
        mu, logvar = model.z_mean(features), model.z_log_var(features)
        decoded = model.decoder(mu + torch.exp(logvar / 2) * noise)
        # by hand, image by image and dimension by dimension
        recon = sum(float(((decoded[i] - x[i]) ** 2).sum()) for i in range(5)) / 5
        kl = 0.0
        for i in range(5):
            for d in range(3):
                m, lv = float(mu[i, d]), float(logvar[i, d])
                kl += -0.5 * (1 + lv - m * m - np.exp(lv))
        kl /= 5
    assert float(report[1]) == pytest.approx(recon, rel=1e-12)
    assert float(report[2]) == pytest.approx(kl, rel=1e-9)
    assert float(loss.detach()) == pytest.approx(recon + 2.5 * kl, rel=1e-12)
    assert float(report[0]) == float(loss.detach())


def test_kl_per_dimension_is_the_closed_form() -> None:
    rng = np.random.default_rng(3)
    means, log_vars = rng.normal(size=(50, 4)), rng.normal(scale=0.5, size=(50, 4))
    expected = [
        float(
            torch.distributions.kl_divergence(
                torch.distributions.Normal(torch.tensor(means[:, d]), torch.tensor(np.exp(log_vars[:, d] / 2))),
                torch.distributions.Normal(0.0, 1.0),
            ).mean()
        )
        for d in range(4)
    ]
    np.testing.assert_allclose(kl_per_dimension(means, log_vars), expected, rtol=1e-10)
    assert np.allclose(kl_per_dimension(np.zeros((3, 2)), np.zeros((3, 2))), 0)  # N(0, I) itself: no information


def test_half_batches_give_the_whole_batchs_vae_loss_and_gradient(digits_subset) -> None:
    """SplitSteps' two threads must train the VAE exactly as one eager step does (same ε, same sums)."""
    images = digits_subset(64).train.images
    indices = torch.arange(32)
    results = []
    for runner in (EagerSteps, SplitSteps):
        model = build_model(VAE, 5)
        optimizer = build_optimizer(model, 1e-3)
        steps = runner(model, optimizer, images)
        report = steps(indices)
        results.append((report, {k: v.clone() for k, v in model.state_dict().items()}))
        if isinstance(steps, SplitSteps):
            steps.close()
    (eager_report, eager_state), (split_report, split_state) = results
    torch.testing.assert_close(split_report, eager_report, rtol=1e-5, atol=1e-5)
    for key in eager_state:
        torch.testing.assert_close(split_state[key], eager_state[key], rtol=1e-4, atol=1e-5)


def vae_trainer(dataset: ImageDataset, beta: float = 1.0, **config: object) -> Trainer:
    model_config = ModelConfig(2, dataset.channels, dataset.image_size, kind="variational", beta=beta)
    return Trainer(dataset, fast_config(**{"batch_size": 16, **config}), model_config)


def test_a_vae_trains_reporting_its_loss_parts_and_snapshots_its_spread(digits_subset) -> None:
    dataset = digits_subset(64)
    runs = []
    for _ in range(2):
        trainer = vae_trainer(dataset, beta=3.0)
        events = list(trainer.run(TrainingControl()))
        runs.append(trainer.progress.batch_losses)
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batches) == 4 and runs[0] == runs[1]  # same seed, same run, ε included
    for event in batches:
        assert event.loss == pytest.approx(event.reconstruction + 3.0 * event.kl, rel=1e-5)
        assert event.kl >= 0 and event.reconstruction > 0
    snapshot = [e for e in events if isinstance(e, Snapshot)][-1]
    assert snapshot.beta == 3.0 and snapshot.log_variances.shape == snapshot.codes.shape
    np.testing.assert_allclose(snapshot.kl_per_dim, kl_per_dimension(snapshot.codes, snapshot.log_variances))
    view = view_of(snapshot)  # latent 2: the plane is the codes' own axes, so the ellipse's axes are the σs
    sigmas = sorted(np.exp(snapshot.log_variances[0].astype(np.float64) / 2), reverse=True)
    major, minor, angle = view.sigma_ellipse(0)
    assert (major, minor) == pytest.approx(sigmas, rel=1e-6) and angle % 90 == pytest.approx(0, abs=1e-6)
    plain = Trainer(dataset, fast_config(batch_size=16))
    plain_events = list(plain.run(TrainingControl()))
    assert all(e.kl is None for e in plain_events if isinstance(e, BatchEnd))  # the autoencoder reports only MSE
    assert [e for e in plain_events if isinstance(e, Snapshot)][-1].kl_per_dim is None


@pytest.mark.parametrize("threads", [1, 2])
def test_a_stopped_and_resumed_vae_run_is_the_uninterrupted_one(tmp_path: Path, digits_subset, threads: int) -> None:
    """ε included: stopped mid-epoch, saved, loaded and resumed, the VAE gives the same losses and weights."""
    dataset = digits_subset(64)
    whole = vae_trainer(dataset, epochs=2, num_threads=threads)
    list(whole.run(TrainingControl(), snapshots=False))
    stopped = vae_trainer(dataset, epochs=2, num_threads=threads)
    control = TrainingControl()
    for event in stopped.run(control, snapshots=False):
        if isinstance(event, BatchEnd) and event.step == 3:
            control.stop()
    assert stopped.progress.batch_in_epoch == 3
    path = save_checkpoint(tmp_path / "vae.safetensors", Checkpoint.from_trainer(stopped))
    resumed = load_checkpoint(path).resume(dataset)
    list(resumed.run(TrainingControl(), snapshots=False))
    assert resumed.progress.batch_losses == whole.progress.batch_losses
    assert state_equal(resumed.model.state_dict(), whole.model.state_dict())


def test_a_large_beta_collapses_the_posterior_and_the_verdict_says_what_to_try(digits_subset) -> None:
    trainer = vae_trainer(digits_subset(2000), beta=20.0, batch_size=64, lr=1e-3)
    control = TrainingControl()
    for event in trainer.run(control, snapshots=False):
        if isinstance(event, BatchEnd) and event.step == 45:
            control.stop()
    snapshot = trainer.snapshot()
    message = posterior_collapse(snapshot.kl_per_dim, snapshot.beta)
    assert message is not None, snapshot.kl_per_dim
    assert "2 of 2 latent dimensions" in message and "smaller β (now 20; e.g. 5)" in message
    assert view_of(snapshot).posterior_collapse == message


def trained_until(trainer: Trainer, last_step: int) -> list[Snapshot]:
    """Snapshots of a real run at step 0 and at `last_step`, where it is stopped."""
    control, snapshots = TrainingControl(), [trainer.snapshot()]
    for event in trainer.run(control, snapshots=False):
        if isinstance(event, BatchEnd) and event.step == last_step:
            snapshots.append(trainer.snapshot())
            control.stop()
    return snapshots


def test_no_collapse_verdict_before_training_has_had_its_chance_then_one_per_snapshot(digits_subset) -> None:
    """Issue 25, defect 1: every VAE was called collapsed at step 0 (an untrained encoder's KL is ~1e-4 nats).

    L17's β = 1 trained a little is not collapsed; β = 20 is; neither is judged at step 0; each snapshot is judged
    afresh, so the verdict the view carries changes as training goes on.
    """
    dataset = digits_subset(2000)
    healthy_start, healthy = trained_until(vae_trainer(dataset, beta=1.0, batch_size=32, epochs=5), 60)
    collapsing_start, collapsed = trained_until(vae_trainer(dataset, beta=20.0, batch_size=64, lr=1e-3, epochs=5), 60)
    for start in (healthy_start, collapsing_start):
        assert posterior_collapse(start.kl_per_dim, start.beta) is not None  # the KL alone would cry collapse
        verdict = view_of(start).posterior
        assert not verdict.judged and not verdict.collapsed and verdict.warning is None
        assert verdict.text.startswith("Too early to judge posterior collapse")
        assert view_of(start).posterior_collapse is None
    assert view_of(healthy).posterior == CollapseVerdict(
        judged=True, collapsed=False, text="No posterior collapse: 2 of 2 latent dimensions carry information."
    ), healthy.kl_per_dim
    assert view_of(healthy).posterior_collapse is None
    verdict = view_of(collapsed).posterior
    assert verdict.judged and verdict.collapsed, collapsed.kl_per_dim
    assert verdict.warning == verdict.text == posterior_collapse(collapsed.kl_per_dim, 20.0)
    assert view_of(collapsed).posterior_collapse == verdict.text and "smaller β (now 20" in verdict.text
    plain = Trainer(dataset, fast_config(batch_size=16))
    assert view_of(plain.snapshot()).posterior is None  # an autoencoder has no posterior to judge


def test_the_collapse_verdict_needs_most_dimensions_inactive() -> None:
    assert posterior_collapse(np.array([0.001, 2.0]), 1.0) is None  # one active unit of two
    assert posterior_collapse(np.array([0.001, 0.002, 2.0]), 1.0) is not None
    assert posterior_collapse(None, 1.0) is None


@pytest.mark.parametrize("kind", ["autoencoder", "variational"])
def test_both_kinds_round_trip_and_resume(tmp_path: Path, digits_subset: Callable, kind: str) -> None:
    dataset = digits_subset(64)
    model_config = ModelConfig(2, 1, 28, kind=kind, beta=4.0 if kind == "variational" else 1.0)
    trainer = Trainer(dataset, fast_config(batch_size=16), model_config)
    list(trainer.run(TrainingControl(), snapshots=False))
    saved = Checkpoint.from_trainer(trainer)
    loaded = load_checkpoint(save_checkpoint(tmp_path / f"{kind}.safetensors", saved))
    assert loaded.model_config == model_config and loaded.model_config.kind == kind
    assert state_equal(loaded.model_state, saved.model_state)
    assert loaded.progress.batch_losses == saved.progress.batch_losses
    assert isinstance(loaded.build_model(), ConvVAE) == (kind == "variational")
    resumed = loaded.resume(dataset, epochs=2)
    assert isinstance(resumed.model, ConvVAE) == (kind == "variational")
    assert any(isinstance(e, BatchEnd) for e in resumed.run(TrainingControl(), snapshots=False))


def rewrite_meta(source: Path, target: Path, edit: Callable[[dict], None]) -> Path:
    tensors = load_file(str(source))
    from safetensors import safe_open

    with safe_open(str(source), framework="pt") as reader:
        metadata = dict(reader.metadata())
    meta = json.loads(metadata["convae_explorer"])
    edit(meta)
    save_file(tensors, str(target), metadata={"convae_explorer": json.dumps(meta)})
    return target


def test_an_autoencoder_checkpoint_from_before_model_kinds_still_opens(tmp_path: Path, digits_subset) -> None:
    trainer = Trainer(digits_subset(64), fast_config(batch_size=16))
    path = save_checkpoint(tmp_path / "new.safetensors", Checkpoint.from_trainer(trainer))

    def drop_kind(meta: dict) -> None:
        del meta["model_config"]["kind"], meta["model_config"]["beta"]

    old = load_checkpoint(rewrite_meta(path, tmp_path / "old.safetensors", drop_kind))
    assert old.model_config.kind == "autoencoder" and type(old.build_model()) is ConvAutoEncoder


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m["model_config"].update(kind="diffusion"), "model kind must be one of"),
        (lambda m: m["model_config"].update(kind=3), "model kind must be a name"),
        (lambda m: m["model_config"].update(beta=0), "β must be > 0"),
        (lambda m: m["model_config"].update(beta=25.0), "β must be > 0 and ≤ 20"),
        (lambda m: m["model_config"].update(beta="one"), "β must be a number"),
        (lambda m: m["model_config"].update(kind="variational"), "tensor 'model.z_mean.weight' is missing"),
    ],
)
def test_bad_model_metadata_is_refused(tmp_path: Path, digits_subset, edit: Callable, message: str) -> None:
    trainer = Trainer(digits_subset(64), fast_config(batch_size=16))
    path = save_checkpoint(tmp_path / "ae.safetensors", Checkpoint.from_trainer(trainer))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(rewrite_meta(path, tmp_path / "bad.safetensors", edit))


def test_model_kind_names_and_aliases() -> None:
    assert check_model_kind("vae") == "variational" and check_model_kind("autoencoder") == "autoencoder"
    with pytest.raises(ValueError, match="model must be one of autoencoder, variational, ae, vae"):
        check_model_kind("gan")


def test_train_command_trains_a_vae_and_refuses_an_unknown_model(tmp_path: Path, subprocess_env: dict) -> None:
    import subprocess
    import sys

    out = tmp_path / "vae.safetensors"
    cli = [sys.executable, "-m", "core", "train"]
    good = subprocess.Popen(
        [*cli, "--model", "vae", "--beta", "2", "--epochs", "1", "--batch-size", "1024", "--threads", "1",
         "--device", "cpu", "--out", str(out)],
        cwd=tmp_path, env=subprocess_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    bad = subprocess.run(
        [*cli, "--model", "gan"], cwd=tmp_path, env=subprocess_env, capture_output=True, text=True, timeout=180
    )
    stdout, stderr = good.communicate(timeout=300)
    assert good.returncode == 0, stderr
    assert "variational autoencoder (β 2)" in stdout and "mean loss" in stdout and "β × KL" in stdout
    saved = load_checkpoint(out)
    assert saved.model_config.kind == "variational" and saved.model_config.beta == 2.0
    assert bad.returncode == 2 and "model must be one of autoencoder, variational, ae, vae, got 'gan'" in bad.stderr


def test_the_vae_loss_run_reports_both_losses_and_the_speed_ratio(digits_subset) -> None:
    from core.bench.vae_loss_run import measure_vae_loss_run

    lines: list[str] = []
    figures = measure_vae_loss_run(digits_subset(600), torch.device("cpu"), lines.append, epochs=2)
    engine, reference, difference, speed = figures
    assert "engine" in engine.name and "L17 loop" in reference.name
    assert engine.value > 0 and reference.value > 0
    assert difference.value == pytest.approx(100 * abs(engine.value - reference.value) / reference.value)
    assert speed.value > 0 and len(lines) == 3


def test_a_reopened_vae_keeps_both_loss_terms_per_step_and_its_run_record_carries_them(
    tmp_path: Path, digits_subset
) -> None:
    """Issue 25, defect 8: a reopened VAE showed the reconstruction/KL legend but drew neither curve."""
    from core.runs.start import opened_run

    dataset = digits_subset(64)
    trainer = vae_trainer(dataset, beta=3.0, epochs=2)
    events = [e for e in trainer.run(TrainingControl(), snapshots=False) if isinstance(e, BatchEnd)]
    path = save_checkpoint(tmp_path / "vae.safetensors", Checkpoint.from_trainer(trainer))
    assert load_file(str(path))["progress.batch_loss_parts"].shape == (8, 2)
    expected = np.array([(e.reconstruction, e.kl) for e in events])
    loaded = load_checkpoint(path)
    np.testing.assert_allclose(loaded.progress.batch_loss_parts, expected, rtol=1e-6)  # saved as float32
    info = describe_run(opened_run(path, print).trainer)
    np.testing.assert_allclose(info.loss_parts, expected, rtol=1e-6)
    np.testing.assert_allclose(info.losses, info.loss_parts @ [1.0, 3.0], rtol=1e-5)  # loss = reconstruction + β·KL

    plain = Trainer(dataset, fast_config(batch_size=16))
    list(plain.run(TrainingControl(), snapshots=False))
    plain_path = save_checkpoint(tmp_path / "ae.safetensors", Checkpoint.from_trainer(plain))
    assert "progress.batch_loss_parts" not in load_file(str(plain_path))
    assert describe_run(load_checkpoint(plain_path).resume(dataset)).loss_parts is None


def test_a_vae_file_from_before_the_loss_terms_opens_and_trains_on(tmp_path: Path, digits_subset) -> None:
    dataset = digits_subset(64)
    trainer = vae_trainer(dataset, beta=3.0, epochs=1)
    list(trainer.run(TrainingControl(), snapshots=False))
    new = save_checkpoint(tmp_path / "new.safetensors", Checkpoint.from_trainer(trainer))
    tensors = load_file(str(new))
    del tensors["progress.batch_loss_parts"]
    from safetensors import safe_open

    with safe_open(str(new), framework="pt") as reader:
        metadata = dict(reader.metadata())
    save_file(tensors, str(tmp_path / "old.safetensors"), metadata=metadata)
    old = load_checkpoint(tmp_path / "old.safetensors")
    assert old.progress.step == 4 and state_equal(old.model_state, load_checkpoint(new).model_state)
    resumed = old.resume(dataset, epochs=2)
    assert np.isnan(describe_run(resumed).loss_parts).all() and describe_run(resumed).loss_parts.shape == (4, 2)
    list(resumed.run(TrainingControl(), snapshots=False))
    parts = describe_run(resumed).loss_parts
    assert parts.shape == (8, 2) and np.isnan(parts[:4]).all() and np.isfinite(parts[4:]).all()
    again = load_checkpoint(save_checkpoint(tmp_path / "again.safetensors", Checkpoint.from_trainer(resumed)))
    np.testing.assert_array_equal(np.isnan(again.progress.batch_loss_parts), np.isnan(parts))
