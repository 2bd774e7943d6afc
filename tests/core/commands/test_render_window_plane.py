"""`render` and `export` of a saved model show it on the window's plane: for latent sizes above 2 with a recorded
history, the window shows an opened file on its time-lapse's aligned plane, and a plane fitted afresh (what
`render` once used) is that plane turned or mirrored, so `render path --from x,y` decoded another code than the
window's hover at x,y."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from core_testkit import recorded_run
from PIL import Image

from core.commands.main import main
from core.commands.render import load_view
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.atlas import to_uint8
from core.latent.plane import fit_plane
from core.runs.start import opened_run
from core.timelapse.views import view_for

LATENT = 8


@pytest.fixture(scope="module")
def recorded_model(tmp_path_factory, digits) -> Path:
    """A latent-8 model trained on the built-in digits with its time-lapse recorded, saved as the window saves."""
    trainer, history, _ = recorded_run(digits, latent=LATENT, epochs=1, batch_size=512)
    path = tmp_path_factory.mktemp("plane") / "recorded8.safetensors"
    return save_checkpoint(path, Checkpoint.from_trainer(trainer, history))


def _render_view(path: Path):
    return load_view(argparse.Namespace(checkpoint=path, data_dir=None, no_download=True))


def _window_view(path: Path):
    """What the window's worker shows of an opened file: the run core.runs.start prepares, its history, and the
    view core builds for the worker (explorer.training.worker.TrainingWorker._show)."""
    notices: list[str] = []
    prepared = opened_run(path, notices.append)
    assert prepared.history is not None and not notices
    return view_for(prepared.trainer.snapshot(), prepared.history.copy())


def test_render_builds_the_view_the_window_shows_of_an_opened_file(recorded_model: Path) -> None:
    rendered, shown = _render_view(recorded_model), _window_view(recorded_model)
    np.testing.assert_array_equal(rendered.plane.mean, shown.plane.mean)
    np.testing.assert_array_equal(rendered.plane.components, shown.plane.components)
    assert rendered.plane.explained == shown.plane.explained
    np.testing.assert_array_equal(rendered.xy, shown.xy)
    # that plane is the last recorded frame's (the file's history ends at the model's step), not a fresh PCA
    last = load_checkpoint(recorded_model).history.frames[-1]
    assert last.step == rendered.snapshot.step
    np.testing.assert_array_equal(rendered.plane.components, last.plane.components)
    np.testing.assert_allclose(rendered.xy, last.xy, atol=1e-5)
    fresh = fit_plane(rendered.snapshot.codes)
    assert not np.allclose(fresh.to_plane(rendered.snapshot.codes), rendered.xy, atol=1e-3), (
        "the aligned plane lies as a fresh fit would: this model does not show the difference"
    )


def test_render_path_from_a_plane_position_decodes_what_the_window_decodes_there(recorded_model, tmp_path, capsys):
    out = tmp_path / "strip.png"
    x, y = 1.5, -0.75
    command = ["render", "path", str(recorded_model), "--from", f"{x},{y}", "--to=-1,1", "--steps", "3"]
    assert main([*command, "--out", str(out), "--no-download"]) == 0
    assert f"From: at plane position ({x:.6g}, {y:.6g})" in capsys.readouterr().out
    first = np.asarray(Image.open(out))[:, :28]
    image, code = _window_view(recorded_model).decode_at(x, y)
    # a batch of three and a batch of one may round differently in the last bit (oneDNN picks kernels by size)
    assert np.abs(first.astype(int) - to_uint8(image[0]).astype(int)).max() <= 1
    np.testing.assert_allclose(code, _render_view(recorded_model).plane.from_plane(np.array([[x, y]]))[0], atol=1e-6)


def test_without_a_history_both_fit_the_plane_to_the_codes(recorded_model: Path, tmp_path: Path) -> None:
    checkpoint = load_checkpoint(recorded_model)
    bare = save_checkpoint(tmp_path / "bare8.safetensors", replace(checkpoint, history=None))
    rendered = _render_view(bare)
    fresh = fit_plane(rendered.snapshot.codes)
    np.testing.assert_array_equal(rendered.plane.components, fresh.components)
    np.testing.assert_array_equal(rendered.xy, fresh.to_plane(rendered.snapshot.codes))
