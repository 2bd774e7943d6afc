"""How often the window shows training progress: as often as the host can spare the redraws.

Why: each progress update redraws the loss curve (axes, curve, running average), the progress bar and labels on
the window's thread. When CPU training takes every core, that thread's time comes out of training. Measured on the
2-core CI host with the window offscreen and the built-in digits training on both cores (interleaved, 6 samples of
4 s each way): the window's thread used 0.093 CPUs at 30 updates a second and 0.065 at 10. Where a core is
spare (more cores than training threads) or training runs on a GPU, the window keeps 30 a second.
"""

from __future__ import annotations

import os

#: Progress updates a second: where a core is spare, and where training takes every core.
FULL_RATE, SPARING_RATE = 30.0, 10.0


def progress_updates_per_second(device_type: str, training_threads: int, cpus: int | None = None) -> float:
    """FULL_RATE, or SPARING_RATE where CPU training runs on as many threads as the machine has cores."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    return SPARING_RATE if device_type == "cpu" and training_threads >= cpus else FULL_RATE
