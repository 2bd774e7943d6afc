"""Torch's thread count, which is kept per calling thread: set it for a block and give the caller's back after.

Its own module, importing nothing of the app, so that the engine and the step runners can use it as well as the
window's side (core.runs.backend loads the engine, so the engine cannot import it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def thread_count_kept() -> Iterator[None]:
    """Restore the calling thread's torch thread count afterwards (the engine sets its own when it trains)."""
    threads = torch.get_num_threads()
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextmanager
def on_threads(count: int) -> Iterator[None]:
    """The calling thread's torch ops on `count` threads inside the block; its own count given back afterwards."""
    with thread_count_kept():
        torch.set_num_threads(count)
        yield
