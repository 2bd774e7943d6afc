"""Keep freed training buffers inside the process instead of handing them back to the OS after every step.

A CPU training step allocates and frees tens of megabytes of activations and gradients. glibc's malloc gives
large blocks back to the OS when they are freed (blocks above its mmap threshold, and the top of the heap above
its trim threshold), so the next step takes them again page by page: on the 2-core CI host one step at one
thread took ~1,900–4,500 minor page faults (the lecture's loop ~2,400), and with the thresholds raised 1–7.
Page faults are dear on virtual machines. The cost: the process keeps up to one step's peak working set
(tens of MB) after a step ends. Process-wide, so the bench's reference loop, run in the same process, gets it
too and its ratios stay fair; measured in `convae-explorer bench` (docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

_M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20  # glibc's largest (DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
_TRIM_THRESHOLD = 256 << 20


@cache
def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
