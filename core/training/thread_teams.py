"""A thread of its own for CPU training work, with its own torch thread team, every thread flushing denormals.

Why a thread of its own rather than the caller's: torch's thread count and the denormal flag belong to the
calling thread, and an OpenMP team is made once per calling thread, by that thread, and inherits its flag then
(core.training.denormals). The window's worker thread and the bench's main thread have often run torch work before a run
starts, so their teams may not flush. A team thread sets both before its first torch op, so every thread of its
team flushes, and the caller's own settings are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import torch

from core.training.denormals import flush_denormals_here

_Result = TypeVar("_Result")


def _start_team(threads: int) -> None:
    flush_denormals_here()  # before the first parallel region: the team this thread makes inherits it
    torch.set_num_threads(threads)


class ThreadTeam:
    """One worker thread whose torch ops run on `threads` threads that flush denormals; close() ends it."""

    def __init__(self, threads: int, name: str = "convae-team") -> None:
        self.threads = threads
        self._thread = ThreadPoolExecutor(1, name, initializer=_start_team, initargs=(threads,))

    def submit(self, work: Callable[..., _Result], *args: object) -> Future[_Result]:
        """Start `work(*args)` on the team's thread; the future holds its result."""
        return self._thread.submit(work, *args)

    def run(self, work: Callable[..., _Result], *args: object) -> _Result:
        """`work(*args)` on the team's thread, waited for; its exception, if any, raised here."""
        return self.submit(work, *args).result()

    def close(self) -> None:
        self._thread.shutdown(wait=True)


def steps_on_team(steps: Iterator[_Result], team: ThreadTeam) -> Iterator[_Result]:
    """`steps`, each next() taken on the team's thread (the bench runs the lecture's loop so, beside the engine)."""
    while True:
        try:
            yield team.run(next, steps)
        except StopIteration:
            return
