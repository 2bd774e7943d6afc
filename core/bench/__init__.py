"""`convae-explorer bench`: the figures that matter, each measured side by side with its contender in one run.

Why it is built this way: the machine may be shared and busy, so every figure is a median of repeated
measurements, every ratio comes from the two contenders interleaved in this one process (A, B, B, A…), and the
CPU time other processes took during the run is printed beside the figures so a noisy run can be told from a
quiet one. Nothing here imports Qt: the GUI figures come from a callable the entry point hands to run_bench.

figures (Figure, the table) · machine (the header, background load) · reference (the lecture's loop) ·
common (what the measurements share: repeats, progress, interleaved timing, medians) · training, encoding,
loss_run (the measurements) · command (run_bench).
"""

from core.bench.command import run_bench
from core.bench.figures import Figure
from core.bench.reference import ReferenceLoop

__all__ = ["Figure", "ReferenceLoop", "run_bench"]
