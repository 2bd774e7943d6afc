"""Issue 24, defect 6: `render timelapse --width 4000` held every frame at full size (160 frames peaked at 10.4 GB,
a 1,000-frame history ended in MemoryError). Frames now go to the file one at a time: the real command, in a child
process whose growth is measured, under an address-space limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core_testkit import recorded_run
from PIL import Image

from core.files.checkpoint import Checkpoint, save_checkpoint

CHILD = """
import resource, sys
from core.commands.main import main
import core.commands.render_timelapse, core.timelapse.pictures, core.files.checkpoint  # loaded before measuring
def size(key):  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's across exec)
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size('VmSize:') + int(sys.argv[3]), resource.RLIM_INFINITY))
open('/proc/self/clear_refs', 'w').write('5')  # VmHWM from here: the imports' peak does not count
before = size('VmRSS:')
code = main(['render', 'timelapse', sys.argv[1], '--out', sys.argv[2], '--width', '4000'])
print(code, (size('VmHWM:') - before) // 2**20)
"""


def test_a_4000_pixel_time_lapse_holds_one_frame_at_a_time(tmp_path: Path, digits_subset, subprocess_env) -> None:
    trainer, history, _ = recorded_run(digits_subset(64), latent=2, epochs=5)
    frames = len(history)
    assert frames >= 10
    run = save_checkpoint(tmp_path / "run.safetensors", Checkpoint.from_trainer(trainer, history))
    out = tmp_path / "run.gif"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(run), str(out), str(3 * 2**30)],
        capture_output=True, text=True, env=subprocess_env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    code, grown_mib = (int(v) for v in result.stdout.split()[-2:])
    assert code == 0
    with Image.open(out) as gif:
        assert (gif.n_frames, gif.width) == (frames, 4000)
    # one 4000-pixel frame is 34 MB as RGB: all of them would be frames × 34 MB (and more while Pillow quantises)
    assert grown_mib < 400, f"the render grew the process by {grown_mib} MiB for {frames} frames"
