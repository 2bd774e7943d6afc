"""The machine the figures were measured on: CPU, cores, torch and device, and what other processes took."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch


def machine_info(device: torch.device) -> dict[str, Any]:
    """What the figures depend on: CPU, cores, threads, torch and the device, for the header and the JSON."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "physical_cores": _physical_cores(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "cpu_capability": _cpu_capability(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }
    return info


def format_machine(machine: Mapping[str, Any]) -> str:
    """The header printed above the table."""
    cores = machine.get("physical_cores")
    cpus = f"{cores} cores / " if cores else ""
    cpus += f"{machine.get('logical_cpus')} threads"
    if machine.get("usable_cpus") not in (None, machine.get("logical_cpus")):
        cpus += f" ({machine['usable_cpus']} usable)"
    capability = f" · {machine['cpu_capability']}" if machine.get("cpu_capability") else ""
    device = str(machine.get("device"))
    if machine.get("gpu"):
        device += f" ({machine['gpu']})"
    return "\n".join(
        [
            f"machine  {machine.get('cpu')} · {cpus}{capability}",
            f"torch    {machine.get('torch')} · device {device} · {machine.get('torch_threads')} threads "
            f"(+{machine.get('torch_interop_threads')} inter-op)",
            f"python   {machine.get('python')} · {machine.get('platform')}",
        ]
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _physical_cores() -> int | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    cores, physical = set(), ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "physical id":
            physical = value.strip()
        elif key.strip() == "core id":
            cores.add((physical, value.strip()))
    return len(cores) or None


def _cpu_capability() -> str | None:
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return None


#: Child processes that work for the bench (core.bench.reference_process): their CPU time counts as ours.
own_children: set[int] = set()


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the live processes in own_children (Linux /proc; 0 for any gone)."""
    total = 0.0
    for pid in list(own_children):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return total


class BackgroundLoad:
    """How many CPUs other processes kept busy while we measured (Linux /proc/stat; None elsewhere).

    On a shared machine this is the first thing to look at when a figure surprises: a second process
    competing for 2 cores can slow multi-threaded training several-fold.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
        own = os.times()
        ours = own.user + own.system + own.children_user + own.children_system + _children_cpu_s()
        return busy, ours, time.perf_counter()

    def cpus(self) -> float | None:
        """Average CPUs used by everything but this process (its finished children and the live ones in
        own_children) since creation."""
        end = self._sample()
        if self._start is None or end is None or end[2] <= self._start[2]:
            return None
        other = (end[0] - self._start[0]) - (end[1] - self._start[1])
        return max(0.0, other / (end[2] - self._start[2]))
