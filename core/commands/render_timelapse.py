"""`convae-explorer render timelapse RUN.safetensors --out run.gif`: the recorded run as an animation, headless.

One image per kept frame (core.timelapse.pictures): an animated GIF, an MP4 where imageio-ffmpeg is installed, or a
PNG of one frame (--frame K). Nothing here imports Qt. The output is written atomically, and an existing file is
replaced only with --force.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.commands.arguments import add_model_code_arguments, add_view_argument, number_between, user_path

SUFFIXES = (".gif", ".png", ".mp4")


def add_timelapse_parser(render_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `render timelapse` under the `render` command's subparsers."""
    parser = render_subparsers.add_parser(
        "timelapse",
        help="the run's recorded latent space as an animated GIF (or MP4, or one frame as PNG)",
        description="Draw every frame a checkpoint's run history kept: the display images' codes coloured by class, "
        "with step, epoch and loss, on axes fixed over the whole run.",
    )
    parser.add_argument("checkpoint", nargs="?", type=user_path, help="a .safetensors checkpoint with a run history")
    add_model_code_arguments(parser, weights=True, dataset=True)
    parser.add_argument(
        "--out", type=user_path, required=True, help="run.gif, run.mp4 (needs imageio-ffmpeg) or frame.png"
    )
    parser.add_argument(
        "--fps", type=number_between(float, 1, 60, "--fps"), default=8.0, help="frames a second (default 8)"
    )
    parser.add_argument(
        "--width", type=number_between(int, 240, 4000, "--width"), default=640, help="pixels (default 640)"
    )
    parser.add_argument(
        "--frame", type=int, help="with a .png --out: which frame, 1 to N (negative counts from the end; default last)"
    )
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_view_argument(parser)
    parser.set_defaults(render_handler=run_timelapse)
    return parser


def run_timelapse(args: argparse.Namespace) -> int:
    from core.atomic_write import FileWriteError, write_atomically_with
    from core.files.checkpoint import CheckpointError, load_checkpoint
    from core.timelapse.gif_stream import write_gif
    from core.timelapse.pictures import drawn_frames, mp4_available, png_bytes, write_mp4

    def fail(message: str, code: int = 1) -> int:
        print(f"convae-explorer render timelapse: {message}", file=sys.stderr)
        return code

    from core.commands.own_model import uses_own_model

    if uses_own_model(args):  # weights trained elsewhere come without the frames a run records as it trains
        return fail(
            "a time-lapse is recorded while a model trains here, and weights trained elsewhere have none: train your "
            "module with `train --model-code FILE.py:Class … --out F.safetensors`, then render F.safetensors",
            2,
        )
    if args.checkpoint is None:
        return fail("name a checkpoint with a run history", 2)
    out: Path = args.out
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        return fail(f"--out must end in .gif, .mp4 or .png, not {out.name!r}", 2)
    if suffix == ".mp4" and not mp4_available():
        return fail("MP4 needs the imageio-ffmpeg package, which is not installed here: pip install imageio-ffmpeg, "
                    "or write a .gif")  # fmt: skip
    if args.frame is not None and suffix != ".png":
        return fail("--frame picks one frame for a .png --out", 2)
    if out.is_dir():
        return fail(f"{out} is a folder: name a file inside it")
    if out.exists() and not args.force:
        return fail(f"{out} exists: it is left as it is. Choose another --out, or add --force to replace it.")
    try:
        checkpoint = load_checkpoint(args.checkpoint)
    except CheckpointError as error:
        return fail(str(error))
    history = checkpoint.history
    frames = history.frozen() if history is not None else None
    if frames is None or not len(frames):
        return fail(f"{args.checkpoint.name} holds no run history (it was saved before histories were recorded, or "
                    "trained with --no-history): train it further to record one")  # fmt: skip
    if getattr(args, "view", "pca") == "umap":
        frames = _learned(frames)
        if frames is None:
            return fail("the learned view needs umap-learn: pip install 'convae-explorer[view]'")
    title = f"{checkpoint.dataset} · latent size {checkpoint.model_config.latent_dim}"
    losses = checkpoint.progress.batch_losses
    if suffix == ".png":
        count = len(frames)
        number = count if args.frame is None else args.frame
        index = number - 1 if number > 0 else count + number
        if not 0 <= index < count:
            return fail(f"--frame must be from 1 to {count} (or -1 to -{count}), got {args.frame}", 2)
        payload = png_bytes(next(drawn_frames(frames, args.width, title, losses, [index])))

        def write(handle) -> None:
            handle.write(payload)
    else:  # frame by frame, straight to the file: memory holds one frame whatever the width and the count

        def write(handle) -> None:
            images = drawn_frames(frames, args.width, title, losses)
            if suffix == ".gif":
                write_gif(handle, images, args.fps)
            else:
                write_mp4(handle, images, args.fps)

    try:
        write_atomically_with(out, write)
    except FileWriteError as error:
        return fail(str(error))
    what = "1 frame" if suffix == ".png" else f"{len(frames)} frames at {args.fps:g} fps"
    print(f"Wrote {out} ({what}, {out.stat().st_size / 1024:,.0f} KB)")
    return 0


def _learned(frames):
    """Every frame on its learned view (core.timelapse.learned_frames), progress on stderr; None without umap-learn."""
    from core.latent.learned_view import umap_available
    from core.timelapse.learned_frames import LearnedFrames

    if not umap_available():
        return None
    learned = LearnedFrames(frames)

    def progress(done: int, count: int) -> None:
        print(f"\rLaying out frame {done}/{count} (UMAP)", end="\n" if done == count else "", file=sys.stderr)

    return learned.all(progress if learned.applies else None)
