"""A sweep's run without Ray (core.sweep.trial: sliced training, a clean stop, a resume that continues the run
exactly) and its gallery (`render sweep`: the --at strip holds each run's own decode at that position, pixel for
pixel)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config, state_equal

from core.commands.main import main
from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.atlas import to_uint8
from core.settings import ModelConfig
from core.sweep.gallery import grid_shape
from core.sweep.manifest import SweepManifest, SweepRun, write_manifest
from core.sweep.trial import RunSpec, RunTraining, run_checkpoint
from core.timelapse.views import view_for
from core.training.engine import Trainer


def _spec(tmp_path: Path, data: Path, name: str, **changes: object) -> RunSpec:
    """A tiny run: 128 MNIST-format images (conftest's idx_root), batch 32, 2 epochs: 8 steps."""
    spec = RunSpec(
        run_id=name, out=str(tmp_path / name / "model.safetensors"), dataset="mnist", data_dir=str(data),
        download=False, image_size=None, colour=None, model="autoencoder", latent_dim=2, beta=1.0, epochs=2,
        batch_size=32, lr=5e-3, seed=7, num_threads=1, device="cpu", lr_schedule="constant", bf16=False,
        compile=False, history=False,
    )  # fmt: skip
    return replace(spec, **changes)


def _to_end(run: RunTraining):
    while not (report := run.advance(0.05)).finished:
        pass
    return report


def test_a_run_stopped_and_continued_ends_as_if_it_had_never_stopped(tmp_path: Path, idx_root: Path) -> None:
    whole = RunTraining(_spec(tmp_path, idx_root, "whole"))
    report = _to_end(whole)
    assert report.error is None and report.progress == 1.0
    straight = load_checkpoint(tmp_path / "whole" / "model.safetensors")
    assert report.final_loss == pytest.approx(straight.progress.epoch_losses[-1])
    assert report.kl is None and report.active_units is None  # an autoencoder has none

    stopped = RunTraining(_spec(tmp_path, idx_root, "stopped"))
    first = stopped.advance(0.0)  # one step at least, then it reports
    assert not first.finished and 0 < first.progress < 1
    stopped.close()  # Ctrl+C: stop between two steps and save
    path = tmp_path / "stopped" / "model.safetensors"
    assert 0 < load_checkpoint(path).progress.step < straight.progress.step
    continued = RunTraining(_spec(tmp_path, idx_root, "stopped"))  # the same spec finds its checkpoint and continues it
    _to_end(continued)
    ended = load_checkpoint(path)
    assert ended.progress.step == straight.progress.step
    assert state_equal(ended.model_state, straight.model_state)


def test_a_setting_that_cannot_train_fails_the_run_with_its_reason(tmp_path: Path, idx_root: Path) -> None:
    run = RunTraining(_spec(tmp_path, idx_root, "big", batch_size=4096))
    report = _to_end(run)
    assert report.finished and "batch size 4,096 is larger" in report.error
    run.close()
    assert not (tmp_path / "big").exists()


def test_a_vae_reports_its_kl_and_active_units(tmp_path: Path, idx_root: Path) -> None:
    report = _to_end(RunTraining(_spec(tmp_path, idx_root, "vae", model="variational", latent_dim=3, epochs=1)))
    assert report.error is None and report.kl is not None and report.kl > 0
    assert report.active_units is not None and 0 <= report.active_units <= 3


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory, digits_subset) -> Path:
    """A sweep's folder made by hand (no Ray): latent size 2 and 5 over two seeds, one run failed."""
    folder = tmp_path_factory.mktemp("gallery")
    runs = []
    for index, (latent, seed) in enumerate([(2, 1), (2, 2), (5, 1), (5, 2)]):
        run_id = f"{index:03d}"
        settings = {"latent-dim": latent, "seed": seed}
        if index == 3:
            runs.append(SweepRun(run_id, settings, "failed", error="ValueError: it broke"))
            continue
        trainer = Trainer(digits_subset(256), fast_config(display_size=120, seed=seed), ModelConfig(latent, 1, 28))
        for _ in trainer.run(snapshots=False):
            pass
        save_checkpoint(folder / run_checkpoint(run_id), Checkpoint.from_trainer(trainer))
        loss = trainer.progress.epoch_losses[-1]
        runs.append(SweepRun(run_id, settings, "done", run_checkpoint(run_id), None, loss, None, None, 1.0))
    write_manifest(folder, SweepManifest({"latent-dim": [2, 5], "seed": [1, 2]}, {"dataset": "digits-5k"}, tuple(runs)))
    return folder


def test_render_sweep_strip_holds_each_runs_decode_at_the_position(
    sweep_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    out = tmp_path / "grid.png"
    assert main(["render", "sweep", str(sweep_folder), "--out", str(out), "--at=-0.25,0.5", "--no-download"]) == 0
    printed = capsys.readouterr().out
    assert "003 (latent-dim 5 · seed 2): not drawn: ValueError: it broke" in printed
    strip = np.asarray(Image.open(tmp_path / "grid-at.png"))
    assert strip.shape == (28, 4 * 28)
    digits = load_builtin_digits()
    for index in range(3):  # each tile: that run's own view (built here, independently), decoded at (-0.25, 0.5)
        checkpoint = load_checkpoint(sweep_folder / run_checkpoint(f"{index:03d}"))
        view = view_for(checkpoint.resume(digits, device="cpu", num_threads=1).snapshot(), checkpoint.history)
        expected = to_uint8(view.decode_at(-0.25, 0.5)[0])[0]
        assert np.array_equal(strip[:, index * 28 : (index + 1) * 28], expected), index
    assert not strip[:, 3 * 28 :].any()  # the failed run: a black tile
    gallery = Image.open(out)
    assert grid_shape(SweepManifest({"latent-dim": [2, 5], "seed": [1, 2]}, {}, (None,) * 4)) == (2, 2)
    assert gallery.width > 2 * 220 and gallery.height > 2 * 220


def test_render_sweep_on_a_folder_that_is_not_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "sweep", str(tmp_path), "--out", str(tmp_path / "g.png")]) == 1
    assert "has no sweep.json" in capsys.readouterr().err
