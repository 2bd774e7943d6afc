"""`convae-explorer render map|path`: the PNGs, pixel by pixel against decodes of the same checkpoint, and clear
refusals of bad input that leave existing files alone."""

from __future__ import annotations

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
from core.latent.atlas import to_uint8
from core.latent.view import view_of
from core.settings import ModelConfig
from core.training.engine import Trainer


def _checkpoint(folder: Path, latent: int, digits_subset) -> Path:
    trainer = Trainer(digits_subset(256), fast_config(display_size=120), ModelConfig(latent, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(folder / f"model{latent}.safetensors", Checkpoint.from_trainer(trainer))


@pytest.fixture(scope="module")
def model2(tmp_path_factory, digits_subset) -> Path:
    return _checkpoint(tmp_path_factory.mktemp("render"), 2, digits_subset)


@pytest.fixture(scope="module")
def model5(tmp_path_factory, digits_subset) -> Path:
    return _checkpoint(tmp_path_factory.mktemp("render"), 5, digits_subset)


def _view(path: Path):
    """The checkpoint's snapshot, built here independently of the command."""
    trainer = load_checkpoint(path).resume(load_builtin_digits(), device="cpu")
    return view_of(trainer.snapshot())


def _printed_centres(out: str) -> tuple[float, float, float, float, float, float]:
    pattern = r"x from (\S+) to (\S+), y from (\S+) \(top row\) to (\S+) \(bottom row\), step (\S+) × (\S+)"
    match = re.search(pattern, out)
    assert match, out
    return tuple(float(v) for v in match.groups())  # type: ignore[return-value]


@pytest.mark.parametrize("model", ["model2", "model5"])
def test_render_map_writes_n_by_n_tiles_that_match_decodes_at_the_printed_centres(model, request, tmp_path, capsys):
    path = request.getfixturevalue(model)
    out = tmp_path / "map.png"
    assert main(["render", "map", str(path), "--out", str(out), "--grid", "6"]) == 0
    printed = capsys.readouterr().out
    picture = np.asarray(Image.open(out))
    assert picture.shape == (6 * 28, 6 * 28) and picture.dtype == np.uint8
    x_first, x_last, y_top, y_bottom, _, _ = _printed_centres(printed)
    view = _view(path)
    xs, ys = np.linspace(x_first, x_last, 6), np.linspace(y_top, y_bottom, 6)
    for row in range(6):
        for column in range(6):
            image, _ = view.decode_at(xs[column], ys[row])
            tile = picture[row * 28 : (row + 1) * 28, column * 28 : (column + 1) * 28]
            # the printed centres have 6 significant digits: a rounding step apart at most
            assert np.abs(tile.astype(int) - to_uint8(image[0]).astype(int)).max() <= 1, (row, column)
    assert not np.array_equal(picture[:28, :28], picture[-28:, :28])  # rows are not all alike
    if model == "model5":
        assert "mapped back to full codes" in printed


def test_render_map_over_a_given_range_and_exact_centres(model2, tmp_path, capsys):
    out = tmp_path / "map.png"
    assert main(["render", "map", str(model2), "--out", str(out), "--grid", "4", "--range=-1,1,-2,2"]) == 0
    assert "x -1 to 1, y -2 to 2" in capsys.readouterr().out
    picture = np.asarray(Image.open(out))
    view = _view(model2)
    for row, y in enumerate([1.5, 0.5, -0.5, -1.5]):
        for column, x in enumerate([-0.75, -0.25, 0.25, 0.75]):
            expected = to_uint8(view.decode_at(x, y)[0][0])
            assert np.array_equal(picture[row * 28 : (row + 1) * 28, column * 28 : (column + 1) * 28], expected)


@pytest.mark.parametrize("model", ["model2", "model5"])
def test_render_path_frames_are_decodes_of_the_interpolated_codes(model, request, tmp_path, capsys):
    path = request.getfixturevalue(model)
    out = tmp_path / "strip.png"
    assert main(["render", "path", str(path), "--from", "4", "--to", "17", "--steps", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    picture = np.asarray(Image.open(out))
    assert picture.shape == (28, 5 * 28)
    view = _view(path)
    codes = view.snapshot.codes
    if view.plane.is_pca:
        assert "full codes" in printed
        wanted = [(1 - t) * codes[4].astype(np.float64) + t * codes[17] for t in np.linspace(0, 1, 5)]
    else:
        assert "along the view plane" in printed
        wanted = [(1 - t) * view.xy[4].astype(np.float64) + t * view.xy[17] for t in np.linspace(0, 1, 5)]
    frames = view.decode(np.array(wanted, np.float32))
    for k in range(5):
        assert np.abs(picture[:, k * 28 : (k + 1) * 28].astype(int) - to_uint8(frames[k][0])).max() <= 1


def test_render_path_between_plane_positions(model2, tmp_path, capsys):
    out = tmp_path / "strip.png"
    assert main(["render", "path", str(model2), "--from=-1,0", "--to", "1,0.5", "--steps", "3", "--out", str(out)]) == 0
    picture = np.asarray(Image.open(out))
    view = _view(model2)
    assert np.array_equal(picture[:, 28:56], to_uint8(view.decode_at(0.0, 0.25)[0][0]))


def test_render_path_scales_its_strip_pixel_for_pixel(model2, tmp_path, capsys):
    """Issue 25, defect 13: a strip of 12 digits was 336×28 pixels, too small to see; --scale N enlarges it."""
    plain, big = tmp_path / "plain.png", tmp_path / "big.png"
    for out, extra in ((plain, []), (big, ["--scale", "4"])):
        assert main(["render", "path", str(model2), "--from", "4", "--to", "17", "--steps", "5", "--out", str(out),
                     *extra]) == 0  # fmt: skip
    assert "(560×112 pixels)" in capsys.readouterr().out
    small, large = np.asarray(Image.open(plain)), np.asarray(Image.open(big))
    assert large.shape == (4 * 28, 4 * 5 * 28)
    for dy in range(4):
        for dx in range(4):  # every image pixel became a 4×4 block of the same value: no smoothing
            assert np.array_equal(large[dy::4, dx::4], small)
    with pytest.raises(SystemExit) as stopped:
        main(["render", "path", str(model2), "--from", "4", "--to", "17", "--out", str(big), "--scale", "17"])
    assert stopped.value.code == 2 and "--scale must be from 1 to 16, got 17" in capsys.readouterr().err


def test_a_value_starting_with_a_minus_gets_the_equals_form_in_the_error(model2, tmp_path, capsys):
    """Issue 25, defect 13: argparse takes -1,0 for an option; the error now says to write --from=-1,0."""
    with pytest.raises(SystemExit) as stopped:
        main(["render", "path", str(model2), "--from", "-1,0", "--to", "1,0.5", "--out", str(tmp_path / "s.png")])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --from: expected one argument" in err and "joined to its option with '=': --from=-1,0" in err
    with pytest.raises(SystemExit):
        main(["render", "map", str(model2), "--range", "-3,3,-2,2", "--out", str(tmp_path / "m.png")])
    assert "--range=-3,3,-2,2" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["render", "path", str(model2), "--to", "1,0", "--out", str(tmp_path / "s.png"), "--from"])
    assert "expected one argument" in capsys.readouterr().err  # nothing after it: no hint to give


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["path", "--from", "9999", "--to", "1", "--out", "{out}"], "outside the display set (0 to 119)"),
        (["path", "--from", "a", "--to", "1", "--out", "{out}"], "image index (e.g. 17) or a plane position"),
        (["map", "--range=1,0,0,1", "--out", "{out}"], "x0 < x1"),
        (["map", "--range", "1,2,3", "--out", "{out}"], "four numbers"),
        (["map", "--grid", "0", "--out", "{out}"], "--grid must be from 1 to 64"),
        (["map", "--out", "{folder}"], "is a folder"),
        (["map", "--out", "{txt}"], "must end in .png"),
    ],
)
def test_bad_input_is_refused_clearly_and_leaves_the_file(model2, tmp_path, capsys, args, message):
    out = tmp_path / "keep.png"
    out.write_bytes(b"precious")
    filled = [a.format(out=out, folder=tmp_path, txt=tmp_path / "x.txt") for a in args]
    try:
        code = main(["render", filled[0], str(model2), *filled[1:]])
    except SystemExit as exit_:  # argparse's refusals
        code = exit_.code
    assert code in (1, 2)
    assert message in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_a_missing_checkpoint_is_named(tmp_path, capsys):
    assert main(["render", "map", str(tmp_path / "nope.safetensors"), "--out", str(tmp_path / "m.png")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_render_runs_as_a_command_without_qt(model2, tmp_path, subprocess_env):
    out = tmp_path / "m.png"
    probe = (
        "import sys; from core.commands.main import main; code = main(sys.argv[1:]); "
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "render", "map", str(model2), "--out", str(out), "--grid", "3"],
        capture_output=True,
        text=True,
        env=subprocess_env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Plane range: x " in result.stdout
    assert Image.open(out).size == (84, 84)
