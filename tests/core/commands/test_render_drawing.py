"""`convae-explorer render drawing`: your picture as a star among a checkpoint's codes, checked pixel by pixel."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config
from PIL import Image, ImageDraw

from core.commands.main import main
from core.commands.render_drawing import STAR_FILL, STAR_OUTLINE, TILE_SCALE, drawing_layout
from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.own_picture import read_picture
from core.latent.pinned_image import as_network_input, pin_image
from core.latent.view import view_of
from core.settings import ModelConfig
from core.training.engine import Trainer


@pytest.fixture(scope="module")
def models(tmp_path_factory, digits_subset) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("drawing")
    paths = {}
    for latent in (2, 5):
        trainer = Trainer(digits_subset(256), fast_config(display_size=120), ModelConfig(latent, 1, 28))
        for _ in trainer.run(snapshots=False):
            pass
        paths[latent] = save_checkpoint(folder / f"model{latent}.safetensors", Checkpoint.from_trainer(trainer))
    return paths


@pytest.fixture
def paper_one(tmp_path: Path) -> Path:
    """A photo-like "1": dark ink on white paper, taller than wide, in RGB."""
    picture = Image.new("RGB", (150, 200), (245, 245, 240))
    ImageDraw.Draw(picture).line([(78, 25), (70, 175)], fill=(15, 15, 30), width=12)
    path = tmp_path / "one.png"
    picture.save(path)
    return path


@pytest.mark.parametrize("latent", [2, 5])
def test_the_star_and_the_tiles_are_where_the_picture_is_encoded(models, latent, paper_one, tmp_path, capsys):
    out = tmp_path / "where.png"
    assert main(["render", "drawing", str(models[latent]), "--image", str(paper_one), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # built here independently: the checkpoint's view, the picture converted, encoded and placed
    view = view_of(load_checkpoint(models[latent]).resume(load_builtin_digits(), device="cpu").snapshot())
    pinned = pin_image(view, as_network_input(view, read_picture(paper_one)))
    layout = drawing_layout(view, pinned, 800)
    sx, sy = (int(v[0]) for v in layout.to_pixels(np.asarray([pinned.xy])))
    match = re.search(r"plane position \((\S+), (\S+)\), star at pixel \((\d+), (\d+)\)", printed)
    assert match, printed
    assert (float(match[1]), float(match[2])) == pytest.approx(pinned.xy, rel=1e-4, abs=1e-4)
    assert (int(match[3]), int(match[4])) == (sx, sy)
    assert f"closest: {' '.join(pinned.nearest_labels)}" in printed

    pixels = np.asarray(Image.open(out).convert("RGB"))
    assert pixels.shape == (layout.height, layout.width, 3)
    for dy in (-5, -2, 0, 1):  # gold at the expected pixel and inside it (a point up, an inner corner below)
        assert tuple(pixels[sy + dy, sx]) == STAR_FILL
    column = pixels[: sy + 1, sx]
    outline = [y for y in range(sy - 14, sy) if np.abs(column[y].astype(int) - STAR_OUTLINE).max() < 60]
    assert outline, "no dark outline above the star's centre"
    # beside the plot: the picture as the network sees it, then its reconstruction, each pixel a 4×4 block
    x = layout.plot[2] + 20
    y = layout.plot[1] + layout.font_size + 6
    side = 28 * TILE_SCALE
    seen = pixels[y : y + side, x : x + side, 0]
    assert np.array_equal(seen[::TILE_SCALE, ::TILE_SCALE], pinned.image[0])
    assert pinned.image[0, 0].max() == 0 and pinned.image.max() > 200  # inverted: white ink on black
    y += side + 14 + layout.font_size + 6
    recon = pixels[y : y + side, x : x + side, 0][::TILE_SCALE, ::TILE_SCALE].astype(int)
    assert np.abs(recon - np.round(pinned.reconstruction[0] * 255)).max() <= 1


def test_bad_pictures_and_outputs_are_refused_in_words(models, tmp_path, capsys):
    out = tmp_path / "where.png"
    out.write_bytes(b"keep me")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    assert main(["render", "drawing", str(models[2]), "--image", str(text), "--out", str(out)]) == 1
    assert "notes.png is not a picture" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"  # nothing clobbered
    assert main(["render", "drawing", str(models[2]), "--image", str(text), "--out", str(tmp_path / "x.jpg")]) == 2
    assert "must end in .png" in capsys.readouterr().err
    missing = tmp_path / "missing.safetensors"
    Image.new("L", (10, 10)).save(tmp_path / "ok.png")
    assert main(["render", "drawing", str(missing), "--image", str(tmp_path / "ok.png"), "--out", str(out)]) == 1
    assert "does not exist" in capsys.readouterr().err
