"""The same class as issue 24's defect 1, found in `render map` and `render path`: their --out replaced any file,
a user's own photo included. They now replace only an earlier render (core.files.own_output), refused before the
checkpoint is even read."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_testkit import fast_config
from PIL import Image

from core.commands.main import main
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.settings import ModelConfig
from core.training.engine import Trainer


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("m") / "m.safetensors", Checkpoint.from_trainer(trainer))


KINDS = {"map": ["--grid", "2"], "path": ["--from", "0", "--to", "1", "--steps", "2"]}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_users_png_is_left_and_an_earlier_render_is_replaced(kind, model, tmp_path, capsys):
    photo = tmp_path / "holiday.png"
    Image.new("RGB", (5, 5), (1, 2, 3)).save(photo)
    before = photo.read_bytes()
    assert main(["render", kind, str(model), "--out", str(photo), *KINDS[kind]]) == 1
    assert "is not a picture this app wrote: it is left as it is" in capsys.readouterr().err
    assert photo.read_bytes() == before

    render = tmp_path / "render.png"
    assert main(["render", kind, str(model), "--out", str(render), *KINDS[kind]]) == 0
    assert main(["render", kind, str(model), "--out", str(render), *KINDS[kind]]) == 0  # its own: replaced
