"""Denormal floats flushed to zero on the threads that train on the CPU: the lecture's network makes many of them.

Why: once the network has learnt the digits' black background, the sigmoid sits deep in saturation there and the
gradients flowing back from those pixels fall below float32's smallest normal number (1.2e-38). After 30 steps on
the built-in digits, a third to 70 % of the gradient entering the decoder's ConvTranspose 64→32 was zero or denormal
(two seeds), and x86 cores take a slow microcode path for every denormal operand: that one layer's backward took
44–55 ms a step at one thread against 3.3–3.5 ms with denormals flushed to zero, about half of the whole step
(torch.profiler, then the same captured tensors timed alone; a one-off script, see git history). After ~300 steps the
gradients hold none and the timings are equal, so it is the start of every run that pays: the lecture's loop ran
its first 100 steps 1.4–1.6× slower for it; over a whole 20-epoch run on the built-in digits the difference was
within the noise of two cores (1.15× and 0.97× in two runs; a one-off script, see git history). Flushing
(FTZ/DAZ, set by torch.set_flush_denormal) changes only values below 1.2e-38, which become 0; TensorFlow's CPU
thread pools flush them by default for the same reason.

The flag is a CPU register of each thread. A thread created after it is set inherits it, so a thread that sets it
before its first parallel region gets an OpenMP team that flushes too (core.training.thread_teams); setting it on a
thread
whose team already exists leaves that team's other threads as they were.
"""

from __future__ import annotations

import torch

_DENORMAL = 1e-39  # below float32's smallest normal number, above its smallest denormal
_PROBE_ELEMENTS = 1 << 21  # large enough that torch spreads an elementwise op over every thread of the team


def flush_denormals_here() -> bool:
    """Flush denormals to zero on the calling thread (and any thread it creates later); False where unsupported."""
    return bool(torch.set_flush_denormal(True))


def this_thread_flushes() -> bool:
    """Whether the calling thread flushes denormals (a one-element product, on this thread alone)."""
    return float(torch.tensor([_DENORMAL]) * 2.0) == 0.0


def team_flushes() -> bool:
    """Whether every thread of the calling thread's torch team flushes denormals (each takes part of one product)."""
    product = torch.full((_PROBE_ELEMENTS,), _DENORMAL) * 2.0
    return bool((product == 0).all()) and this_thread_flushes()
