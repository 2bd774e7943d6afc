"""`convae-explorer train`: train headless (e.g. on a GPU server) and save a checkpoint, with the run's time-lapse.

Its options are generated from core.settings (ranges, defaults, a preset's values), as the window's widgets are, so
the two can never disagree. SIGINT, SIGTERM and SIGHUP stop between two steps and save what was trained.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from core.commands.arguments import (
    EXIT_USAGE,
    add_data_arguments,
    add_folder_arguments,
    add_model_code_arguments,
    dataset_type,
    device_type,
    folder_options,
    user_path,
)
from core.settings import (
    DATASET_NAMES,
    DEFAULT_DATASET,
    DEFAULT_MODEL,
    DEFAULT_RECIPE,
    MODEL_ALIASES,
    MODEL_KINDS,
    RECIPES,
    SETTINGS,
    Setting,
    check_model_kind,
    dataset_file_stem,
    is_folder_dataset,
)

if TYPE_CHECKING:
    from core.events import BatchEnd

#: The signals that stop `train` cleanly (a checkpoint, then exit 128 + the signal's number).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def add_train_parser(commands: argparse._SubParsersAction, recipe: str = DEFAULT_RECIPE) -> None:
    """Add `train` to the command line; `recipe` supplies its defaults (main parses again when --preset names one)."""
    train = commands.add_parser("train", help="train headless (e.g. on a GPU server) and save a checkpoint")
    train.add_argument(
        "--dataset",
        type=dataset_type,
        default=None,
        metavar="NAME",
        help=f"{', '.join(DATASET_NAMES)}, or folder:PATH for a folder of your own images (one sub-folder per "
        f"class, or a flat folder: one class); default: {DEFAULT_DATASET}; not with --resume",
    )
    add_folder_arguments(train)
    add_setting_arguments(train, RECIPES[recipe].values)
    add_model_argument(train)
    add_model_code_arguments(train, weights=True, dataset=False)
    train.add_argument(
        "--preset",
        choices=tuple(RECIPES),
        default=DEFAULT_RECIPE,
        help="settings to start from; options given beside it win. "
        + "; ".join(f"{r.name}: {r.note}" for r in RECIPES.values()),
    )
    train.add_argument("--device", type=device_type, default="auto", help="auto, cpu, cuda, cuda:N or mps")
    add_gpu_lever_arguments(train)
    add_data_arguments(train, downloads="a data set")
    train.add_argument("--resume", type=user_path, help="continue from this checkpoint (its settings, new --epochs)")
    train.add_argument(
        "--out",
        type=user_path,
        help="checkpoint to write (default: convae-DATASET.safetensors, never replacing a file)",
    )
    train.add_argument("--force", action="store_true", help="let --out replace a file that is not a checkpoint")
    train.add_argument(
        "--no-history",
        action="store_true",
        help="do not record the run's time-lapse (snapshots cost up to 5%% of training time)",
    )


def setting_type(setting: Setting) -> Callable[[str], float]:
    """An argparse type for one setting that states the valid range when a value is outside it."""

    def parse(text: str) -> float:
        try:
            value = setting.kind(text)
        except ValueError:
            kind = "an integer" if setting.kind is int else "a number"
            raise argparse.ArgumentTypeError(
                f"{setting.label} must be {kind} {setting.range_text()}, got {text!r}"
            ) from None
        try:
            setting.check(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value

    return parse


def add_setting_arguments(parser: argparse.ArgumentParser, defaults: Mapping[str, float] | None = None) -> None:
    """One option per entry of core.settings.SETTINGS, with its range and default from there (or from `defaults`)."""
    for setting in SETTINGS.values():
        default = setting.kind((defaults or {}).get(setting.name, setting.default))
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            metavar=setting.flag[2:].upper().replace("-", "_"),
            type=setting_type(setting),
            default=default,
            help=f"{setting.help}; {setting.range_text()} (default {default:g})",
        )


def model_kind_type(text: str) -> str:
    try:
        return check_model_kind(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """--model, from core.settings.MODEL_KINDS (and its short names ae / vae)."""
    short = ", ".join(f"{alias} = {kind}" for alias, kind in MODEL_ALIASES.items())
    parser.add_argument(
        "--model",
        type=model_kind_type,
        default=DEFAULT_MODEL,
        metavar="KIND",
        help=f"the network: {' or '.join(MODEL_KINDS)} ({short}; default {DEFAULT_MODEL}); not with --resume",
    )


def add_gpu_lever_arguments(parser: argparse.ArgumentParser) -> None:
    """--bf16 and --compile: core.training.gpu_levers's opt-in CUDA levers (off: the lecture's arithmetic, nothing
    compiled)."""
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="CUDA only: bf16 autocast with channels_last weights, faster but not the lecture's float32 arithmetic",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="CUDA only: torch.compile the step (the first run compiles for seconds; kernels are cached per user)",
    )


class _SignalStop:
    """SIGINT, SIGTERM and SIGHUP ask the engine to stop between two steps; the first one sets the exit code.

    The handlers stay in place while the checkpoint is written, so a second signal (Ctrl+C pressed twice) waits
    for the save instead of interrupting it.
    """

    def __init__(self, stop: Callable[[], None]) -> None:
        self._stop = stop
        self.received: int | None = None

    def _handle(self, number: int, frame: object) -> None:
        if self.received is None:
            self.received = number
        self._stop()

    @contextmanager
    def installed(self) -> Iterator[_SignalStop]:
        previous = {number: signal.signal(number, self._handle) for number in STOP_SIGNALS}
        try:
            yield self
        finally:
            # once stopped by a signal the process is on its way out: a late second Ctrl+C must not kill it while
            # the interpreter shuts down (it would exit -2 instead of 128 + the first signal)
            for number, handler in previous.items():
                signal.signal(number, signal.SIG_IGN if self.received is not None else handler)


def run_train(args: argparse.Namespace) -> int:
    from core.model.own_code import OwnCodeError

    try:
        return _run_train(args)
    except OwnCodeError as error:  # raised inside the user's own module while training: their traceback
        print(f"convae-explorer train: {error.full()}\nNo checkpoint was written.", file=sys.stderr)
        return EXIT_USAGE


def _run_train(args: argparse.Namespace) -> int:
    from core.data.datasets import DatasetError, LoadStopped, load_dataset
    from core.events import BatchEnd, EndReason, EpochEnd, TrainingEnded
    from core.files.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
    from core.files.output_path import OutputError, check_output, free_default_name
    from core.model.autoencoder import ModelConfig
    from core.timelapse.recording import HistoryRecorder, RunHistory
    from core.training.engine import TrainConfig, Trainer, TrainingControl, loss_name
    from core.training.progress import RunProgress, format_duration

    def fail(message: str, code: int = 1) -> int:
        print(f"convae-explorer train: {message}", file=sys.stderr)
        return code

    if args.resume and args.preset != DEFAULT_RECIPE:
        return fail(
            "--preset cannot be combined with --resume: a checkpoint continues with its own settings", EXIT_USAGE
        )
    if (args.image_size is not None or args.colour is not None) and not (
        args.dataset and is_folder_dataset(args.dataset)
    ):
        return fail("--image-size, --colour and --grey apply to --dataset folder:PATH only", EXIT_USAGE)
    if args.resume and args.dataset:
        return fail(
            "--dataset cannot be combined with --resume: a checkpoint continues on the data set it was trained on",
            EXIT_USAGE,
        )
    from core.commands.own_model import OwnModelRefused, own_options_alone, refuse, source_from_args, uses_own_model
    from core.files.foreign_weights import WeightsError
    from core.model.own_module import OwnModelError

    own = uses_own_model(args)
    if own and args.resume:
        return fail("--model-code cannot be combined with --resume: the checkpoint names its own model", EXIT_USAGE)
    if not own and own_options_alone(args):
        return fail(f"{', '.join(own_options_alone(args))} go with --model-code FILE.py:Class", EXIT_USAGE)
    control = TrainingControl()
    stopper = _SignalStop(control.stop)
    with stopper.installed():
        try:
            resume = load_checkpoint(args.resume) if args.resume else None
            dataset_name = resume.dataset if resume else args.dataset or DEFAULT_DATASET
            out = args.out or free_default_name(Path("."), f"convae-{dataset_file_stem(dataset_name)}")
            replacing = check_output(out, args.force)
            dataset = load_dataset(
                dataset_name,
                args.data_dir,
                download=not args.no_download,
                **folder_options(args, resume, lambda: control.stop_requested),
            )
            if dataset.notice:
                print(f"Note: {dataset.notice}", file=sys.stderr, flush=True)
            if resume:
                trainer = resume.resume(
                    dataset,
                    epochs=args.epochs,
                    device=args.device,
                    num_threads=args.num_threads,
                    bf16=args.bf16,
                    compile=args.compile,
                )
            else:
                config = TrainConfig(
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    lr=args.lr,
                    seed=args.seed,
                    device=args.device,
                    num_threads=args.num_threads,
                    lr_schedule=RECIPES[args.preset].lr_schedule,
                    bf16=args.bf16,
                    compile=args.compile,
                )
                if own:  # the user's module, probed on this data (and started from --weights where given)
                    from core.files.foreign_weights import checkpoint_from_code

                    start = checkpoint_from_code(source_from_args(args), args.weights, dataset, beta=args.beta)
                    state = start.model_state if args.weights is not None else None
                    trainer = Trainer(dataset, config, start.model_config, model_state=state)
                else:
                    model_config = ModelConfig(
                        args.latent_dim, dataset.channels, dataset.image_size, kind=args.model, beta=args.beta
                    )
                    trainer = Trainer(dataset, config, model_config)
        except LoadStopped as error:
            print(f"{error}; nothing was trained, no checkpoint was written.", file=sys.stderr, flush=True)
            return 128 + (stopper.received or signal.SIGINT)
        except DatasetError as error:
            return fail(f"{error}\nThe built-in digits always work: --dataset digits-5k")
        except OwnModelRefused as error:
            return refuse("train", error)
        except (OwnModelError, WeightsError) as error:  # the module or its weights do not fit: shapes compared
            return fail(str(error), EXIT_USAGE)
        except (CheckpointError, OutputError, ValueError) as error:
            return fail(str(error))
        if resume and trainer.finished:
            return fail(nothing_left_to_train(args.resume, trainer.progress.epoch, trainer.config.epochs), EXIT_USAGE)

        config = trainer.config
        print(
            f"Training on {dataset.name} ({len(dataset.train):,} images) on {trainer.device}: "
            f"{config.epochs} epochs, batch {config.batch_size}, lr {config.lr:g}"
            + (f" ({config.lr_schedule} schedule)" if config.lr_schedule != "constant" else "")
            + "".join(f", {lever}" for lever, on in (("bf16", config.bf16), ("compiled", config.compile)) if on)
            + ", "
            f"{trainer.model_config.describe()}, latent {trainer.model_config.latent_dim}, "
            f"seed {config.seed}" + (f", resuming at epoch {trainer.progress.epoch + 1}" if resume else ""),
            flush=True,
        )
        if replacing:
            print(f"Note: {replacing} when training ends.", flush=True)
        interactive = sys.stdout.isatty()
        last_print = -math.inf  # print the first progress line at once
        ended: TrainingEnded | None = None
        start_step = trainer.progress.step
        history = resume.history.copy() if resume is not None and resume.history is not None else RunHistory()
        recorder = HistoryRecorder(history, trainer.model_config)
        if stopper.received is None:  # a signal while loading: save what there is, train nothing
            # the frames keep no errors in the file: the snapshots need not compute them
            for event in trainer.run(control, snapshots=not args.no_history, snapshot_errors=False):
                recorder.consume(event)
                if isinstance(event, BatchEnd):
                    now = time.perf_counter()
                    if now - last_print >= (0.25 if interactive else 10.0):
                        last_print = now
                        where = RunProgress.after(event, config.epochs, start_step)
                        line = (
                            f"epoch {where.epoch}/{config.epochs}  batch {event.batch}/{event.batches_per_epoch}"
                            f"  loss {event.loss:.4f}{loss_parts(event)}  {where.images_per_second:,.0f} img/s"
                            f"  ETA {format_duration(where.eta_s)}"
                        )
                        print(f"\r{line}\033[K" if interactive else line, end="" if interactive else "\n", flush=True)
                elif isinstance(event, EpochEnd):
                    line = (
                        f"epoch {event.epoch + 1}/{event.epochs}  mean {loss_name(trainer.model_config)} "
                        f"{event.mean_loss:.4f}  "
                        f"({event.seconds:.1f} s)"
                    )
                    print(f"\r{line}\033[K" if interactive else line, flush=True)
                elif isinstance(event, TrainingEnded):
                    ended = event
        if ended is not None:
            print(("\n" if interactive else "") + ended.message, flush=True)
        if trainer.progress.step == start_step and not resume:  # never a checkpoint of a run that never trained
            left = f"{out} is left as it was" if out.exists() else "no checkpoint was written"
            print(f"Nothing was trained: {left}.", flush=True)
            return 128 + stopper.received if stopper.received is not None else 1
        try:
            save_checkpoint(out, Checkpoint.from_trainer(trainer, history if len(history) else None))
        except CheckpointError as error:
            return fail(str(error))
        print(f"Saved {out}", flush=True)
    if stopper.received is not None:
        return 128 + stopper.received
    if ended is not None and ended.reason is EndReason.DIVERGED:
        return 1
    return 0


def nothing_left_to_train(path: Path, done: int, epochs: int) -> str:
    """Why a resume that asks for no more epochs than the checkpoint has done trains nothing, and what to give instead.

    --epochs is the run's total, not a number to add: `--resume X --epochs 1` on a model past epoch 1 used to print
    "Training finished" and rewrite the file though nothing trained.
    """
    return (
        f"nothing left to train: {path} has already trained {done} of its epochs and --epochs is the total "
        f"number of epochs (now {epochs}), not a number to add. To train one epoch more, give --epochs {done + 1}. "
        "No file was written."
    )


def loss_parts(event: BatchEnd) -> str:
    """A VAE step's reconstruction and KL, after its total loss; nothing for an autoencoder."""
    return "" if event.kl is None else f" (reconstruction {event.reconstruction:.2f} + β × KL {event.kl:.3f})"
