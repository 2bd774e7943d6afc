"""Learned views (core.latent.learned_view) computed in a process of their own, so that the caller's GIL stays free.

Why a process: umap-learn, numba, pynndescent and torch hold the GIL for long stretches, so a layout on a thread of
the window's process froze its GUI thread for hundreds of milliseconds at a time. Here one long-lived child (spawned:
a fresh interpreter, nothing of the parent's Qt or threads) imports umap-learn once, then lays out each request sent
to it; the calling thread only waits on a pipe, which holds no GIL. The child gets numpy arrays (the codes, the
layout to start from, the seed) and sends back arrays (the layout, the inverse's weights, its residuals), from which
the parent rebuilds the LearnedPlane with its own codes. The child computes with the same functions, seed and thread
counts as `render` does in its own process, so the window and `render` still agree on a file.

The process is started on the first request (never before the learned view is needed). A request whose caller gives
up (`cancelled`) ends the process at once, freeing its CPU; so does a child that dies (its caller gets
LayoutProcessDied with the exit code); either way the next request starts a new one. `close` ends it for good until
the next request.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np

from core.latent.learned_view import SEED, Inverse, LearnedPlane, warm_start

#: How often a waiting caller checks whether it gave up or the child died (seconds).
POLL_S = 0.05
#: Threads in the child: one numba thread (a seeded UMAP runs its optimiser on one anyway) and one torch thread (the
#: inverse trains on one, train_inverse), so a layout takes one core and leaves the other to the window or training.
CHILD_THREADS = 1


class LayoutProcessDied(RuntimeError):
    """The layout process ended before it answered (killed, or out of memory)."""


class LayoutFailed(RuntimeError):
    """The layout process could not lay the codes out (its reason is the message)."""


class LayoutProcess:
    """One child process that lays out learned views, one request at a time; started on first use.

    `fit` is called from one thread at a time (a background thread: it blocks until the plane is ready); `close`
    may be called from any thread, also while `fit` waits, which then returns None.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = None
        self._conn: Connection | None = None
        self._busy = False  # a request was sent and not yet answered

    @property
    def pid(self) -> int | None:
        """The running child's process id (None when none runs)."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def fit(
        self,
        codes: np.ndarray,
        previous: LearnedPlane | None = None,
        seed: int = SEED,
        cancelled: Callable[[], bool] | None = None,
    ) -> LearnedPlane | None:
        """core.latent.learned_view.fit_learned_plane, computed in the child: the same plane for the same codes,
        `previous` and seed. None when `cancelled` says so while it runs (the child is ended then)."""
        codes = np.array(codes, np.float32)
        start = warm_start(codes, previous)
        conn = self._connection()
        self._busy = True
        try:
            conn.send(("fit", codes, None if start is None else np.asarray(start, np.float32), seed))
            while not conn.poll(POLL_S):
                if cancelled is not None and cancelled():
                    self.close()
                    return None
                if not self._alive(conn):
                    raise EOFError
            answer = conn.recv()
            self._busy = False
        except (EOFError, OSError) as error:
            if cancelled is not None and cancelled():
                self.close()
                return None
            code = self._ended(conn)
            raise LayoutProcessDied(
                f"the learned view's layout process ended before the layout was ready (exit code {code}); "
                "the next layout starts a new one"
            ) from error
        kind, payload = answer
        if kind == "error":
            raise LayoutFailed(payload)
        return plane_from_state(codes, payload)

    def close(self, timeout_s: float = 5.0) -> None:
        """End the child (asked to stop when idle, terminated when busy: a layout under way is worth nothing once
        abandoned); the next `fit` starts another."""
        with self._lock:
            process, conn, busy = self._process, self._conn, self._busy
            self._process, self._conn, self._busy = None, None, False
        if process is None:
            return
        if not busy and conn is not None:  # idle: asked to stop, so that it cleans up after itself
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop",))
            process.join(timeout_s)
        if process.is_alive():  # busy (or deaf): a layout under way is simply abandoned
            process.terminate()
            process.join(timeout_s)
        if process.is_alive():  # pragma: no cover - terminate is SIGTERM, which the child does not catch
            process.kill()
            process.join(timeout_s)
        if conn is not None:
            conn.close()

    # ----- inside ---------------------------------------------------------------------------------------------------
    def _connection(self) -> Connection:
        with self._lock:
            if self._process is not None and self._process.is_alive() and self._conn is not None:
                return self._conn
        self.close()
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no Qt, no threads of the parent's
        conn, child = context.Pipe()
        process = context.Process(target=serve, args=(child,), name="convae-learned-view", daemon=True)
        process.start()
        child.close()
        with self._lock:
            self._process, self._conn = process, conn
        return conn

    def _alive(self, conn: Connection) -> bool:
        with self._lock:
            return self._conn is conn and self._process is not None and self._process.is_alive()

    def _ended(self, conn: Connection) -> int | None:
        """Forget a dead child (if it is still this one's) and say its exit code."""
        with self._lock:
            process = self._process if self._conn is conn else None
        if process is not None:
            process.join(1.0)
            code = process.exitcode
            self.close()
            return code
        return None


def plane_state(plane: LearnedPlane) -> dict:
    """What a LearnedPlane is besides its codes, as arrays: what the child sends back."""
    inverse = plane.inverse
    return {
        "layout": plane.layout,
        "xy_mean": inverse.xy_mean,
        "xy_scale": inverse.xy_scale,
        "code_mean": inverse.code_mean,
        "code_scale": inverse.code_scale,
        "weights": inverse.weights,
        "spacing": plane.layout_spacing,
        "residuals": plane.residuals,
    }


def plane_from_state(codes: np.ndarray, state: dict) -> LearnedPlane:
    """The LearnedPlane of `codes` from `plane_state`'s arrays (read-only, as fit_learned_plane makes them)."""
    inverse = Inverse(state["xy_mean"], state["xy_scale"], state["code_mean"], state["code_scale"], state["weights"])
    return LearnedPlane(
        _read_only(np.array(codes, np.float32)),
        _read_only(state["layout"]),
        inverse,
        state["spacing"],
        None if state["residuals"] is None else _read_only(state["residuals"]),
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


def serve(conn: Connection) -> None:
    """The child: limit its threads, import umap-learn once, then lay out each request until told to stop."""
    os.environ["NUMBA_NUM_THREADS"] = str(CHILD_THREADS)  # read when numba is first imported: before umap-learn
    os.environ["OMP_NUM_THREADS"] = str(CHILD_THREADS)
    try:
        import torch

        torch.set_num_threads(CHILD_THREADS)
        with contextlib.suppress(ImportError):
            import umap  # noqa: F401 - imported once here, not on the first request's clock

        from core.latent.learned_view import fit_learned_plane_from

        while True:
            message = conn.recv()
            if message[0] != "fit":
                return
            _, codes, start, seed = message
            try:
                plane = fit_learned_plane_from(codes, start, seed=seed)
                assert plane is not None  # nothing cancels it here
                conn.send(("ok", plane_state(plane)))
            except Exception as error:  # said to the parent, which raises it with the child's reason
                conn.send(("error", f"{type(error).__name__}: {error}"))
    except (EOFError, OSError, KeyboardInterrupt):
        return
