"""`render drawing --out` and `export codes --out` replace only a file this app wrote (issue 24: nothing that is not
ours is replaced). Real files of the user's at --out: the very picture given as --image, a spreadsheet, a link."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_testkit import fast_config
from PIL import Image, ImageDraw

from core.commands.main import main
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.files.own_output import SOFTWARE
from core.settings import ModelConfig
from core.training.engine import Trainer


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("own") / "model.safetensors", Checkpoint.from_trainer(trainer))


def test_render_drawing_never_replaces_the_users_picture(model, tmp_path, capsys) -> None:
    mine = tmp_path / "my-digit.png"
    picture = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(picture).line([(60, 10), (58, 110)], fill=0, width=10)
    picture.save(mine)
    before = mine.read_bytes()

    # --out is the picture itself: it is read, then left as it is
    assert main(["render", "drawing", str(model), "--image", str(mine), "--out", str(mine)]) == 1
    assert mine.read_bytes() == before
    assert "exists and is not a picture this app wrote: it is left as it is" in capsys.readouterr().err

    out = tmp_path / "where.png"
    assert main(["render", "drawing", str(model), "--image", str(mine), "--out", str(out)]) == 0
    assert Image.open(out).info.get("Software") == SOFTWARE
    first = out.read_bytes()
    out.write_bytes(first)  # the same bytes, rewritten: still ours by its content
    assert main(["render", "drawing", str(model), "--image", str(mine), "--out", str(out), "--width", "600"]) == 0
    assert out.read_bytes() != first  # an earlier render of ours is replaced

    link = tmp_path / "link.png"
    link.symlink_to(out)  # a link is the user's, even to a picture of ours
    assert main(["render", "drawing", str(model), "--image", str(mine), "--out", str(link)]) == 1
    assert link.is_symlink()


def test_export_codes_never_replaces_the_users_spreadsheet(model, tmp_path, capsys) -> None:
    sheet = tmp_path / "results.csv"
    sheet.write_text("subject,score\nA,12\n")
    assert main(["export", "codes", str(model), "--out", str(sheet)]) == 1
    assert sheet.read_text() == "subject,score\nA,12\n"
    assert "results.csv exists and is not a codes CSV this app wrote" in capsys.readouterr().err

    codes = tmp_path / "codes.csv"
    assert main(["export", "codes", str(model), "--out", str(codes)]) == 0
    codes.write_text(codes.read_text().splitlines()[0] + "\n")  # an earlier export of codes (cut short): ours
    assert main(["export", "codes", str(model), "--out", str(codes)]) == 0
    assert len(codes.read_text().splitlines()) == 31
