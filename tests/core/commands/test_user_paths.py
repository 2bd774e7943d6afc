"""Issue 24, defect 11 (and 14's `..` case): every path a user gives goes through one check
(core.commands.arguments.user_path). A name over 255 bytes ended in `OSError: File name too long` tracebacks in
eight commands; a NUL byte in ValueError; `new/../x.png` created `new` as a stray empty folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from core_testkit import REPO_ROOT
from PIL import Image

from core.commands.main import main
from core.files.user_path import MAX_NAME_BYTES
from core.settings import dataset_file_stem, folder_dataset_name

LONG = "n" * 300


def _commands(tmp: Path, bad: str, ckpt: str, image: str) -> dict[str, list[str]]:
    return {
        "export codes": ["export", "codes", ckpt, "--out", bad + ".csv"],
        "export projector": ["export", "projector", ckpt, "--out", bad],
        "render map": ["render", "map", ckpt, "--out", bad + ".png"],
        "render timelapse": ["render", "timelapse", ckpt, "--out", bad + ".gif"],
        "render drawing": ["render", "drawing", ckpt, "--image", image, "--out", bad + ".png"],
        "render drawing --image": ["render", "drawing", ckpt, "--image", bad + ".png", "--out", str(tmp / "d.png")],
        "train --out": ["train", "--epochs", "1", "--out", bad + ".safetensors"],
        "train --dataset": ["train", "--dataset", f"folder:{bad}"],
        "train --resume": ["train", "--resume", bad + ".safetensors"],
        "open": ["open", bad + ".safetensors"],
        "open --data-dir": ["open", "--data-dir", bad],
        "bench --json": ["bench", "--no-gui", "--json", bad + ".json"],
    }


def _refused(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(_commands(Path("."), "x", "c", "i")))
def test_a_name_over_255_bytes_is_refused_by_every_command_before_anything_runs(command, tmp_path, capsys):
    image = tmp_path / "mine.png"
    Image.new("L", (8, 8)).save(image)
    argv = _commands(tmp_path, str(tmp_path / LONG), str(tmp_path / "model.safetensors"), str(image))[command]
    err = _refused(argv, capsys)
    assert f"bytes long; file systems take names of at most {MAX_NAME_BYTES} bytes" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png"]


def test_a_whole_path_over_4095_bytes_and_a_nul_byte_are_refused(tmp_path, capsys):
    deep = "/".join(["d" * 200] * 21)
    assert "bytes long; file systems take at most 4,095" in _refused(["export", "codes", "c", "--out", deep], capsys)
    assert "NUL byte" in _refused(["export", "codes", "c", "--out", "a\0b.csv"], capsys)


def test_dot_dot_after_a_missing_folder_is_refused_and_creates_nothing(tmp_path, capsys):
    out = tmp_path / "new" / ".." / "map.png"
    err = _refused(["render", "map", str(tmp_path / "c.safetensors"), "--out", str(out)], capsys)
    assert "does not exist" in err and "names no folder" in err, err
    assert list(tmp_path.iterdir()) == []


def test_dot_dot_after_an_existing_folder_is_a_path_like_any_other(tmp_path, capsys):
    (tmp_path / "there").mkdir()
    out = tmp_path / "there" / ".." / "codes.csv"
    assert main(["export", "codes", str(tmp_path / "missing.safetensors"), "--out", str(out)]) == 1
    assert "does not exist" in capsys.readouterr().err  # the checkpoint, not the path


def test_the_default_checkpoint_name_of_a_folder_with_a_long_name_fits_a_file_system():
    stem = dataset_file_stem(folder_dataset_name("/data/" + "é" * 127))
    assert len(f"convae-{stem}-99.safetensors".encode()) <= MAX_NAME_BYTES


def test_the_real_command_line_says_it_in_words(tmp_path, subprocess_env):
    result = subprocess.run(
        [sys.executable, "-m", "core", "export", "codes", str(tmp_path / "c"), "--out", str(tmp_path / LONG)],
        capture_output=True, text=True, env=subprocess_env, cwd=REPO_ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr and "255 bytes" in result.stderr
