"""Issue 24, defect 8: a checkpoint whose weights are finite but huge (3e38, the top of float32) passes the
reader's checks, and every computation on it overflows. Each command refuses it in words, writes nothing, and
never ends in a traceback (render map raised ValueError, render drawing Pillow's SystemError, export projector
wrote `inf` codes with exit code 0)."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_testkit import fast_config
from PIL import Image

from core.commands.main import main
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.settings import ModelConfig
from core.training.engine import Trainer

HUGE = 3e38


def _huge_checkpoint(folder: Path, digits_subset, prefix: str) -> Path:
    """A real trained checkpoint whose weight matrices under `prefix` ('' all, 'decoder.' the decoder) are HUGE."""
    trainer = Trainer(digits_subset(128), fast_config(display_size=60), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    checkpoint = Checkpoint.from_trainer(trainer)
    for name, tensor in checkpoint.model_state.items():
        if name.startswith(prefix) and tensor.ndim > 1:
            tensor.fill_(HUGE)
    return save_checkpoint(folder / f"huge{prefix or 'all'}.safetensors", checkpoint)


@pytest.fixture(scope="module")
def huge_everywhere(tmp_path_factory, digits_subset) -> Path:
    return _huge_checkpoint(tmp_path_factory.mktemp("huge"), digits_subset, "")


@pytest.fixture(scope="module")
def huge_decoder(tmp_path_factory, digits_subset) -> Path:
    return _huge_checkpoint(tmp_path_factory.mktemp("huge"), digits_subset, "decoder.")


def _picture(folder: Path) -> Path:
    path = folder / "mine.png"
    Image.new("L", (40, 40), 200).save(path)
    return path


COMMANDS = {
    "map": lambda ckpt, out: ["render", "map", ckpt, "--out", f"{out}/map.png"],
    "path": lambda ckpt, out: ["render", "path", ckpt, "--from", "0", "--to", "1", "--out", f"{out}/path.png"],
    "drawing": lambda ckpt, out: ["render", "drawing", ckpt, "--image", f"{out}/mine.png", "--out", f"{out}/d.png"],
    "codes": lambda ckpt, out: ["export", "codes", ckpt, "--out", f"{out}/codes.csv"],
    "projector": lambda ckpt, out: ["export", "projector", ckpt, "--out", f"{out}/projector"],
    "gallery": lambda ckpt, out: ["render", "gallery", ckpt, "--worst", "5", "--out", f"{out}/g.png"],
    "errors": lambda ckpt, out: ["export", "errors", ckpt, "--out", f"{out}/errors.csv"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_huge_weights_are_refused_in_words_and_nothing_is_written(command, huge_everywhere, tmp_path, capsys):
    _picture(tmp_path)
    before = set(tmp_path.iterdir())
    assert main(COMMANDS[command](str(huge_everywhere), tmp_path)) == 1
    err = capsys.readouterr().err
    assert "not finite numbers" in err and "overflows" in err and "Traceback" not in err, err
    assert set(tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", ["map", "path", "drawing", "gallery"])
def test_a_decoder_that_overflows_is_refused_where_it_decodes(command, huge_decoder, tmp_path, capsys):
    _picture(tmp_path)
    before = set(tmp_path.iterdir())
    assert main(COMMANDS[command](str(huge_decoder), tmp_path)) == 1
    err = capsys.readouterr().err
    assert "not finite numbers" in err and "at step" in err, err
    assert set(tmp_path.iterdir()) == before


def test_a_decoder_that_overflows_still_exports_its_finite_codes(huge_decoder, tmp_path, capsys):
    assert main(COMMANDS["codes"](str(huge_decoder), tmp_path)) == 0
    text = (tmp_path / "codes.csv").read_text()
    assert "inf" not in text.lower() and "nan" not in text.lower()
