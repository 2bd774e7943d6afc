"""Issue 24, defect 4: decompression bombs under the pixel cap. A 140 KB PNG declares 8000×8000 16-bit pixels (the
cap's 64 megapixels, 128 MB decoded); each decode thread took what its picture needed and more (a float64 copy:
512 MB), so eight threads on a folder of them held gigabytes. The decode threads now share one memory budget and
convert a reduced picture. Measured in a child process under an address-space limit, with real bomb files."""

from __future__ import annotations

import struct
import subprocess
import sys
import zlib
from pathlib import Path

from PIL import Image

from core.data.raster import MAX_PIXELS

SIDE = 8000  # 64 megapixels: at the cap, so these are decoded, not refused


def _grey16_png(path: Path, width: int, height: int) -> None:
    """A real 16-bit grey PNG, written row by row (the test never holds the picture): a few hundred KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" + b"\x80\x00" * width
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 16, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


CHILD = """
import resource, sys
from core.data.image_folder import read_image_folder  # torch and Pillow loaded before the limit is set
def size(key):  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size('VmSize:') + int(sys.argv[3]), resource.RLIM_INFINITY))
open('/proc/self/clear_refs', 'w').write('5')  # VmHWM from here: the imports' peak does not count
before = size('VmRSS:')
found = read_image_folder(sys.argv[1], size=16, colour=False, cache_dir=sys.argv[2], threads=8)
grown = size('VmHWM:') - before
print(len(found.images), grown // 2**20, repr(found.notice))
"""


def test_eight_threads_on_a_folder_of_bombs_stay_within_the_decode_budget(tmp_path, subprocess_env):
    assert SIDE * SIDE <= MAX_PIXELS
    folder = tmp_path / "bombs" / "a"
    folder.mkdir(parents=True)
    _grey16_png(folder / "bomb0.png", SIDE, SIDE)
    for i in range(1, 4):
        (folder / f"bomb{i}.png").write_bytes((folder / "bomb0.png").read_bytes())
    Image.new("L", (32, 32), 7).save(folder / "plain.png")
    assert max(p.stat().st_size for p in folder.iterdir()) < 400_000
    room = 2 * 2**30  # address space beyond what the child has mapped once torch is loaded (thread arenas included)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder.parent), str(tmp_path / "cache"), str(room)],
        capture_output=True, text=True, env=subprocess_env, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    count, grown_mib, notice = result.stdout.split(maxsplit=2)
    assert (int(count), notice.strip()) == (5, "None"), result.stdout  # every bomb decoded (reduced), none skipped
    assert int(grown_mib) < 700, f"the load grew the process by {grown_mib} MiB"
