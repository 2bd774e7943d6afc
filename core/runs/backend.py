"""The torch side of the application, loaded once in the background: devices, and thread counts per thread.

Torch keeps a thread count per calling thread; the window's thread only decodes single images for the hover
preview, so it runs with one and leaves the cores to the training thread.
"""

from __future__ import annotations

import os

import torch


def available_devices() -> list[str]:
    """Devices torch can train on here."""
    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def load_engine() -> list[str]:
    """Import everything a run needs (seconds of imports, done off the window's thread); return the devices."""

    return available_devices()


def decode_on_this_thread_only() -> None:
    """One torch thread for the calling (display) thread: its decodes are single images."""
    torch.set_num_threads(1)


#: Torch threads a map decode may use while no run trains (the window's thread mostly waits meanwhile).
IDLE_MAP_THREADS = 2


def map_threads(training: bool, load: float | None, cores: int) -> int:
    """Torch threads for a map decode: two while no run trains, so a map decodes on both cores of a 2-core machine;
    one while a run trains, so training and the window keep theirs. One also while other programs keep every core
    busy (`load`, the 1-minute load average, at or above `cores`): measured at load 8–10 on 2 cores, a second
    thread made the map 1.4–1.8× slower than one (each layer's threads wait for one another; a one-off script, see
    git history)."""
    if training or (load is not None and load >= cores):
        return 1
    return max(1, min(IDLE_MAP_THREADS, cores))


def decode_map_threads(training: bool) -> None:
    """Set the calling (map) thread's torch threads (map_threads, with this machine's load and cores)."""
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        load = None
    torch.set_num_threads(map_threads(training, load, os.cpu_count() or 1))
