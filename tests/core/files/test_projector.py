"""`export projector` / `export codes`: the Embedding Projector's files and the CSV hold exactly the checkpoint's
display-set codes, labels and images; bad input is refused with a message and leaves files alone."""

from __future__ import annotations

import csv
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config
from PIL import Image

from core.commands.main import main
from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.files.projector import (
    EXPORT_FILES,
    MAX_SPRITE_SIDE,
    DisplayCodes,
    ExportError,
    sprite_image,
    sprite_layout,
    write_projector,
)
from core.settings import ModelConfig
from core.training.engine import Trainer

DISPLAY = 150  # not a square: the sprite's last row is partly empty


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(256), fast_config(display_size=DISPLAY), ModelConfig(3, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("export") / "model.safetensors", Checkpoint.from_trainer(trainer))


@pytest.fixture(scope="module")
def expected(model: Path):
    """The display set and codes, computed here independently of the command."""
    return load_checkpoint(model).resume(load_builtin_digits(), device="cpu").snapshot()


def _tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]


def test_projector_export_holds_the_checkpoints_codes_labels_and_images(model, expected, tmp_path, capsys) -> None:
    out = tmp_path / "projector"
    assert main(["export", "projector", str(model), "--out", str(out)]) == 0
    assert f"Wrote {DISPLAY:,} codes of 3 numbers to {out}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPORT_FILES)
    n = len(expected.codes)
    assert n == DISPLAY

    rows = _tsv(out / "tensors.tsv")  # N rows of D numbers, no header
    assert len(rows) == n and all(len(row) == 3 for row in rows)
    assert np.array_equal(np.array(rows, dtype=np.float32), expected.codes)

    meta = _tsv(out / "metadata.tsv")
    assert meta[0] == ["index", "label", "class"] and len(meta) == n + 1
    for i, (index, label, name) in enumerate(meta[1:]):
        assert (int(index), int(label), name) == (i, expected.labels[i], expected.classes[expected.labels[i]])

    side = math.ceil(math.sqrt(n))
    sprite = np.asarray(Image.open(out / "sprite.png"))
    assert sprite.shape == (side * 28, side * 28)  # grey stays one channel
    for i in (0, 1, side, n - 1):
        row, col = divmod(i, side)
        assert np.array_equal(
            sprite[row * 28 : (row + 1) * 28, col * 28 : (col + 1) * 28], expected.display_images[i, 0]
        )
    assert not sprite[(side - 1) * 28 :, (n - (side - 1) * side) * 28 :].any()  # empty cells are black

    config = (out / "projector_config.pbtxt").read_text()
    assert re.search(r'tensor_path:\s*"tensors\.tsv"', config)
    assert re.search(r'metadata_path:\s*"metadata\.tsv"', config)
    assert re.search(
        r'sprite\s*\{\s*image_path:\s*"sprite\.png"\s*single_image_dim:\s*28\s*single_image_dim:\s*28', config
    )
    assert config.count("{") == config.count("}") == 2

    with open(out / "codes.csv", newline="") as handle:
        table = list(csv.reader(handle))
    view_columns = ["x", "y", "back_z0", "back_z1", "back_z2"]  # the view's position and way back (issue 27)
    header = ["index", "label", "class", "z0", "z1", "z2", "data_index", "split", *view_columns]
    assert table[0] == header and len(table) == n + 1
    assert np.array_equal(np.array([row[3:6] for row in table[1:]], dtype=np.float32), expected.codes)
    assert {row[7] for row in table[1:]} == {"training"} and len({row[6] for row in table[1:]}) == n
    assert [int(row[1]) for row in table[1:]] == expected.labels.tolist()
    assert json.loads((out / "convae-export.json").read_text())["count"] == n


def test_export_codes_writes_the_csv_alone(model, expected, tmp_path) -> None:
    out = tmp_path / "codes.csv"
    assert main(["export", "codes", str(model), "--out", str(out)]) == 0
    with open(out, newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["index", "label", "class"]
    z = [i for i, name in enumerate(table[0]) if re.fullmatch(r"z\d+", name)]  # other columns follow the codes
    assert np.array_equal(np.array([[row[i] for i in z] for row in table[1:]], dtype=np.float32), expected.codes)


def test_a_second_export_replaces_the_first_but_a_foreign_folder_is_refused(model, tmp_path, capsys) -> None:
    out = tmp_path / "projector"
    assert main(["export", "projector", str(model), "--out", str(out)]) == 0
    (out / "tensors.tsv").unlink()  # an edited file would be the user's (tests/core/files/test_projector_force.py)
    assert main(["export", "projector", str(model), "--out", str(out)]) == 0  # an earlier export: replaced
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPORT_FILES)

    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("mine")
    capsys.readouterr()
    assert main(["export", "projector", str(model), "--out", str(foreign)]) == 1
    err = capsys.readouterr().err
    assert "not an earlier export" in err and "--force" in err and "Traceback" not in err
    assert [p.name for p in foreign.iterdir()] == ["chapter1.tex"]

    assert main(["export", "projector", str(model), "--out", str(foreign), "--force"]) == 0
    assert (foreign / "chapter1.tex").read_text() == "mine"  # forced: ours beside theirs, theirs kept
    assert {p.name for p in foreign.iterdir()} == {"chapter1.tex", *EXPORT_FILES}
    assert not list(tmp_path.glob(".convae-export-*"))  # no staging folder left behind


