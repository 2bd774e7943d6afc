"""The `convae-explorer` command: the window by default, headless subcommands for servers.

Qt is imported only when a window is asked for, so `train` and `bench` run where Qt is missing.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SUBCOMMANDS = ("open", "train", "bench")
EXIT_INTERRUPTED = 130


def bounded(kind: Callable[[str], float], low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse type that states the valid range when a value is outside it."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be {'an integer' if kind is int else 'a number'} "
                f"between {low:g} and {high:g}, got {text!r}"
            ) from None
        if not low <= value <= high or value != value:
            raise argparse.ArgumentTypeError(f"{what} must be between {low:g} and {high:g}, got {text}")
        return value

    return parse


def positive_lr(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"learning rate must be a number > 0 and ≤ 10, got {text!r}") from None
    if not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"learning rate must be > 0 and ≤ 10, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from core.config import DATASET_NAMES, DEVICE_CHOICES

    parser = argparse.ArgumentParser(
        prog="convae-explorer",
        description="Train a convolutional autoencoder while you watch, then explore its latent space. "
        "With no command, opens the window; `convae-explorer PATH.safetensors` opens it on a saved model.",
    )
    from core import __version__

    parser.add_argument("--version", action="version", version=f"convae-explorer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = commands.add_parser("open", help="open the window (optionally on a checkpoint); the default")
    open_cmd.add_argument("checkpoint", nargs="?", type=Path, help="a .safetensors checkpoint to explore")
    open_cmd.set_defaults(func=_run_open)

    train = commands.add_parser("train", help="train headless (e.g. on a GPU server) and save a checkpoint")
    train.add_argument("--dataset", choices=DATASET_NAMES, default="digits-5k", help="default: %(default)s")
    train.add_argument("--epochs", type=bounded(int, 1, 10_000, "epochs"), default=20, help="1–10000 (default 20)")
    train.add_argument("--batch-size", type=bounded(int, 1, 65_536, "batch size"), default=32, help="default 32")
    train.add_argument("--lr", type=positive_lr, default=5e-4, help="learning rate, > 0 and ≤ 10 (default 5e-4)")
    train.add_argument("--latent-dim", type=bounded(int, 1, 64, "latent size"), default=2, help="1–64 (default 2)")
    train.add_argument("--seed", type=bounded(int, 0, 2**63 - 1, "seed"), default=123, help="default 123")
    train.add_argument("--device", default="auto", help=f"{', '.join(DEVICE_CHOICES)} or cuda:N (default auto)")
    train.add_argument("--threads", type=bounded(int, 0, 256, "threads"), default=0, help="torch CPU threads, 0 = all")
    train.add_argument(
        "--data-dir", type=Path, help="where data sets live (default: $CONVAE_DATA_DIR or the per-user data folder)"
    )
    train.add_argument("--no-download", action="store_true", help="never try to download a data set")
    train.add_argument("--resume", type=Path, help="continue from this checkpoint (its settings, new --epochs)")
    train.add_argument("--out", type=Path, help="checkpoint to write (default: convae-DATASET.safetensors)")
    train.set_defaults(func=_run_train)

    bench = commands.add_parser("bench", help="measure speed and responsiveness, side by side with the reference")
    bench.add_argument("--quick", action="store_true", help="fewer repeats: under a minute")
    bench.add_argument("--json", type=Path, help="also write the results as JSON here")
    bench.add_argument("--device", default="auto", help="device for the engine figures (default auto)")
    bench.add_argument("--no-gui", action="store_true", help="skip the figures that need Qt")
    bench.add_argument(
        "--loss-run",
        action="store_true",
        help="also train 20 epochs of digits-5k with the engine "
        "and the reference loop and compare their final MSE (a few minutes)",
    )
    bench.set_defaults(func=_run_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list:
        args_list = ["open"]
    elif args_list[0] not in SUBCOMMANDS and not args_list[0].startswith("-"):
        args_list = ["open", *args_list]
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        args = parser.parse_args(["open"])
    return int(args.func(args) or 0)


def _run_open(args: argparse.Namespace) -> int:
    try:
        from explorer.app import run_app
    except ImportError as error:
        print(
            f"convae-explorer: the window needs Qt (PySide6) and pyqtgraph, which could not be imported "
            f"({error}). Headless commands still work: convae-explorer train / bench.",
            file=sys.stderr,
        )
        return 1
    try:
        return run_app(args.checkpoint)
    except Exception as error:
        import logging

        logging.getLogger("convae-explorer").exception("the window failed")
        print(f"convae-explorer: the window failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def _run_bench(args: argparse.Namespace) -> int:
    from core.bench import run_bench

    return run_bench(
        quick=args.quick,
        json_path=args.json,
        device=args.device,
        loss_run=args.loss_run,
        gui_figures=None if args.no_gui else _window_bench,
    )


def _window_bench(quick: bool, device: str) -> list[dict]:
    """The bench's window figures; imports Qt only when called (an ImportError makes the bench skip them)."""
    from explorer.bench_gui import measure_gui

    return measure_gui(quick=quick, device=device)


