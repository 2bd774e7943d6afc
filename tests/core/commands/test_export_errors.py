"""`export errors`: every display image's error equals the model's own per-image error, computed here with torch
from the image its data_index names; bad input is refused with a sentence and leaves files alone."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config

from core.commands.main import main
from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.settings import ModelConfig
from core.training.engine import Trainer


def _checkpoint(folder: Path, digits_subset, kind: str) -> Path:
    trainer = Trainer(digits_subset(256), fast_config(display_size=150), ModelConfig(3, 1, 28, kind=kind))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(folder / f"{kind}.safetensors", Checkpoint.from_trainer(trainer))


@pytest.fixture(scope="module")
def models(tmp_path_factory, digits_subset) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("errors")
    return {kind: _checkpoint(folder, digits_subset, kind) for kind in ("autoencoder", "variational")}


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _own_errors(checkpoint: Path, data_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The file's model run forward (eval mode: a VAE decodes its mean) on the images data_indices name."""
    model = load_checkpoint(checkpoint).build_model()
    split = load_builtin_digits().train  # digits-5k has no test split: the display images come from training
    images = split.images[torch.from_numpy(data_indices)]
    with torch.no_grad():
        x = images.float() / 255
        errors = ((model(x) - x) ** 2).mean(dim=(1, 2, 3)).numpy()
    return errors, split.labels[torch.from_numpy(data_indices)].numpy()


def test_export_errors_in_a_child_process_equals_the_models_own_error(models, tmp_path, subprocess_env):
    out = tmp_path / "errors.csv"
    done = subprocess.run(
        [sys.executable, "-m", "core", "export", "errors", str(models["autoencoder"]), "--out", str(out)],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote the reconstruction errors of 150 display images" in done.stdout
    header, rows = _rows(out)
    assert header == ["index", "data_index", "label", "class", "error"]
    assert [int(r[0]) for r in rows] == list(range(150))
    data_indices = np.array([int(r[1]) for r in rows])
    assert len(set(data_indices.tolist())) == 150
    expected, labels = _own_errors(models["autoencoder"], data_indices)
    np.testing.assert_allclose(np.array([float(r[4]) for r in rows]), expected, rtol=1e-5, atol=1e-7)
    assert [int(r[2]) for r in rows] == labels.tolist()
    assert [r[3] for r in rows] == [str(label) for label in labels]  # digits' classes are named "0"…"9"


def test_a_vaes_errors_are_those_of_its_decoded_means(models, tmp_path, capsys):
    out = tmp_path / "vae.csv"
    assert main(["export", "errors", str(models["variational"]), "--out", str(out)]) == 0
    _, rows = _rows(out)
    expected, _ = _own_errors(models["variational"], np.array([int(r[1]) for r in rows]))
    np.testing.assert_allclose(np.array([float(r[4]) for r in rows]), expected, rtol=1e-5, atol=1e-7)
    assert main(["export", "errors", str(models["variational"]), "--out", str(out)]) == 0  # its own: replaced


def test_bad_input_is_refused_with_a_sentence_and_no_file_is_touched(models, tmp_path, subprocess_env, capsys):
    mine = tmp_path / "results.csv"
    mine.write_text("my,own\n")

    def run(*words: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "core", "export", "errors", *words],
            capture_output=True,
            text=True,
            env=subprocess_env,
            timeout=300,
            check=False,
        )

    done = run(str(models["autoencoder"]), "--out", str(mine))
    assert done.returncode == 1 and "is left as it is" in done.stderr and "Traceback" not in done.stderr
    assert mine.read_text() == "my,own\n"
    done = run(str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "e.csv"))
    assert done.returncode == 1 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert main(["export", "errors", str(models["autoencoder"]), "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["export", "errors", str(models["autoencoder"])])
    assert exited.value.code == 2 and "--out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]
