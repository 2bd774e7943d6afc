"""`render gallery`: tile by tile, the originals (found by their data_index) above their reconstructions (the
file's model run here with torch), in the order of the errors `export errors` writes; bad input refused."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import fast_config
from PIL import Image

from core.commands.main import main
from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.settings import ModelConfig
from core.training.engine import Trainer

S = 28


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(256), fast_config(display_size=120), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("gallery") / "m.safetensors", Checkpoint.from_trainer(trainer))


@pytest.fixture(scope="module")
def table(model, tmp_path_factory) -> dict[str, np.ndarray]:
    """`export errors` of the model: the errors, data indices and labels of its display images."""
    out = tmp_path_factory.mktemp("table") / "errors.csv"
    assert main(["export", "errors", str(model), "--out", str(out)]) == 0
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return {
        "error": np.array([float(r[4]) for r in rows]),
        "data_index": np.array([int(r[1]) for r in rows]),
        "label": np.array([int(r[2]) for r in rows]),
    }


def _images_and_reconstructions(model: Path, data_indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 originals from the data set and the file's model's reconstructions, rounded as pictures are."""
    net = load_checkpoint(model).build_model()
    images = load_builtin_digits().train.images[torch.from_numpy(data_indices)]
    with torch.no_grad():
        decoded = net(images.float() / 255).numpy()
    return images.numpy(), (np.clip(decoded, 0, 1) * 255 + 0.5).astype(np.uint8)


def _tile(picture: np.ndarray, row: int, column: int) -> np.ndarray:
    return picture[row * S : (row + 1) * S, column * S : (column + 1) * S]


def _check_tiles(picture: np.ndarray, order: np.ndarray, columns: int, model: Path, table) -> None:
    """Tile (2r, c) is image order[r·columns + c]; tile (2r+1, c) its reconstruction; the cells after are black."""
    rows = -(-len(order) // columns)
    assert picture.shape == (2 * rows * S, columns * S) and picture.dtype == np.uint8
    originals, reconstructions = _images_and_reconstructions(model, table["data_index"][order])
    close = 0
    for k in range(rows * columns):
        r, c = divmod(k, columns)
        top, bottom = _tile(picture, 2 * r, c), _tile(picture, 2 * r + 1, c)
        if k >= len(order):
            assert not top.any() and not bottom.any(), k
            continue
        assert np.array_equal(top, originals[k, 0]), k
        # the window's folded decoder agrees with the plain one to float rounding: a pixel may round the other way
        difference = np.abs(bottom.astype(int) - reconstructions[k, 0].astype(int))
        assert difference.max() <= 1, k
        close += int((difference == 0).all())
    assert close >= len(order) // 2


def _printed_order(out: str) -> list[int]:
    line = next(line for line in out.splitlines() if line.startswith("In order"))
    return [int(i) for i in re.findall(r"#(\d+)", line)]


def test_worst_draws_the_largest_errors_first_row_major(model, table, tmp_path, capsys):
    out = tmp_path / "worst.png"
    assert main(["render", "gallery", str(model), "--worst", "7", "--columns", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    expected = np.argsort(-table["error"], kind="stable")[:7]  # the errors' order, from the exported CSV
    assert _printed_order(printed) == expected.tolist()
    assert np.all(np.diff(table["error"][expected]) < 0)
    _check_tiles(np.asarray(Image.open(out)), expected, 3, model, table)


def test_indices_keep_their_order_and_a_class_comes_worst_first(model, table, tmp_path, capsys):
    out = tmp_path / "chosen.png"
    assert main(["render", "gallery", str(model), "--indices", "5,2,119,0", "--columns", "2", "--out", str(out)]) == 0
    assert _printed_order(capsys.readouterr().out) == [5, 2, 119, 0]
    _check_tiles(np.asarray(Image.open(out)), np.array([5, 2, 119, 0]), 2, model, table)

    label = int(table["label"][0])
    assert main(["render", "gallery", str(model), "--class", str(label), "--out", str(out)]) == 0
    members = np.flatnonzero(table["label"] == label)
    expected = members[np.argsort(-table["error"][members], kind="stable")]
    assert _printed_order(capsys.readouterr().out) == expected.tolist()
    _check_tiles(np.asarray(Image.open(out)), expected, min(10, len(expected)), model, table)


def test_bad_input_is_refused_with_a_sentence(model, tmp_path, capsys):
    out = str(tmp_path / "g.png")
    refused_by_argparse = [
        (["--indices", "3,x"], "--indices must be display-image indices"),
        (["--worst", "0"], "--worst"),
        (["--worst", "3", "--class", "1"], "not allowed with argument"),
        (["--columns", "0", "--worst", "3"], "--columns"),
    ]
    for words, message in refused_by_argparse:
        with pytest.raises(SystemExit) as exited:
            main(["render", "gallery", str(model), *words, "--out", out])
        assert exited.value.code == 2 and message in capsys.readouterr().err, words
    refused = [
        (["--class", "seven", "--out", out], 2, "there is no class 'seven'; the classes are 0, 1"),
        (["--worst", "3", "--out", str(tmp_path / "g.jpg")], 2, "must end in .png"),
        (["--worst", "3", "--out", str(tmp_path)], 2, "is a folder"),
    ]
    for words, code, message in refused:
        assert main(["render", "gallery", str(model), *words]) == code, words
        assert message in capsys.readouterr().err, words
    assert list(tmp_path.iterdir()) == []


def test_a_child_process_refuses_without_a_traceback_and_leaves_the_users_picture(model, tmp_path, subprocess_env):
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((4, 4), 200, np.uint8)).save(photo)  # the user's own picture: not tagged as ours
    untouched = photo.read_bytes()
    cases = [
        (["--indices", "3,120", "--out", str(tmp_path / "g.png")], 2, "image 120 is not in the display set, which "
         "holds images 0 to 119"),
        (["--worst", "3", "--out", str(photo)], 1, "is left as it is"),
    ]  # fmt: skip
    for words, code, message in cases:
        done = subprocess.run(
            [sys.executable, "-m", "core", "render", "gallery", str(model), *words],
            capture_output=True,
            text=True,
            env=subprocess_env,
            timeout=300,
            check=False,
        )
        assert done.returncode == code, (words, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, (words, done.stderr)
    assert photo.read_bytes() == untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]
