"""Issue 24, defect 10: a folder load could not be interrupted. Ctrl+C during a long load waited for its end and
then wrote an untrained step-0 checkpoint; a link to `/` inside a class folder walked (and decoded) every picture on
the machine. Real signals to a real `train` child, and a real link to a tree the test builds outside the folder."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from core.data.image_folder import list_image_folder, read_image_folder

#: Files of a load slow enough to interrupt: each decodes 4 megapixels, although the file is 8 KB.
SLOW_FILES = 1500


def _slow_folder(root: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("L", (2048, 2048), 90).save(buffer, "PNG")
    for name in ("a", "b"):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(SLOW_FILES // 2):
            (root / name / f"{i:05}.png").write_bytes(buffer.getvalue())
    return root


def _wait_for_line(stream, needle: str, timeout_s: float) -> str:
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} never came: {''.join(seen)}")


def test_ctrl_c_during_a_folder_load_stops_it_and_writes_no_checkpoint(tmp_path, subprocess_env):
    folder = _slow_folder(tmp_path / "pictures")
    out = tmp_path / "model.safetensors"
    env = {**subprocess_env, "CONVAE_CACHE_DIR": str(tmp_path / "cache")}
    child = subprocess.Popen(
        [sys.executable, "-m", "core", "train", "--dataset", f"folder:{folder}", "--image-size", "8",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        _wait_for_line(child.stderr, f"of {SLOW_FILES:,} images", 60)  # decoding has begun
        child.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = child.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        child.kill()
    assert child.returncode == 128 + signal.SIGINT, err
    assert "stopped while reading" in err and "no checkpoint was written" in err, err
    assert took < 5, f"the load went on for {took:.1f} s after Ctrl+C"
    assert not out.exists()
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.safetensors"))


def test_the_run_stop_flag_ends_the_walk_of_a_large_tree(tmp_path):
    root = tmp_path / "deep"
    for i in range(50):
        (root / "a" / f"d{i}").mkdir(parents=True)
    asked = []

    def stopped() -> bool:
        asked.append(1)
        return len(asked) > 3

    try:
        read_image_folder(root, stopped=stopped, cache_dir=tmp_path / "cache")
    except Exception as error:
        assert type(error).__name__ == "FolderLoadStopped" and "nothing was loaded" in str(error)
    else:
        raise AssertionError("the load did not stop")
    assert len(asked) == 4  # it stopped at once, not after the other 47 folders


def test_a_link_out_of_the_folder_is_not_followed_and_the_notice_names_it(tmp_path):
    elsewhere = tmp_path / "the-machine"  # stands in for `/`: a large tree outside the folder
    for i in range(40):
        (elsewhere / f"d{i}").mkdir(parents=True)
        Image.fromarray(np.full((8, 8), i, np.uint8)).save(elsewhere / f"d{i}" / "x.png")
    root = tmp_path / "pictures"
    (root / "cats").mkdir(parents=True)
    Image.new("L", (8, 8), 200).save(root / "cats" / "mine.png")
    os.symlink(elsewhere, root / "cats" / "everything")
    (root / "cats" / "inside").mkdir()
    Image.new("L", (8, 8), 100).save(root / "cats" / "inside" / "also.png")
    os.symlink(root / "cats" / "inside", root / "cats" / "alias")  # within the folder: followed (once)

    listing = list_image_folder(root)
    assert sorted(listing.files) == ["cats/alias/also.png", "cats/mine.png"]
    found = read_image_folder(root, cache_dir=tmp_path / "cache")
    assert len(found.images) == 2
    assert "links to folders outside it were not followed: cats/everything" in (found.notice or "")


def test_ctrl_c_while_export_reads_a_models_folder_ends_it_at_once(tmp_path, subprocess_env):
    """render and export read a folder model's images with no stop flag: Ctrl+C raises KeyboardInterrupt in the
    waiting thread, which now stops the decode threads and cancels the rest of the folder, and says so."""
    folder = tmp_path / "pictures"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        for i in range(8):
            Image.fromarray(np.full((8, 8), 20 * i, np.uint8)).save(folder / name / f"{i}.png")
    env = {**subprocess_env, "CONVAE_CACHE_DIR": str(tmp_path / "cache")}
    model = tmp_path / "model.safetensors"
    trained = subprocess.run(
        [sys.executable, "-m", "core", "train", "--dataset", f"folder:{folder}", "--epochs", "1", "--batch-size",
         "8", "--out", str(model)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    for name in ("a", "b"):  # the folder changes: the export reads it again, slowly, at the model's 8×8
        for old in (folder / name).iterdir():
            old.unlink()
    _slow_folder(folder)
    out = tmp_path / "codes.csv"
    child = subprocess.Popen([sys.executable, "-m", "core", "export", "codes", str(model), "--out", str(out)],
                             stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for the state: the child has a picture of the folder open
            try:
                links = [os.readlink(f"/proc/{child.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{child.pid}/fd")]
            except OSError:
                links = []
            if any(link.startswith(str(folder)) for link in links):
                break
            time.sleep(0.02)
        else:
            raise AssertionError("the export never opened a picture")
        child.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, err = child.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        child.kill()
    assert child.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert took < 5, f"the export went on for {took:.1f} s after Ctrl+C"
    assert not out.exists()
