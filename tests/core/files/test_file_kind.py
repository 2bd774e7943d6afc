"""Opening a file that is not a checkpoint says what it is (issue 25, defect 13: a PNG gave a raw header size)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from core_testkit import fast_config
from PIL import Image

from core.commands.main import main
from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from core.files.file_kind import foreign_kind
from core.training.engine import Trainer


def picture(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (28, 28), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("a.txt", "hello")
    return buffer.getvalue()


FILES = {
    "x.png": (lambda: picture("PNG"), "x.png is a PNG image, not a checkpoint"),
    "x.jpg": (lambda: picture("JPEG"), "x.jpg is a JPEG image, not a checkpoint"),
    "x.gif": (lambda: picture("GIF"), "x.gif is a GIF image, not a checkpoint"),
    "notes.safetensors": (lambda: "model notes: β = 1\n".encode() * 3, "notes.safetensors is a text file, not a"),
    "x.pdf": (lambda: b"%PDF-1.7\n" + bytes(100), "x.pdf is a PDF document, not a checkpoint"),
}


@pytest.mark.parametrize("name", FILES)
def test_a_file_that_is_not_a_checkpoint_is_named_for_what_it_is(tmp_path: Path, name: str) -> None:
    make, message = FILES[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert str(caught.value).startswith(message)
    assert "opens the .safetensors files it saves" in str(caught.value) and "header claims" not in str(caught.value)


def test_render_of_a_png_says_it_is_an_image(tmp_path: Path, capsys) -> None:
    (tmp_path / "digit.png").write_bytes(picture("PNG"))
    assert main(["render", "map", str(tmp_path / "digit.png"), "--out", str(tmp_path / "m.png")]) == 1
    assert "digit.png is a PNG image, not a checkpoint" in capsys.readouterr().err


def test_signatures_never_take_a_real_checkpoint_or_a_zip_or_pickle_for_something_else(
    tmp_path: Path, digits_subset
) -> None:
    path = save_checkpoint(
        tmp_path / "c.safetensors", Checkpoint.from_trainer(Trainer(digits_subset(64), fast_config()))
    )
    assert foreign_kind(path.read_bytes()[:16]) is None
    for length in (0x0280, 0x0580, 0x4742, 0x4D42):  # header lengths whose bytes start like a pickle, "GI", "BM"
        assert foreign_kind(length.to_bytes(8, "little") + b'{"a":1}') is None
    assert foreign_kind(archive()[:16]).startswith("a ZIP archive")
    assert foreign_kind(b"\x80\x04\x95\x10" + bytes(12)).startswith("a Python pickle")
    assert foreign_kind(bytes(16)) is None  # nothing we know: the loader's own checks say what is wrong
