"""The lecture's loop in a Python process of its own, as the lecture's script runs: the yardstick for CPU speed.

Why a process of its own: the engine tunes the process it runs in (core.training.memory raises glibc's malloc
thresholds,
which took the lecture's loop too from ~2,400 page faults a step to a handful). Run inside the bench's process, the
reference would be measured with the engine's allocator settings, which the lecture's script does not have. The
child is driven one step at a time over a pipe (a round trip costs tens of microseconds against steps of tens of
milliseconds), so it still takes turns with the engine window by window, idle while the engine runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from multiprocessing.connection import Connection

from core.bench.machine import own_children

_START_TIMEOUT_S = 120.0


class ReferenceProcessError(RuntimeError):
    """The child could not start or stopped answering."""


class ReferenceProcess:
    """ReferenceLoop on the CPU on the built-in digits, in a spawned child process; use as a context manager."""

    def __init__(self, threads: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of this process's tuning
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, threads), name="convae-reference", daemon=True)
        self._process.start()
        child.close()
        try:
            started = self._conn.poll(_START_TIMEOUT_S)
            answer = self._conn.recv() if started else "it did not start in time"
        except (EOFError, OSError):  # the child died before it said anything (e.g. its imports failed)
            answer = f"it ended with exit code {self._process.exitcode}"
        if answer != "ready":
            self.close()
            raise ReferenceProcessError(f"the reference loop's process failed: {answer}")
        own_children.add(self._process.pid)

    def __enter__(self) -> ReferenceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_threads(self, threads: int) -> None:
        """torch.set_num_threads in the child (the lecture's loop runs on one team of that many)."""
        self._ask(("threads", threads))

    def steps(self) -> Iterator[int]:
        """Endless steps of the lecture's loop, each run in the child when asked for; yields the images of each."""
        while True:
            yield self._ask(("step",))

    def _ask(self, message: tuple) -> int:
        try:
            self._conn.send(message)
            answer = self._conn.recv()
        except (EOFError, OSError) as error:
            raise ReferenceProcessError("the reference loop's process stopped answering") from error
        if isinstance(answer, str):
            raise ReferenceProcessError(f"the reference loop's process failed: {answer}")
        return answer

    def close(self) -> None:
        own_children.discard(self._process.pid)
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("stop",))
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        self._conn.close()


def _serve(conn: Connection, threads: int | None) -> None:
    """The child: build the lecture's loop, then run one step per request until told to stop."""
    try:
        import torch

        from core.bench.reference import ReferenceLoop
        from core.data.datasets import load_builtin_digits

        if threads:
            torch.set_num_threads(threads)
        steps = ReferenceLoop(load_builtin_digits(), torch.device("cpu")).steps()
        conn.send("ready")
        while True:
            message = conn.recv()
            if message[0] == "step":
                conn.send(next(steps))
            elif message[0] == "threads":
                torch.set_num_threads(message[1])
                conn.send(message[1])
            else:
                return
    except (EOFError, KeyboardInterrupt):
        return
    except Exception as error:  # said to the parent, which raises it there with the child's reason
        conn.send(f"{type(error).__name__}: {error}")
