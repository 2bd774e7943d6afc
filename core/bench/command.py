"""`convae-explorer bench` itself: measure, print the machine and the table, write the JSON."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from core.bench.atlas import measure_atlas
from core.bench.common import Plan, Progress
from core.bench.encoding import measure_encoding
from core.bench.errors import measure_errors
from core.bench.figures import Figure, format_seconds, print_table, print_text
from core.bench.folder_load import measure_folder_load
from core.bench.loss_run import measure_loss_run
from core.bench.machine import BackgroundLoad, format_machine, machine_info
from core.bench.reference_process import ReferenceProcess, ReferenceProcessError
from core.bench.threads import ThreadRow, format_thread_table, measure_thread_table
from core.bench.timelapse import measure_timelapse
from core.bench.training import measure_training
from core.bench.vae_loss_run import measure_vae_loss_run
from core.data.datasets import load_builtin_digits
from core.training.engine import resolve_device

EXIT_INTERRUPTED = 130

GuiFigures = Callable[[bool, str], Sequence[Figure | Mapping[str, Any]]]  # (quick, device) -> figures


def _gui_figures(gui_figures: GuiFigures, quick: bool, device: str) -> tuple[list[Figure], str | None, bool]:
    """The window figures gui_figures measures, or a note why there are none (and whether that is a failure)."""
    try:
        raw = gui_figures(quick, device)
    except ImportError as error:  # Qt (or the window's module) is missing: carry on without those figures
        return [], f"GUI figures skipped: {error}", False
    except Exception as error:  # a broken GUI bench must not lose the engine figures already measured
        return [], f"GUI figures failed: {type(error).__name__}: {error}", True
    return [f if isinstance(f, Figure) else Figure.from_dict(f) for f in raw], None, False


@contextmanager
def reference_for(device: torch.device, say: Progress) -> Iterator[ReferenceProcess | None]:
    """On the CPU, the lecture's loop in a process of its own (core.bench.reference_process: why); None elsewhere
    (a GPU's steps do not go through malloc) or where the child cannot start (said, and measured in-process)."""
    if device.type != "cpu":
        yield None
        return
    try:
        process = ReferenceProcess()
    except ReferenceProcessError as error:
        say(f"training: the reference runs in this process instead ({error})")
        yield None
        return
    with process:
        yield process


def run_bench(
    quick: bool,
    json_path: Path | None,
    device: str,
    loss_run: bool,
    gui_figures: GuiFigures | None = None,
    time_to_target: bool = False,
    learned_view: bool = False,
    sweep: bool = False,
) -> int:
    """Measure, print the machine and the table, write JSON if asked; 0 when every part ran (goals or not).

    A missed goal is a finding, not an error; 1 means a part could not run (bad device, GUI bench crashed,
    JSON not written), 130 an interrupt (the figures measured so far are still printed).
    The window figures come from gui_figures(quick, device), which the caller hands in (core imports no Qt);
    None skips them. time_to_target adds the minutes-long race to the lecture's 20-epoch MSE (core.bench.target);
    learned_view the learned view's figures against the PCA plane (core.bench.learned_view; minutes, umap-learn);
    sweep a sweep of 4 one-epoch runs on Ray against the same 4 `train` runs one after another (core.bench.sweep;
    a minute or two, skipped with a note where Ray is not installed).
    """
    try:
        target = resolve_device(device)
    except (ValueError, RuntimeError) as error:
        print(f"convae-explorer bench: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    say = Progress()
    load = BackgroundLoad()
    plan = Plan.for_run(quick)
    machine = machine_info(target)
    print_text(format_machine(machine) + "\n", sys.stdout)
    sections: dict[str, list[Figure]] = {}
    notes: list[str] = []
    extra: dict[str, Any] = {}
    thread_rows: list[ThreadRow] = []
    status = 0
    try:
        dataset = load_builtin_digits()
        with reference_for(target, say) as reference:
            sections["training (digits-5k, batch 32)"] = measure_training(dataset, target, plan, say, reference)
            if target.type == "cpu":
                thread_figures, thread_rows = measure_thread_table(dataset, plan, say, reference_process=reference)
                sections["threads (engine vs reference per torch thread count, CPU)"] = thread_figures
                extra["thread_table"] = [row.to_dict() for row in thread_rows]
                print_text(format_thread_table(thread_rows) + "\n", sys.stdout)
        sections["encoding"] = measure_encoding(dataset, target, plan, say)
        sections["exploration (map, neighbours)"] = measure_atlas(dataset, quick, say)
        sections["finding what the model gets wrong (errors, lasso)"] = measure_errors(dataset, target, quick, say)
        if target.type == "cpu":
            from core.bench.own_model import measure_own_model_section

            sections["your own module"] = measure_own_model_section(dataset, quick, say)
        sections["image folder (10,000 small PNGs)"] = measure_folder_load(dataset, quick, say)
        if time_to_target:
            from core.bench.target import measure_time_to_target

            sections["time to the lecture's 20-epoch MSE (digits-5k, 500 held out)"] = measure_time_to_target(
                dataset, target, say
            )
        sections["time-lapse and live view"] = measure_timelapse(dataset, target, plan, say)
        if learned_view:
            from core.bench.learned_view import measure_learned_view

            name = "learned view (UMAP + inverse) vs PCA plane, digits-5k"
            sections[name] = measure_learned_view(dataset, quick, say)
        if sweep:
            from core.bench.sweep import SWEEP_RUNS, measure_sweep_section

            swept = measure_sweep_section(say, thread_rows)
            if swept.figures:
                sections[f"sweep: {SWEEP_RUNS} one-epoch runs on Ray vs one after another (digits-5k, CPU)"] = (
                    swept.figures
                )
            if swept.note:
                notes.append(swept.note)
            status = 1 if swept.failed else status
        if loss_run:
            sections["loss run (20 epochs, seed 123)"] = measure_loss_run(dataset, target, say)
            sections["VAE loss run (L17: latent 2, batch 256, 50 epochs)"] = measure_vae_loss_run(dataset, target, say)
        if gui_figures is not None:
            say("GUI figures (explorer.bench.gui)")
            window_figures, note, failed = _gui_figures(gui_figures, quick, device)
            if window_figures:
                sections["window (offscreen)"] = window_figures
            if note:
                notes.append(note)
            status = 1 if failed else status
        else:
            notes.append("GUI figures skipped: --no-gui")
    except KeyboardInterrupt:
        notes.append("interrupted: the figures measured so far")
        status = EXIT_INTERRUPTED
    wall = time.perf_counter() - started
    background = load.cpus()
    machine["background_cpu_load"] = None if background is None else round(background, 2)
    print_table(sections)
    if background is not None:
        busy = " (figures are noisy: other processes competed for the CPU)" if background >= 0.25 else ""
        notes.append(f"other processes kept {background:.2f} CPUs busy on average during the run{busy}")
    notes.append(f"{'--quick' if quick else 'default'} run took {format_seconds(wall)}")
    print_text("\n" + "\n".join(f"· {note}" for note in notes), sys.stdout)
    if json_path is not None:
        payload = {
            "machine": machine,
            "figures": [f.to_dict() for figures in sections.values() for f in figures],
            **extra,
        }
        from core.atomic_write import FileWriteError
        from core.files.own_output import is_our_bench_json, replace_our_file

        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        try:
            replace_our_file(
                Path(json_path), text.encode("utf-8", "surrogateescape"), is_our_bench_json, "a bench report"
            )
        except FileWriteError as error:
            print(f"convae-explorer bench: could not write {json_path}: {error}", file=sys.stderr)
            return 1
        print_text(f"· JSON written to {json_path}", sys.stdout)
    return status