def format_duration(seconds: float) -> str:
    """m:ss, or h:mm:ss past an hour (progress lines and the window's ETA)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _run_train(args: argparse.Namespace) -> int:
    from core.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
    from core.datasets import DatasetError, load_dataset
    from core.engine import TrainConfig, Trainer, TrainingControl
    from core.events import BatchEnd, EndReason, EpochEnd, TrainingEnded
    from core.model import ModelConfig

    def fail(message: str) -> int:
        print(f"convae-explorer train: {message}", file=sys.stderr)
        return 1

    try:
        resume = load_checkpoint(args.resume) if args.resume else None
        dataset_name = resume.dataset if resume else args.dataset
        dataset = load_dataset(dataset_name, args.data_dir, download=not args.no_download)
        if resume:
            trainer = resume.resume(dataset, epochs=args.epochs, device=args.device, num_threads=args.threads)
        else:
            config = TrainConfig(
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                seed=args.seed,
                device=args.device,
                num_threads=args.threads,
            )
            model_config = ModelConfig(args.latent_dim, dataset.channels, dataset.image_size)
            trainer = Trainer(dataset, config, model_config)
    except DatasetError as error:
        return fail(f"{error}\nThe built-in digits always work: --dataset digits-5k")
    except (CheckpointError, ValueError) as error:
        return fail(str(error))

    out = args.out or Path(f"convae-{dataset.name}.safetensors")
    config = trainer.config
    print(
        f"Training on {dataset.name} ({len(dataset.train):,} images) on {trainer.device}: "
        f"{config.epochs} epochs, batch {config.batch_size}, lr {config.lr:g}, "
        f"latent {trainer.model_config.latent_dim}, "
        f"seed {config.seed}" + (f", resuming at epoch {trainer.progress.epoch + 1}" if resume else ""),
        flush=True,
    )

    control = TrainingControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.stop())
    interactive = sys.stdout.isatty()
    last_print = -math.inf  # print the first progress line at once
    ended: TrainingEnded | None = None
    total_steps = trainer.batches_per_epoch * config.epochs
    try:
        for event in trainer.run(control, snapshots=False):
            if isinstance(event, BatchEnd):
                now = time.perf_counter()
                if now - last_print >= (0.25 if interactive else 10.0):
                    last_print = now
                    rate = event.images_seen / max(event.elapsed_s, 1e-9)
                    remaining = (total_steps - event.step) * config.batch_size / max(rate, 1e-9)
                    line = (
                        f"epoch {event.epoch + 1}/{config.epochs}  batch {event.batch}/{event.batches_per_epoch}"
                        f"  loss {event.loss:.4f}  {rate:,.0f} img/s  ETA {format_duration(remaining)}"
                    )
                    print(f"\r{line}\033[K" if interactive else line, end="" if interactive else "\n", flush=True)
            elif isinstance(event, EpochEnd):
                line = (
                    f"epoch {event.epoch + 1}/{event.epochs}  mean MSE {event.mean_loss:.4f}  ({event.seconds:.1f} s)"
                )
                print(f"\r{line}\033[K" if interactive else line, flush=True)
            elif isinstance(event, TrainingEnded):
                ended = event
    finally:
        signal.signal(signal.SIGINT, previous)
    if ended is not None:
        print(("\n" if interactive else "") + ended.message, flush=True)
    try:
        save_checkpoint(out, Checkpoint.from_trainer(trainer))
    except CheckpointError as error:
        return fail(str(error))
    print(f"Saved {out}", flush=True)
    if ended is not None and ended.reason is EndReason.STOPPED:
        return EXIT_INTERRUPTED
    if ended is not None and ended.reason is EndReason.DIVERGED:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
