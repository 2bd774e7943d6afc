"""Issue 24, defects 7 and 12: folder and class names may hold any bytes a file system allows. A class folder whose
name is not valid UTF-8 ended `export codes` and `export projector` in UnicodeEncodeError, a folder whose own path
was not valid UTF-8 was refused by `train` with a codec message, and a newline in a folder's path injected a data
row into the loss CSV. Real folders, the real command line: everything is written as valid UTF-8, one record per
line, and the output says which names were written with escapes."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.settings import folder_dataset_name
from core.training.loss_history import LossHistory

CLASSES = (b"caf\xe9", b"new\nline", b"tab\there", b"ok")


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory) -> bytes:
    root = os.fsencode(tmp_path_factory.mktemp("names")) + b"/da\nta\xff"
    for index, name in enumerate(CLASSES):
        folder = os.path.join(root, name)
        os.makedirs(folder)
        for i in range(6):
            pixels = np.random.default_rng(10 * index + i).integers(0, 256, (12, 12), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(folder, b"%d.png" % i))
    return root


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *argv], capture_output=True, env=env, cwd=cwd, timeout=180, text=True,
        errors="surrogateescape",
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(hostile_folder, tmp_path_factory, subprocess_env) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("work")
    env = {**subprocess_env, "PYTHONIOENCODING": "utf-8", "CONVAE_CACHE_DIR": str(work / "cache")}  # strict stdout
    out = work / "model.safetensors"
    dataset = "folder:" + os.fsdecode(hostile_folder)
    result = _run(["train", "--dataset", dataset, "--epochs", "1", "--batch-size", "8", "--out", str(out)], env, work)
    assert result.returncode == 0, result.stderr
    assert "da\nta\udcff" in result.stdout  # the folder's name printed as its bytes are, as ls prints it
    return out, env


def test_export_codes_writes_one_utf8_row_per_image_and_names_the_escaped_classes(trained, tmp_path):
    model, env = trained
    result = _run(["export", "codes", str(model), "--out", str(tmp_path / "codes.csv")], env, tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "caf\\xe9" in result.stdout and "new\\nline" in result.stdout
    text = (tmp_path / "codes.csv").read_bytes().decode("utf-8")  # strict: valid UTF-8
    rows = list(csv.reader(io.StringIO(text)))
    assert len(text.splitlines()) == len(rows) == 1 + 24
    assert {row[2] for row in rows[1:]} == {"caf\\xe9", "new\\nline", "tab\\there", "ok"}


def test_export_projector_metadata_keeps_three_cells_a_row(trained, tmp_path):
    model, env = trained
    result = _run(["export", "projector", str(model), "--out", str(tmp_path / "p")], env, tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = (tmp_path / "p" / "metadata.tsv").read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 25 and all(len(line.split("\t")) == 3 for line in lines)
    assert len((tmp_path / "p" / "tensors.tsv").read_text().splitlines()) == 24


def test_a_newline_in_a_folder_path_adds_no_row_to_the_loss_csv(hostile_folder):
    name = folder_dataset_name(os.fsdecode(hostile_folder))
    text = LossHistory([0.5, 0.25, 0.125]).to_csv(3, [f"convae-explorer loss history: {name}", "epochs 1"])
    text.encode("utf-8")  # encodes: the byte that was not UTF-8 is escaped
    lines = text.splitlines()
    assert [line.startswith("# ") for line in lines] == [True, True, False, False, False, False]
    assert "da\\nta\\xff" in lines[0]
    rows = list(csv.reader(io.StringIO("\n".join(lines[2:]))))
    assert [row[0] for row in rows] == ["step", "1", "2", "3"]
