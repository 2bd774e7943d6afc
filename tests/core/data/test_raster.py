"""A user's "image" never runs an interpreter, never blocks, never decodes past the pixel cap (issue 24, defects 2-3).

Real hostile files: PostScript saved as `evil.png` (Pillow's EPS plugin would hand it to Ghostscript), a FIFO named
`pipe.png` (open(2) on it blocks until a writer comes), a tiny PNG declaring a huge picture. A fake `gs` first on
PATH records whether anything ran it, in real subprocesses of the real commands (`train --dataset folder:`,
`render drawing`) and in the image folder's and "Your image"'s own code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from core_testkit import REPO_ROOT, fast_config
from PIL import Image

from core.data.image_folder import CACHE_DIR_ENV, read_image_folder
from core.data.raster import MAX_PIXELS, RasterError, open_raster
from core.latent.own_picture import PictureError, read_picture

#: Valid EPS (Pillow's EPS plugin opens it, and renders it with Ghostscript) whose program never ends.
POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n{ } loop\n"


@pytest.fixture
def fake_gs(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose PATH starts with a `gs` that writes down that it ran (and fails, as a broken gs)."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    ran = tmp_path / "gs-ran.txt"
    script = bin_dir / "gs"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{ran}"\nexit 1\n')
    script.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        CACHE_DIR_ENV: str(tmp_path / "cache"),
    }
    env.pop("CONVAE_DATA_DIR", None)
    return env, ran


def grey_folder(root: Path, count: int = 24) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        y, x = np.mgrid[0:16, 0:16]
        Image.fromarray(((x * 7 + y * 3 + i * 11) % 256).astype(np.uint8)).save(root / f"{i:02d}.png")
    return root


def test_the_fake_gs_is_what_pillow_would_run(fake_gs, tmp_path: Path) -> None:
    """The check below means something: unguarded, Pillow opens this file as EPS and runs the gs on PATH."""
    env, ran = fake_gs
    evil = tmp_path / "evil.png"
    evil.write_bytes(POSTSCRIPT)
    code = (
        f"from PIL import Image\nimage = Image.open({str(evil)!r})\nprint(image.format)\n"
        "try:\n    image.load()\nexcept OSError:\n    pass\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "EPS" and ran.exists(), done.stderr


def test_postscript_named_png_in_a_folder_is_skipped_without_running_gs(fake_gs, tmp_path: Path) -> None:
    env, ran = fake_gs
    root = grey_folder(tmp_path / "scans")
    (root / "evil.png").write_bytes(POSTSCRIPT)
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--dataset", f"folder:{root}", "--epochs", "1", "--threads", "1",
         "--batch-size", "8", "--image-size", "12", "--out", str(tmp_path / "m.safetensors")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert not ran.exists(), f"gs ran: {ran.read_text()}"
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "1 of 25 image files could not be read and were skipped (evil.png: holds PostScript" in done.stderr


def test_render_drawing_refuses_postscript_without_running_gs(fake_gs, tmp_path: Path, digits_subset) -> None:
    from core.files.checkpoint import Checkpoint, save_checkpoint
    from core.settings import ModelConfig
    from core.training.engine import Trainer

    env, ran = fake_gs
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    model = save_checkpoint(tmp_path / "model.safetensors", Checkpoint.from_trainer(trainer))
    evil = tmp_path / "evil.png"
    evil.write_bytes(POSTSCRIPT)
    out = tmp_path / "where.png"
    done = subprocess.run(
        [sys.executable, "-m", "core", "render", "drawing", str(model), "--image", str(evil), "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert not ran.exists(), f"gs ran: {ran.read_text()}"
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "evil.png holds PostScript, a program, not a picture" in done.stderr
    assert not out.exists()


@pytest.mark.timeout(120)  # a backstop only: unguarded, opening the FIFO blocks for ever
def test_a_fifo_named_like_an_image_is_skipped_and_named(tmp_path: Path) -> None:
    root = grey_folder(tmp_path / "scans", count=8)
    os.mkfifo(root / "pipe.png")
    found = read_image_folder(root, cache_dir=tmp_path / "cache", threads=2)
    assert len(found.images) == 8
    assert found.notice is not None and "pipe.png: is a FIFO (named pipe), not a picture file" in found.notice
    with pytest.raises(PictureError, match=r"pipe\.png is a FIFO"):  # "Your image" and render drawing
        read_picture(root / "pipe.png")


def test_train_on_a_folder_holding_a_fifo_finishes_and_names_it(fake_gs, tmp_path: Path) -> None:
    """The real command in a real child: unguarded, its first read of the folder blocks in open(2) for ever (only
    SIGKILL ends it; subprocess.run's timeout sends that, so this test fails rather than hangs)."""
    env, _ = fake_gs
    root = grey_folder(tmp_path / "scans")
    os.mkfifo(root / "pipe.png")
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--dataset", f"folder:{root}", "--epochs", "1", "--threads", "1",
         "--batch-size", "8", "--image-size", "12", "--out", str(tmp_path / "m.safetensors")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "1 of 25 image files could not be read and were skipped (pipe.png: is a FIFO (named pipe)" in done.stderr
    assert (tmp_path / "m.safetensors").is_file()


def test_a_picture_past_the_pixel_cap_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    side = int(MAX_PIXELS**0.5) + 1  # a 1-bit PNG: a few kilobytes on disk, past the cap once decoded
    root = grey_folder(tmp_path / "scans", count=8)
    Image.new("1", (side, side)).save(root / "bomb.png")
    assert (root / "bomb.png").stat().st_size < 100_000
    found = read_image_folder(root, cache_dir=tmp_path / "cache", threads=2)
    assert len(found.images) == 8
    assert found.notice is not None and f"bomb.png: is too large ({side:,}×{side:,} pixels" in found.notice
    with pytest.raises(PictureError, match=r"bomb\.png is too large"):
        read_picture(root / "bomb.png")


def test_raster_formats_still_open(tmp_path: Path) -> None:
    picture = Image.fromarray(np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3) % 251)
    for suffix in (".png", ".jpg", ".bmp", ".gif", ".tif", ".webp", ".ppm"):
        path = tmp_path / f"p{suffix}"
        picture.save(path)
        with open_raster(path) as image:
            assert image.size == (64, 48)
    wrong_name = tmp_path / "actually-a-jpeg.png"
    picture.save(wrong_name, format="JPEG")  # the name does not matter, the raster format does
    with open_raster(wrong_name, draft=("RGB", (16, 12))) as image:
        assert image.format == "JPEG" and image.size == (16, 12)
    with pytest.raises(RasterError, match="is a folder"), open_raster(tmp_path):
        pass


def test_paths_no_file_system_takes_are_refused_in_words(tmp_path: Path) -> None:
    for path, said in ((tmp_path / ("x" * 300 + ".png"), "File name too long"), ("a\0b.png", "null byte")):
        with pytest.raises(RasterError, match=said), open_raster(path):
            pass
