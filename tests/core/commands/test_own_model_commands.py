"""`train`, `render` and `export` on a user's own module: a real `train --model-code` subprocess, then the pictures and
codes checked against the module's own decode and encode, and the hostile cases refused with exit code 2."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from own_model_kit import HOSTILE, MLP, write_module
from PIL import Image

from core.commands.main import main
from core.data.datasets import load_builtin_digits
from core.latent.atlas import to_uint8
from core.model.own_code import build_module, source_of


@pytest.fixture(scope="module")
def trained(tmp_path_factory, subprocess_env) -> tuple[Path, Path]:
    """(the code file, the checkpoint) of an MLP of latent 2 trained by the real command line."""
    folder = tmp_path_factory.mktemp("own")
    code = write_module(folder, "mlp", MLP)
    out = folder / "mlp.safetensors"
    result = subprocess.run(
        [sys.executable, "-m", "core", "train", "--model-code", f"{code}:MLP", "--model-args", '{"latent": 2}',
         "--dataset", "digits-5k", "--epochs", "1", "--device", "cpu", "--threads", "1", "--out", str(out)],
        capture_output=True, text=True, env=subprocess_env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "your own autoencoder mlp.py:MLP, latent 2" in result.stdout and out.is_file()
    return code, out


@pytest.fixture(scope="module")
def lightning(tmp_path_factory) -> tuple[Path, Path, torch.nn.Module]:
    """(code, a Lightning-style .ckpt, the module it holds): weights trained elsewhere, under `model.`."""
    folder = tmp_path_factory.mktemp("lightning")
    code = write_module(folder, "mlp", MLP)
    torch.manual_seed(3)
    net = build_module(source_of(code, "MLP", '{"latent": 2}')).eval()
    with torch.no_grad():  # spread the codes a little, as trained weights do
        net.enc[3].weight.mul_(4)
    state = {f"model.{k}": v for k, v in net.state_dict().items()}
    torch.save({"state_dict": state, "epoch": 5, "global_step": 800, "pytorch-lightning_version": "2.4.0"},
               folder / "last.ckpt")  # fmt: skip
    return code, folder / "last.ckpt", net


def _own(code: Path, weights: Path) -> list[str]:
    return ["--model-code", f"{code}:MLP", "--model-args", '{"latent": 2}', "--weights", str(weights),
            "--dataset", "digits-5k"]  # fmt: skip


def _centres(out: str) -> tuple[float, ...]:
    pattern = r"x from (\S+) to (\S+), y from (\S+) \(top row\) to (\S+) \(bottom row\)"
    match = re.search(pattern, out)
    assert match, out
    return tuple(float(v) for v in match.groups())


def _map_equals_own_decode(picture: np.ndarray, printed: str, net: torch.nn.Module, grid: int) -> None:
    x0, x1, y0, y1 = _centres(printed)
    xs, ys = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    for row in range(grid):
        for column in range(grid):
            with torch.no_grad():
                own = net.decode(torch.tensor([[xs[column], ys[row]]], dtype=torch.float32))[0, 0].numpy()
            tile = picture[row * 28 : (row + 1) * 28, column * 28 : (column + 1) * 28]
            # the printed centres have 6 significant digits: a rounding step apart at most
            assert np.abs(tile.astype(int) - to_uint8(own[None]).astype(int)[0]).max() <= 1, (row, column)


def test_the_decoded_map_of_weights_trained_elsewhere_is_the_modules_own_decode(lightning, tmp_path, capsys):
    code, weights, net = lightning
    out = tmp_path / "map.png"
    assert main(["render", "map", *_own(code, weights), "--out", str(out), "--grid", "5"]) == 0
    _map_equals_own_decode(np.asarray(Image.open(out)), capsys.readouterr().out, net, 5)


def test_exported_codes_are_the_modules_own_encode_with_where_each_image_is(lightning, tmp_path, capsys):
    code, weights, net = lightning
    out = tmp_path / "codes.csv"
    assert main(["export", "codes", *_own(code, weights), "--out", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    # then the view's position and its way back there (issue 27): x, y, back_z0, back_z1
    assert rows[0] == ["index", "label", "class", "z0", "z1", "data_index", "split", "x", "y", "back_z0", "back_z1"]
    digits = load_builtin_digits()
    where = [int(row[5]) for row in rows[1:]]
    assert {row[6] for row in rows[1:]} == {"training"} and len(set(where)) == len(where) == 2000
    with torch.no_grad():
        own = net.encode(digits.train.images[where].float() / 255).numpy()
    codes = np.array([[float(row[3]), float(row[4])] for row in rows[1:]])
    np.testing.assert_allclose(codes, own, atol=1e-5)
    assert [int(row[1]) for row in rows[1:]] == digits.train.labels[where].tolist()


def test_a_checkpoint_trained_by_the_command_line_renders_and_exports(trained, tmp_path, capsys):
    code, checkpoint = trained
    out = tmp_path / "map.png"
    assert main(["render", "map", str(checkpoint), "--out", str(out), "--grid", "4"]) == 0
    from core.files.checkpoint import load_checkpoint

    saved = load_checkpoint(checkpoint)
    assert saved.model_config.source.path == str(code) and saved.history is not None
    net = build_module(saved.model_config.source).eval()
    net.load_state_dict(saved.model_state)
    _map_equals_own_decode(np.asarray(Image.open(out)), capsys.readouterr().out, net, 4)
    assert main(["export", "projector", str(checkpoint), "--out", str(tmp_path / "projector")]) == 0
    assert (tmp_path / "projector" / "tensors.tsv").is_file()
    gif = tmp_path / "run.gif"
    assert main(["render", "timelapse", str(checkpoint), "--out", str(gif)]) == 0 and gif.is_file()


def test_train_resumes_a_users_module_from_its_checkpoint(trained, tmp_path, capsys):
    _, checkpoint = trained
    out = tmp_path / "more.safetensors"
    assert main(["train", "--resume", str(checkpoint), "--epochs", "2", "--out", str(out)]) == 0
    assert "resuming at epoch 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("raises", r"importing .*raises\.py raised RuntimeError: this file refuses to be imported\nTraceback"),
        ("not_a_module", r"MLP in .*not_a_module\.py is not a torch\.nn\.Module class"),
        ("wrong_decode", r"decode of codes 4×2 returned 4×1×14×56; expected 4×1×28×28"),
        ("raises_in_encode", r"encode raised ValueError: encode is broken on purpose\nTraceback"),
    ],
)
def test_hostile_modules_are_refused_with_exit_code_2(case, message, lightning, tmp_path, capsys):
    _, weights, _ = lightning
    code = write_module(tmp_path, case, HOSTILE[case])
    out = tmp_path / "codes.csv"
    assert main(["export", "codes", *_own(code, weights), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not out.exists()


def test_missing_keys_a_pickled_model_and_no_model_at_all_are_refused_with_exit_code_2(lightning, tmp_path, capsys):
    code, _, net = lightning
    partial = {k: v for k, v in net.state_dict().items() if not k.startswith("dec.")}
    torch.save(partial, tmp_path / "partial.pt")
    out = tmp_path / "m.png"
    assert main(["render", "map", *_own(code, tmp_path / "partial.pt"), "--out", str(out)]) == 2
    assert "missing keys: dec.0.bias, dec.0.weight, dec.2.bias, dec.2.weight" in capsys.readouterr().err
    torch.save(net, tmp_path / "whole.pt")
    assert main(["render", "map", *_own(code, tmp_path / "whole.pt"), "--out", str(out)]) == 2
    assert "holds more than weights" in capsys.readouterr().err
    assert main(["render", "map", "--out", str(out)]) == 2
    assert "name a checkpoint, or your own model with --model-code" in capsys.readouterr().err
    assert main(["render", "path", "--model-code", f"{code}:MLP", "--dataset", "digits-5k", "--from", "0",
                 "--to", "1", "--out", str(out)]) == 2  # fmt: skip
    assert "--model-code needs --weights" in capsys.readouterr().err
    assert not out.exists()


def test_train_refuses_a_module_whose_decode_leaves_0_1_and_takes_the_range_it_gives(tmp_path, capsys):
    code = write_module(tmp_path, "unbounded", HOSTILE["unbounded"])
    out = tmp_path / "u.safetensors"
    base = ["train", "--model-code", f"{code}:MLP", "--dataset", "digits-5k", "--epochs", "1", "--device", "cpu",
            "--out", str(out)]  # fmt: skip
    assert main(base) == 2
    assert "--output-range" in capsys.readouterr().err and not out.exists()
    assert main([*base, "--model-args", json.dumps({"latent": 2}), "--output-range=-1000,1000"]) == 0


def test_open_turns_weights_trained_elsewhere_into_a_checkpoint_the_window_opens(lightning, tmp_path, monkeypatch):
    from core.commands.main import WindowSide
    from core.files.checkpoint import load_checkpoint

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, weights, net = lightning
    opened = []
    side = WindowSide(open_window=lambda path: opened.append(path) or 0)
    assert main(["open", *_own(code, weights)], side) == 0
    (path,) = opened
    assert path.is_relative_to(tmp_path / "cache")
    saved = load_checkpoint(path)
    assert saved.model_config.source.class_name == "MLP" and saved.dataset == "digits-5k"
    for key, value in net.state_dict().items():
        torch.testing.assert_close(saved.model_state[key], value)
    assert main(["open", "--weights", str(weights)], side) == 2 and len(opened) == 1


def test_render_path_and_drawing_take_a_users_module_and_weights(lightning, tmp_path, capsys):
    code, weights, net = lightning
    strip = tmp_path / "path.png"
    assert main(["render", "path", *_own(code, weights), "--from", "0", "--to", "5", "--steps", "4",
                 "--out", str(strip)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    ends = [tuple(float(v) for v in m) for m in re.findall(r"at plane position \((\S+), (\S+)\)", printed)]
    picture = np.asarray(Image.open(strip))
    assert picture.shape == (28, 4 * 28)
    with torch.no_grad():  # a latent-2 view is the codes themselves: the last frame is the decode of the end
        own = net.decode(torch.tensor([ends[1]], dtype=torch.float32))[0, 0].numpy()
    assert np.abs(picture[:, -28:].astype(int) - to_uint8(own[None]).astype(int)[0]).max() <= 1
    image = np.zeros((28, 28), np.uint8)
    image[5:23, 12:16] = 255
    Image.fromarray(image).save(tmp_path / "one.png")
    drawing = tmp_path / "drawing.png"
    assert main(["render", "drawing", *_own(code, weights), "--image", str(tmp_path / "one.png"),
                 "--out", str(drawing)]) == 0  # fmt: skip
    assert "Your image at" in capsys.readouterr().out and drawing.is_file()
