"""The sweep's driver: the runs on Ray Tune, the manifest kept up to date from here, a live progress line.

Why Tune: it is the bookkeeping ML users already run on laptops and clusters (concurrency, resources per trial,
a failing trial that leaves the others running), and `ray start` spreads it over machines. Each run is a class
trainable (`_RunTrainable`) that trains a slice of about a second per `step` through core.sweep.trial, the same
engine, recorder and checkpoint as `train`. A class rather than Tune's function API because Ctrl+C makes Tune
stop every trial: a class trainable's `cleanup` then runs in its worker, between two slices, so the run stops
between two steps and saves its checkpoint as `train` does; a function trainable's thread is abandoned mid-step.

The grid itself is computed by core.sweep.grid (the runs must be named and recorded before they start, and a
resumed sweep runs only part of it), so Tune's grid_search walks the list of runs still to do.

Only this module (and the `sweep` command, which imports it when a sweep runs) imports Ray.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import ray
from ray import tune

from core.sweep.grid import spec_for
from core.sweep.manifest import SweepManifest, write_manifest
from core.sweep.trial import RunSpec, RunTraining, run_checkpoint
from core.training.progress import format_duration

#: Seconds of training per Tune step: short enough that Ctrl+C stops a run within about this, long enough that
#: Tune's bookkeeping between steps costs nothing next to it.
SLICE_S = 1.0
#: The manifest is rewritten at most this often while runs only make progress (a state change writes at once).
MANIFEST_EVERY_S = 1.0
#: How long a HOST:PORT may take to answer before the sweep says it is not there.
CONNECT_TIMEOUT_S = 5.0


class SweepError(Exception):
    """A sweep cannot start or go on; the message says why and what to do."""


@dataclass(frozen=True)
class SweepOptions:
    address: str | None  # None: a Ray of its own on this machine
    max_parallel: int | None
    cpus_per_run: float
    gpus_per_run: float


@dataclass(frozen=True)
class SweepOutcome:
    manifest: SweepManifest
    interrupted: bool  # Ctrl+C stopped it before every run ended
    startup_s: float  # connecting to (or starting) Ray
    run_s: float  # from the first run queued to the last one ended


def check_address(address: str) -> None:
    """Fail at once, with a reason, when HOST:PORT does not answer: Ray's own connection retries for a minute and
    more, and a sweep must never fall back silently to this machine when a cluster was asked for."""
    if address in ("auto", "local") or address.startswith("ray://"):
        return
    host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit():
        raise SweepError(f"--address must be HOST:PORT (the head's `ray start --head --port`), got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port_text)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as error:
        raise SweepError(
            f"no Ray cluster answers at {address} ({error.strerror or error}). Start one with `ray start --head "
            f"--port {port_text}` on that machine, or leave out --address to run on this machine"
        ) from None


def connect(options: SweepOptions) -> None:
    """Join the cluster at --address (or $RAY_ADDRESS), or start a Ray of this machine's size: never the other
    when one was asked for."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Tune's plain reporter, silent at verbose 0
    # A local Ray's workers train at the priority `train` has: Ray starts them at nice 15 otherwise, and any other
    # busy process then starves the runs (a busy 2-core host gave a run a few % of a core). A cluster's workers are
    # started by its own raylets, under whatever its `ray start` was given.
    os.environ.setdefault("RAY_worker_niceness", "0")
    address = options.address or os.environ.get("RAY_ADDRESS") or None
    if address:
        check_address(address)
    try:
        ray.init(
            address=address or "local",  # "local": a new Ray, even where `ray start` left one running
            include_dashboard=False,
            log_to_driver=False,
            logging_level="WARNING",
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise SweepError(f"could not {'join Ray at ' + address if address else 'start Ray'}: {error}") from None
    resources = ray.cluster_resources()
    for name, per_run in (("CPU", options.cpus_per_run), ("GPU", options.gpus_per_run)):
        if per_run > resources.get(name, 0.0):
            ray.shutdown()
            have = resources.get(name, 0.0)
            raise SweepError(f"each run asks for {per_run:g} {name}s but the cluster has {have:g}")


class _RunTrainable(tune.Trainable):
    """One run as a Tune trainable: a slice of training per step; `cleanup` stops it between two steps and
    saves its checkpoint (Ctrl+C), or does nothing once the run has ended and saved."""

    def setup(self, config: dict) -> None:
        self.training = RunTraining(RunSpec(**config["specs"][config["run_id"]]))

    def step(self) -> dict:
        report = self.training.advance(SLICE_S)
        metrics = report.metrics()
        metrics["eta_s"] = -1.0 if math.isinf(report.eta_s) else report.eta_s
        metrics["done"] = report.finished
        return metrics

    def reset_config(self, new_config: dict) -> bool:
        """The next run on this worker (Tune reuses actors): a worker's start (a Python, torch) costs seconds,
        often more than a small run's training."""
        self.training.close()
        self.setup(new_config)
        return True

    def cleanup(self) -> None:
        self.training.close()

    def save_checkpoint(self, checkpoint_dir: str) -> None:
        """The run's checkpoint is its own file (`train`'s format), written by the run itself: nothing for Tune."""
        return None

    def load_checkpoint(self, checkpoint: object) -> None:
        return None


class _Book(tune.Callback):
    """The manifest as the driver knows it, rewritten (atomically) on every change of state and at most once a
    second for progress; and the progress line."""

    def __init__(self, directory: Path, manifest: SweepManifest, line: _ProgressLine) -> None:
        self.directory = directory
        self.axes, self.fixed = manifest.axes, manifest.fixed
        self.runs = {run.run_id: run for run in manifest.runs}
        self.eta: dict[str, float] = {}
        self.line = line
        self._written = 0.0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        """Tune pickles its callbacks with the experiment (for a restore this sweep does not use: --resume reads the
        manifest): the lock and the terminal's progress bar stay behind."""
        return {**self.__dict__, "_lock": None, "line": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def manifest(self) -> SweepManifest:
        return SweepManifest(self.axes, self.fixed, tuple(self.runs.values()))

    def update(self, run_id: str, urgent: bool, **changes: object) -> None:
        with self._lock:
            self.runs[run_id] = replace(self.runs[run_id], **changes)
            now = time.monotonic()
            if urgent or now - self._written >= MANIFEST_EVERY_S:
                write_manifest(self.directory, self.manifest())
                self._written = now
            self.line.show(self.runs.values(), self.eta)

    def flush(self) -> None:
        with self._lock:
            write_manifest(self.directory, self.manifest())

    def _checkpoint(self, run_id: str) -> str | None:
        relative = run_checkpoint(run_id)
        return relative if (self.directory / relative).is_file() else None

    def on_trial_start(self, iteration, trials, trial, **info) -> None:
        self.update(trial.config["run_id"], True, state="running", error=None)

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        run_id = trial.config["run_id"]
        self.eta[run_id] = float(result.get("eta_s", -1.0))
        if not result.get("finished"):
            self.update(run_id, False, state="running", progress=float(result.get("progress", 0.0)))
            return
        self.eta.pop(run_id, None)
        error = result.get("error")
        self.update(
            run_id,
            True,
            state="failed" if error else "done",
            error=error,
            checkpoint=self._checkpoint(run_id),
            progress=float(result.get("progress", 0.0)),
            final_loss=result.get("final_loss"),
            kl=result.get("kl"),
            active_units=result.get("active_units"),
        )
        self.line.note(run_id, error)

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        run_id = trial.config["run_id"]
        self.eta.pop(run_id, None)
        cause = trial.get_pickled_error() or trial.get_error()
        error = _cause_text(cause)
        self.update(run_id, True, state="failed", error=error, checkpoint=self._checkpoint(run_id))
        self.line.note(run_id, error)


def _cause_text(error: BaseException | None) -> str:
    """A trial's error as one line: the exception Ray wrapped, not Ray's wrapper and traceback."""
    if error is None:
        return "the run's worker ended without a result"
    cause = getattr(error, "cause", None) or error
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[-1] if text else ''}".rstrip(": ")


class _ProgressLine:
    """Runs done, running and failed, and the slowest running run's ETA: a tqdm bar on a terminal when tqdm is
    there, else a plain line at most every few seconds (a log file gets a readable record, not a carriage-return
    soup)."""

    def __init__(self, total: int, done_before: int) -> None:
        self.total = total
        self._bar = None
        self._last = 0.0
        self._interactive = sys.stderr.isatty()
        if self._interactive:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, initial=done_before, unit="run", file=sys.stderr, dynamic_ncols=True)

    def show(self, runs, eta: dict[str, float]) -> None:
        states = [run.state for run in runs]
        done, failed, running = states.count("done"), states.count("failed"), states.count("running")
        known = [value for value in eta.values() if value >= 0]
        slowest = format_duration(max(known)) if known else "?"
        text = f"done {done} · running {running} · failed {failed} of {self.total} · slowest run's ETA {slowest}"
        if self._bar is not None:
            self._bar.n = done + failed
            self._bar.set_postfix_str(text, refresh=True)
            return
        now = time.monotonic()
        if now - self._last >= (0.5 if self._interactive else 5.0):
            self._last = now
            print(f"\r{text}\033[K" if self._interactive else text, end="" if self._interactive else "\n",
                  file=sys.stderr, flush=True)  # fmt: skip

    def note(self, run_id: str, error: str | None) -> None:
        message = f"run {run_id} failed: {error}" if error else f"run {run_id} done"
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            print(("\n" if self._interactive else "") + message, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._interactive:
            print(file=sys.stderr)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the sweep as Ctrl+C does (Tune handles SIGINT: every run stops between two steps
    and saves), as they stop `train`; otherwise they would kill the driver and leave the manifest saying
    "running"."""
    names = ("SIGTERM", "SIGHUP")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]
    previous = {number: signal.signal(number, lambda *_: os.kill(os.getpid(), signal.SIGINT)) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def run_sweep(directory: Path, manifest: SweepManifest, options: SweepOptions) -> SweepOutcome:
    """Run every run of `manifest` that is not done (queued, failed, or stopped while running: those continue
    from their checkpoints), on the cluster `options` names, keeping DIR/sweep.json up to date."""
    directory = Path(directory).absolute()
    started = time.perf_counter()
    connect(options)
    startup_s = time.perf_counter() - started
    try:
        return _run(directory, manifest, options, startup_s)
    finally:
        ray.shutdown()  # a Ray of our own stops with us; a cluster's stays up


def _run(directory: Path, manifest: SweepManifest, options: SweepOptions, startup_s: float) -> SweepOutcome:
    pending = [run for run in manifest.runs if run.state != "done"]
    requeued = tuple(run if run.state == "done" else replace(run, state="queued", error=None) for run in manifest.runs)
    manifest = replace(manifest, runs=requeued)
    line = _ProgressLine(len(manifest.runs), len(manifest.runs) - len(pending))
    book = _Book(directory, manifest, line)
    book.flush()
    began = time.perf_counter()
    if pending:
        specs = {run.run_id: spec_for(directory, manifest, run, options.cpus_per_run).to_dict() for run in pending}
        resources = {"cpu": options.cpus_per_run, "gpu": options.gpus_per_run}
        tuner = tune.Tuner(
            tune.with_resources(_RunTrainable, resources),
            param_space={"run_id": tune.grid_search([run.run_id for run in pending]), "specs": specs},
            tune_config=tune.TuneConfig(max_concurrent_trials=options.max_parallel, reuse_actors=True),
            run_config=tune.RunConfig(
                name=f"tune-{time.strftime('%Y%m%d-%H%M%S')}",
                storage_path=str(directory / "ray"),
                callbacks=[book],
                verbose=0,
                failure_config=tune.FailureConfig(max_failures=0),
                checkpoint_config=tune.CheckpointConfig(checkpoint_at_end=False),
            ),
        )
        try:
            with _terminate_as_interrupt():
                tuner.fit()
        finally:
            line.close()
    run_s = time.perf_counter() - began
    interrupted = False
    for run_id, run in list(book.runs.items()):
        if run.state in ("running", "queued"):  # stopped by Ctrl+C: queued again, with what it had trained
            interrupted = True
            book.runs[run_id] = replace(run, state="queued", checkpoint=book._checkpoint(run_id))
    book.flush()
    return SweepOutcome(book.manifest(), interrupted, startup_s, run_s)
