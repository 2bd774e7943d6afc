"""The sweep's figure (issue 29): N one-epoch runs as one `sweep` on this machine's cores against the same N `train`
runs one after another, with Ray's start-up shown apart, and what the same would be on 16 cores.

Both sides run as a user runs them, as commands in processes of their own, and both use every core: each `train`
trains on all of them (--threads 0, its default), one after another, paying a Python and torch start per run as a
user's loop of `train` commands does; the `sweep` runs one run per core (--threads 1 --cpus-per-run 1) on a Ray of
this machine's size, paying Ray's start once and a worker's start per concurrent run. Ray's start-up (starting the
local Ray until it is ready) is the sweep's own count, read from the line it prints when its runs end.

The bench itself never imports Ray (only `sweep` does, in its own process): whether Ray is installed is asked of
the import system, so `bench --sweep` without the `sweep` extra says the section is skipped instead of failing.

On 16 cores nothing is measured here: the estimate rests on the thread table's measured rates (1 thread and the
most this machine has), and says which part is an extrapolation.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.bench.common import Progress
from core.bench.figures import Figure
from core.bench.threads import ThreadRow, usable_cpus

#: The issue's figure: 4 one-epoch runs of the built-in digits, seeds 1–4, no time-lapse.
SWEEP_RUNS = 4
SWEEP_DATASET = "digits-5k"
#: The cores the estimate speaks of.
ESTIMATE_CORES = 16
#: `sweep` prints this line when its runs end (core.commands.sweep.run_sweep_command): Ray's start-up and the runs.
READY_LINE = re.compile(r"Ray ready in ([\d.]+) s; runs took ([\d.]+) s")
#: How long a command stopped by Ctrl+C may take to stop between two steps and save, before it is killed.
STOP_WAIT_S = 60.0
#: The folder that holds the `core` package: the commands' processes import this very code.
_ROOT = Path(__file__).resolve().parents[2]


class SweepBenchError(Exception):
    """A command of the measurement failed; the message names it and ends with its reason (its own error line, else
    the last line it wrote to stderr)."""


@dataclass(frozen=True)
class SweepTimes:
    """What one measurement took, in seconds: both sides whole, as a user waits for them, and the sweep's own count
    of Ray's start-up and of its runs (the time between is the sweep's Python start and its reading of the grid)."""

    runs: int
    one_after_another_s: float
    sweep_s: float
    startup_s: float
    sweep_runs_s: float
    cores: int
    cpus_per_run: float = 1.0
    load_average: float | None = None  # the 1-minute load average at the end: how shared the machine was

    @property
    def at_once(self) -> int:
        """How many of the sweep's runs train at once: cores ÷ CPUs per run, at most the runs there are."""
        return max(1, min(self.runs, int(self.cores // self.cpus_per_run)))

    @property
    def ratio(self) -> float:
        """One after another ÷ sweep, Ray's start-up included (what a user waits for)."""
        return self.one_after_another_s / self.sweep_s

    @property
    def ratio_without_startup(self) -> float:
        """One after another ÷ (sweep − Ray's start-up): where a Ray already runs, or runs are long enough for its
        start not to count."""
        return self.one_after_another_s / (self.sweep_s - self.startup_s)


@dataclass(frozen=True)
class SweepSection:
    """The section as the bench shows it: its figures, or a note saying why there are none (and whether that is a
    failure rather than a missing extra)."""

    figures: list[Figure] = field(default_factory=list)
    note: str | None = None
    failed: bool = False


def ray_missing() -> str | None:
    """Why the sweep cannot run here (Ray not installed), or None. Asked of the import system, not by importing
    Ray: the bench stays free of Ray, and a module set to None in sys.modules (blocked) counts as missing."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):  # ValueError: sys.modules["ray"] is None or has no spec
        found = False
    return None if found else "Ray is not installed (pip install 'convae-explorer[sweep]')"


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    """The commands' environment: this code importable, and a Ray of this machine's own (never a cluster that
    $RAY_ADDRESS names: the figure is about this machine's cores)."""
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def _run_command(args: Sequence[str], env: Mapping[str, str], what: str) -> str:
    """Run `convae-explorer ARGS` in a process of its own and wait for it; its stdout, or SweepBenchError.

    Ctrl+C reaches the command too (the terminal signals the whole group; it is passed on in case it did not):
    the command is then given time to stop between two steps, as `train` and `sweep` do, and is not killed at once
    as subprocess.run would kill it, which would leave a sweep's Ray processes behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "core", *args], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = process.communicate()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        raise
    if process.returncode != 0:
        lines = [line.strip() for line in err.splitlines() if line.strip()]
        said = [line for line in lines if line.startswith("convae-explorer")]  # the command's own message
        reason = (said or lines or ["no message"])[-1]
        raise SweepBenchError(f"{what} exited {process.returncode}: {reason}")
    return out


def measure_sweep(
    say: Progress,
    runs: int = SWEEP_RUNS,
    dataset: str = SWEEP_DATASET,
    epochs: int = 1,
    data_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> SweepTimes:
    """Time `runs` one-epoch `train` commands one after another, then one `sweep` of the same runs (seeds 1…runs).

    `data_dir` (--data-dir) and `env` (added to the commands' environment) let a test run it small on its own data
    and its own Ray; the bench leaves them out. SweepBenchError when a command fails.
    """
    environment = _environment(env)
    common = ["--dataset", dataset, "--epochs", str(epochs), "--device", "cpu", "--no-download", "--no-history"]
    if data_dir is not None:
        common += ["--data-dir", str(data_dir)]
    seeds = [str(seed) for seed in range(1, runs + 1)]
    cores = usable_cpus()
    with tempfile.TemporaryDirectory(prefix="convae-sweep-bench-") as folder:
        say(f"sweep: {runs} one-epoch `train` runs of {dataset}, one after another, each on all {cores} cores")
        start = time.perf_counter()
        for seed in seeds:
            out = Path(folder) / f"train-{seed}.safetensors"
            _run_command(["train", *common, "--seed", seed, "--out", str(out)], environment, f"`train --seed {seed}`")
        one_after_another = time.perf_counter() - start

        say(f"sweep: the same {runs} runs as one `sweep` on a local Ray, one thread and one CPU per run")
        start = time.perf_counter()
        printed = _run_command(
            ["sweep", "--grid", "seed=" + ",".join(seeds), *common, "--threads", "1", "--cpus-per-run", "1",
             "--out", str(Path(folder) / "sweep")],
            environment,
            "`sweep`",
        )  # fmt: skip
        sweep = time.perf_counter() - start
    found = READY_LINE.search(printed)
    if found is None:
        raise SweepBenchError("`sweep` did not print its 'Ray ready in … s; runs took … s' line")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return SweepTimes(runs, one_after_another, sweep, float(found.group(1)), float(found.group(2)), cores, 1.0, load)


def sweep_figures(times: SweepTimes, thread_rows: Sequence[ThreadRow] = ()) -> list[Figure]:
    """The section's figures from one measurement; `thread_rows` (the bench's thread table) feed the 16-core
    estimate, which is left out without them."""
    n = times.runs
    load = (
        ""
        if times.load_average is None
        else f"; load average {times.load_average:.1f} at the end on {times.cores} cores (other processes slow both "
        "sides, not evenly)"
    )
    figures = [
        Figure(
            f"{n} × `train`, one after another",
            times.one_after_another_s,
            "s",
            detail=f"one-epoch runs, seeds 1–{n}, each a `train` command on all {times.cores} cores (--threads 0), "
            "each paying its own Python and torch start",
        ),
        Figure(
            f"`sweep` of the same {n} runs",
            times.sweep_s,
            "s",
            detail=f"{times.at_once} runs at once ({times.cores} cores ÷ {times.cpus_per_run:g} CPU per run, "
            f"--threads 1), on a Ray of this machine's size: Ray's start-up {times.startup_s:.1f} s, the runs "
            f"{times.sweep_runs_s:.1f} s (the sweep's own count), the rest the command's own start and end",
        ),
        Figure(
            "Ray's start-up (a local Ray, until it is ready)",
            times.startup_s,
            "s",
            detail="part of the sweep's time above, paid once per sweep; nothing to pay when joining a running "
            "cluster (--address)",
        ),
        Figure(
            "one after another ÷ sweep",
            times.ratio,
            "×",
            detail=f"{times.one_after_another_s:.1f} s ÷ {times.sweep_s:.1f} s, Ray's start-up included{load}",
        ),
        Figure(
            "one after another ÷ sweep, Ray's start-up left out",
            times.ratio_without_startup,
            "×",
            detail=f"{times.one_after_another_s:.1f} s ÷ ({times.sweep_s:.1f} − {times.startup_s:.1f}) s",
        ),
    ]
    estimate = estimate_16_cores(thread_rows)
    if estimate is not None:
        figures.append(estimate)
    return figures


def estimate_16_cores(thread_rows: Sequence[ThreadRow]) -> Figure | None:
    """What the sweep's advantage in training speed would be on 16 cores, from the thread table's measured rates;
    None when the table was not measured (a GPU bench) or has no row for 1 thread and one for more.

    On 16 cores a sweep at one CPU per run trains 16 one-thread runs at once, while one `train` trains on 16
    threads: the advantage is 16 × rate(1 thread) ÷ rate(16 threads). A machine with 16 cores measures rate(16)
    in its own table; elsewhere rate(16) is extrapolated from the measured scaling per doubling of threads, and
    the figure says so. Where more threads measured no faster than one (other processes held the other cores),
    there is no scaling to extend: the figure then has no value and says why, rather than divide by a slowdown.
    Either way 16 runs at once are assumed not to slow each other (memory bandwidth may), and fixed costs (Ray's
    start, each command's start) are left out: they weigh less the longer the runs."""
    rows = {row.threads: row for row in thread_rows}
    top = max(rows, default=1)
    if 1 not in rows or top == 1:
        return None
    cores = ESTIMATE_CORES
    one = rows[1].engine
    busy = rows[top].background_cpus
    noise = "" if busy is None else f"; other processes used {busy:.1f} CPUs meanwhile"
    assumptions = (
        f"assumes {cores} runs at once do not slow each other (memory bandwidth may) and leaves out the fixed "
        "costs (Ray's start, each command's start), which weigh less the longer the runs"
    )
    name = f"{cores} one-thread runs at once ÷ one `train` on {cores} threads, training speed"
    if top >= cores:
        wide = rows[cores].engine
        how = f"measured on this machine: {wide:,.0f} img/s on {cores} threads"
        label, value = f"{cores} cores", cores * one / wide
    elif rows[top].engine > one:
        scaling = rows[top].engine / one
        per_doubling = scaling ** (1 / math.log2(top))
        wide = one * per_doubling ** math.log2(cores)
        how = (
            f"extrapolated, not measured: {top} threads trained {scaling:.2f}× as fast as 1 here "
            f"({per_doubling:.2f}× per doubling{noise}); kept up to {cores} threads that is {wide:,.0f} img/s, "
            "likely too high, as scaling usually falls off with more threads (the sweep's advantage is then larger)"
        )
        label, value = f"{cores} cores (estimate)", cores * one / wide
    else:
        return Figure(
            f"{cores} cores (not estimated): {name}",
            None,
            "×",
            detail=f"{top} threads trained no faster than 1 on this machine ({rows[top].engine:,.0f} against "
            f"{one:,.0f} img/s{noise}): no scaling to extend to {cores} threads; rerun on a quieter machine",
        )
    return Figure(
        f"{label}: {name}",
        value,
        "×",
        detail=f"{cores} × {one:,.0f} img/s (the engine on 1 thread, measured) ÷ the engine on {cores} threads, "
        f"{how}; {assumptions}",
    )


def measure_sweep_section(
    say: Progress,
    thread_rows: Sequence[ThreadRow] = (),
    runs: int = SWEEP_RUNS,
    dataset: str = SWEEP_DATASET,
    data_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> SweepSection:
    """`bench --sweep`: the figures, or why there are none (Ray missing: skipped; a command failing: failed), so a
    missing extra or a broken sweep never loses the figures measured before it."""
    missing = ray_missing()
    if missing is not None:
        return SweepSection(note=f"sweep figures skipped: {missing}")
    try:
        times = measure_sweep(say, runs=runs, dataset=dataset, data_dir=data_dir, env=env)
    except (SweepBenchError, OSError) as error:
        return SweepSection(note=f"sweep figures failed: {error}", failed=True)
    return SweepSection(figures=sweep_figures(times, thread_rows))
