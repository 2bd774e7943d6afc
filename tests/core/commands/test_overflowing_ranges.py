"""Issue 24, defect 13: `render map --range=-1e308,1e308,-1e308,1e308` and path ends at ±1e308 were accepted,
printed inf cell centres and wrote a black PNG with exit code 0. A plane position past float32's range (the codes'
numbers) is refused before anything is loaded or written."""

from __future__ import annotations

import pytest

from core.commands.main import main
from core.latent.atlas import MAX_COORDINATE, PlaneRange, cell_centres


@pytest.mark.parametrize(
    "argv",
    [
        ["render", "map", "{ckpt}", "--out", "{out}", "--range=-1e308,1e308,-1e308,1e308"],
        ["render", "map", "{ckpt}", "--out", "{out}", "--range=0,1e39,0,1"],
        ["render", "path", "{ckpt}", "--out", "{out}", "--from=-1e308,0", "--to=1e308,0"],
        ["render", "path", "{ckpt}", "--out", "{out}", "--from=0,0", "--to=0,-4e38"],
    ],
)
def test_ranges_and_path_ends_past_float32_are_refused_before_anything_is_written(argv, tmp_path, capsys):
    argv = [a.format(ckpt=tmp_path / "model.safetensors", out=tmp_path / "out.png") for a in argv]
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert "3.403e+38" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_widest_range_taken_has_finite_cell_centres():
    area = PlaneRange(-MAX_COORDINATE, MAX_COORDINATE, -MAX_COORDINATE, MAX_COORDINATE)
    assert bool(abs(cell_centres(area, 64)).max() < float("inf"))