def test_refusals_say_what_is_wrong_without_a_traceback(model, tmp_path, subprocess_env) -> None:
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(model.read_bytes()[:300])
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    cases = [
        ([str(tmp_path / "missing.safetensors"), "--out", str(tmp_path / "o1")], "does not exist"),
        ([str(corrupt), "--out", str(tmp_path / "o2")], "corrupt.safetensors"),
        ([str(model), "--out", str(a_file)], "is a file, not a folder"),
        ([str(model), "--out", str(a_file / "out")], "cannot write the export"),  # unwritable, even for root
    ]
    for arguments, said in cases:
        result = subprocess.run(
            [sys.executable, "-m", "core", "export", "projector", *arguments],
            capture_output=True,
            text=True,
            env=subprocess_env,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        assert said in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()
    assert a_file.read_text() == "x"
    assert not list(tmp_path.glob(".convae-export-*"))


def test_colour_images_stay_colour_and_large_sets_shrink_their_thumbnails() -> None:
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, (5, 3, 32, 32), dtype=np.uint8)
    sprite = sprite_image(colour)
    assert sprite.shape == (96, 96, 3)
    assert np.array_equal(sprite[32:64, 0:32], colour[3].transpose(1, 2, 0))

    side, thumbnail = sprite_layout(90_000, 28)  # 300 cells a side: 28-pixel thumbnails would make 8,400 pixels
    assert side == 300 and thumbnail == MAX_SPRITE_SIDE // 300 == 27
    big = np.full((4, 1, 64, 64), 200, np.uint8)
    big[0, 0, :32] = 0  # the top half black: its area-averaged thumbnail keeps that
    side, thumbnail = sprite_layout(4, 64)
    assert thumbnail == 64
    shrunk = sprite_image(np.repeat(big, 16_900 // 4, axis=0)[:16_900])  # 130 a side × 64 > 8192
    assert shrunk.shape[0] <= MAX_SPRITE_SIDE and shrunk.shape[0] == 130 * (MAX_SPRITE_SIDE // 130)


def test_a_failed_write_leaves_no_half_export(tmp_path, monkeypatch) -> None:
    data = DisplayCodes(
        np.zeros((4, 2), np.float32), np.arange(4), ("a", "b", "c", "d"), np.zeros((4, 1, 8, 8), np.uint8)
    )
    out = tmp_path / "out"
    write_projector(out, data)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import core.files.projector as projector

    def broken(staging, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(projector, "_move_into_place", broken)
    changed = DisplayCodes(np.ones((4, 2), np.float32), np.arange(4), data.classes, data.images)
    with pytest.raises(ExportError, match="No space left"):
        write_projector(out, changed)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".convae-export-*"))


def test_a_colour_models_export_keeps_its_colours(tmp_path) -> None:
    """Three channels in, an RGB sprite out whose cells are the display images, pixel for pixel."""
    import torch

    from core.data.datasets import ImageDataset, ImageSplit

    rng = np.random.default_rng(1)
    images = torch.from_numpy(rng.integers(0, 256, (48, 3, 16, 16), dtype=np.uint8))
    data = ImageDataset("colour", ImageSplit(images, torch.arange(48) % 3), None, ("red", "green", "blue"))
    trainer = Trainer(data, fast_config(display_size=20), ModelConfig(2, 3, 16))
    for _ in trainer.run(snapshots=False):
        pass
    snapshot = trainer.snapshot()
    summary = write_projector(tmp_path / "out", DisplayCodes.of_snapshot(snapshot, "colour"))
    assert (summary.count, summary.thumbnail, summary.sprite_side) == (20, 16, 5 * 16)
    sprite = np.asarray(Image.open(tmp_path / "out" / "sprite.png"))
    assert sprite.shape == (80, 80, 3)
    for i in (0, 7, 19):
        row, col = divmod(i, 5)
        cell = sprite[row * 16 : (row + 1) * 16, col * 16 : (col + 1) * 16]
        assert np.array_equal(cell, snapshot.display_images[i].transpose(1, 2, 0))
    meta = _tsv(tmp_path / "out" / "metadata.tsv")[1:]
    assert [row[2] for row in meta] == [("red", "green", "blue")[label] for label in snapshot.labels]
