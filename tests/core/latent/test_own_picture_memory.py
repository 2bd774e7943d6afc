"""Issue 24, defect 5: "Your image" kept the whole picture of a file and converted it in floats: an 8000×8000 RGBA
PNG at the pixel cap cost 3.8 GB in `render drawing`, and the window converted a pinned photo again at every
snapshot. The picture kept is now at most WORKING_SIDE pixels, and the same picture is converted once per format."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from core_testkit import fast_config

from core.files.checkpoint import Checkpoint, save_checkpoint
from core.latent import pinned_image
from core.latent.own_picture import WORKING_SIDE, read_picture
from core.latent.view import view_of
from core.settings import ModelConfig
from core.training.engine import Trainer

SIDE = 8000


def _rgba_png(path: Path, side: int) -> None:
    """A real 8-bit RGBA PNG, written row by row: a white disc's worth of ink on a transparent sheet, a few KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(6)
    blank = b"\0" + b"\0\0\0\0" * side
    ink = b"\0" + b"\0\0\0\0" * (side // 3) + b"\xff\xff\xff\xff" * (side // 3) + b"\0\0\0\0" * (side - 2 * (side // 3))
    parts = [packer.compress(ink if side // 3 <= row < 2 * side // 3 else blank) for row in range(side)]
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    data = b"".join(parts) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(128), fast_config(display_size=60), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("model") / "m.safetensors", Checkpoint.from_trainer(trainer))


CHILD = """
import resource, sys
from core.commands.main import main
import core.commands.render_drawing, core.latent.pinned_image, core.files.checkpoint, torch  # loaded first
def size(key):  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size('VmSize:') + 3 * 2**30, resource.RLIM_INFINITY))
open('/proc/self/clear_refs', 'w').write('5')  # VmHWM from here: the imports' peak does not count
before = size('VmRSS:')
code = main(['render', 'drawing', sys.argv[1], '--image', sys.argv[2], '--out', sys.argv[3]])
print(code, (size('VmHWM:') - before) // 2**20)
"""


def test_render_drawing_of_a_picture_at_the_pixel_cap_stays_small(model, tmp_path, subprocess_env):
    picture = tmp_path / "huge.png"
    _rgba_png(picture, SIDE)
    out = tmp_path / "drawing.png"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(model), str(picture), str(out)],
        capture_output=True, text=True, env=subprocess_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    code, grown_mib = (int(v) for v in result.stdout.split()[-2:])
    assert code == 0 and out.is_file()
    # the decoded picture itself is 244 MiB (8000² RGBA); its float conversion was 3.8 GB
    assert grown_mib < 700, f"render drawing grew the process by {grown_mib} MiB"


def test_the_picture_kept_is_small_and_converted_once_per_format(model, tmp_path, digits_subset):
    path = tmp_path / "big.png"
    _rgba_png(path, 3000)
    picture = read_picture(path)
    assert max(picture.size) <= WORKING_SIDE and picture.mode == "RGBA"
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    view = view_of(trainer.snapshot())
    real = pinned_image.to_dataset_format
    with mock.patch.object(pinned_image, "to_dataset_format", side_effect=real) as converting:
        first = pinned_image.as_network_input(view, picture)
        again = pinned_image.as_network_input(view, picture)  # the next snapshot, the same picture
    assert converting.call_count == 1
    assert np.array_equal(first, again) and first.shape == (1, 28, 28) and first.max() > 100
