"""The options and argparse types more than one subcommand shares, each written once: where data sets live and
whether to download them, which data set (a name or `folder:PATH`) and how a folder's images are read, the
device, and numbers within a range.

Their help texts are what users read in `--help` and their scripts depend on: changing one changes it for every
subcommand that takes the option, which is the point of writing it here once.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.files.user_path import UserPathError, check_user_path
from core.settings import (
    DATASET_NAMES,
    FOLDER_MAX_SIZE,
    FOLDER_MIN_SIZE,
    FOLDER_PREFIX,
    check_device,
    folder_dataset_name,
    is_folder_dataset,
)

#: The exit code of a command line that cannot be carried out as written (argparse's own code for usage errors).
EXIT_USAGE = 2
DATA_DIR_HELP = "where data sets live (default: $CONVAE_DATA_DIR or the per-user data folder)"


def number_between(kind: type, low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse type for a number of `kind` (int or float) in [low, high] whose errors state the range."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be {noun} from {low:g} to {high:g}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be from {low:g} to {high:g}, got {text}")
        return value

    return parse


def user_path(text: str) -> Path:
    """Every path a user gives (argparse type): refused at once when no file system takes it or when it would leave
    stray folders (core.files.user_path), instead of a traceback from whichever command first uses it."""
    try:
        return check_user_path(text)
    except UserPathError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def device_type(text: str) -> str:
    """auto, cpu, cuda, cuda:N or mps (argparse type; core.settings.check_device says what is wrong)."""
    try:
        return check_device(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


# ----- where the data comes from ----------------------------------------------------------------------------------


def add_data_dir_argument(parser: argparse.ArgumentParser, note: str = "") -> None:
    """--data-dir; `note` adds what this subcommand does with it (the window: for this launch only)."""
    parser.add_argument("--data-dir", type=user_path, help=DATA_DIR_HELP + note)


def add_data_arguments(parser: argparse.ArgumentParser, downloads: str = "the data set") -> None:
    """--data-dir and --no-download, for the subcommands that load a data set (`downloads`: which one, in words)."""
    add_data_dir_argument(parser)
    parser.add_argument("--no-download", action="store_true", help=f"never try to download {downloads}")


def dataset_type(text: str) -> str:
    """A data set's name, or `folder:PATH` made absolute (the name a checkpoint records)."""
    if is_folder_dataset(text):
        if text == FOLDER_PREFIX:
            raise argparse.ArgumentTypeError("folder: needs a path, e.g. folder:~/pictures/cats-and-dogs")
        return folder_dataset_name(user_path(os.path.expanduser(text[len(FOLDER_PREFIX) :])))
    if text not in DATASET_NAMES:
        choices = ", ".join(DATASET_NAMES)
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from {choices}, or folder:PATH)")
    return text


def add_folder_arguments(parser: argparse.ArgumentParser) -> None:
    """--image-size and --colour / --grey: how an image folder's pictures are read (folder:PATH only)."""
    sizes = number_between(int, FOLDER_MIN_SIZE, FOLDER_MAX_SIZE, "image size")

    def image_size(text: str) -> int:
        value = int(sizes(text))
        if value % 4:
            raise argparse.ArgumentTypeError(f"image size must be a multiple of 4, got {value}")
        return value

    parser.add_argument(
        "--image-size",
        type=image_size,
        metavar="S",
        help=f"folder:PATH only: side of the square the images are resized to (shorter side resized, longer one "
        f"centre-cropped), a multiple of 4 from {FOLDER_MIN_SIZE} to {FOLDER_MAX_SIZE}; default: the images' "
        "median size rounded to a multiple of 4, at most 64",
    )
    colour = parser.add_mutually_exclusive_group()
    colour.add_argument(
        "--colour",
        "--color",
        dest="colour",
        action="store_const",
        const=True,
        default=None,
        help="folder:PATH only: train on RGB images (default: colour when any image is colour)",
    )
    colour.add_argument(
        "--grey", "--gray", dest="colour", action="store_const", const=False, help="folder:PATH only: grey images"
    )


def folder_options(args: argparse.Namespace, resume: Any, stopped: Callable[[], bool] | None = None) -> dict[str, Any]:
    """How an image folder is read from the options above: the options given, or the resumed model's shape;
    progress on stderr; `stopped` (the run's stop flag, which Ctrl+C sets) ends the load. Empty for a named set."""
    from core.data.image_folder import progress_printer

    name = resume.dataset if resume else args.dataset
    if not name or not is_folder_dataset(name):
        return {}
    if resume is not None:
        size, colour = resume.model_config.image_size, resume.model_config.channels == 3
    else:
        size, colour = args.image_size, args.colour
    progress = progress_printer(f"Reading {name[len(FOLDER_PREFIX) :]}")
    return {"image_size": size, "colour": colour, "progress": progress, "stopped": stopped}


# ----- which view of the latent space -------------------------------------------------------------------------------


def add_view_argument(parser: argparse.ArgumentParser) -> None:
    """--view pca|umap: the plane the points lie on and the way back from a position to a code (latent sizes above
    2; sizes 1 and 2 are drawn as they are either way)."""
    parser.add_argument(
        "--view",
        choices=("pca", "umap"),
        default="pca",
        help="latent sizes above 2: pca (the top two principal components; a position maps back onto that plane) "
        "or umap (a neighbour-preserving layout with a learned way back; needs umap-learn, seconds to compute, "
        "seeded so the window shows the same layout); default pca",
    )


# ----- a user's own model (core.model.own_module) -------------------------------------------------------------------


def value_range(text: str) -> tuple[float, float]:
    """`LOW,HIGH` (argparse type), e.g. -1,1 for a module that takes or gives pixels in [-1, 1]."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a range is two numbers LOW,HIGH (e.g. -1,1), got {text!r}") from None
    if not (low < high and abs(low) < float("inf") and abs(high) < float("inf")):
        raise argparse.ArgumentTypeError(f"a range needs finite LOW < HIGH, got {text!r}")
    return (low, high)


def add_model_code_arguments(parser: argparse.ArgumentParser, *, weights: bool, dataset: bool) -> None:
    """--model-code FILE.py:Class, --model-args JSON, the pixel ranges, and (for opening weights trained elsewhere)
    --weights and --dataset. Naming the file is the consent to run it."""
    group = parser.add_argument_group("your own model (instead of a checkpoint)")
    group.add_argument(
        "--model-code",
        metavar="FILE.py:Class",
        help="your own nn.Module with encode(x) and decode(z): naming the file runs its code",
    )
    group.add_argument("--model-args", metavar="JSON", help="keyword arguments for the class, a JSON object")
    if weights:
        group.add_argument(
            "--weights", type=user_path, help="its weights: .safetensors, a .pt/.pth state dict or a Lightning .ckpt"
        )
    if dataset:
        group.add_argument("--dataset", type=dataset_type, metavar="NAME", help="the data set to explore it on")
    group.add_argument(
        "--input-range", type=value_range, metavar="LOW,HIGH", help="the pixel range encode takes (default 0,1)"
    )
    group.add_argument(
        "--output-range", type=value_range, metavar="LOW,HIGH", help="the pixel range decode gives (default 0,1)"
    )
