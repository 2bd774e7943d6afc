"""The command line's options for image folders: `--dataset folder:PATH`, `--image-size`, `--colour` / `--grey`.

Kept apart from core.commands.main so that the options, their checks and how `train` reads a folder live in one place.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.commands.arguments import number_between
from core.settings import (
    DATASET_NAMES,
    FOLDER_MAX_SIZE,
    FOLDER_MIN_SIZE,
    FOLDER_PREFIX,
    folder_dataset_name,
    is_folder_dataset,
)

__all__ = ["add_folder_arguments", "dataset_type", "folder_options"]


def dataset_type(text: str) -> str:
    """A data set's name, or `folder:PATH` made absolute (the name a checkpoint records)."""
    if is_folder_dataset(text):
        if text == FOLDER_PREFIX:
            raise argparse.ArgumentTypeError("folder: needs a path, e.g. folder:~/pictures/cats-and-dogs")
        return folder_dataset_name(text[len(FOLDER_PREFIX) :])
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


def folder_options(args: argparse.Namespace, resume: Any) -> dict[str, Any]:
    """How `train` reads an image folder: the options given, or the resumed model's shape; progress on stderr."""
    from core.data.image_folder import progress_printer

    name = resume.dataset if resume else args.dataset
    if not name or not is_folder_dataset(name):
        return {}
    if resume is not None:
        size, colour = resume.model_config.image_size, resume.model_config.channels == 3
    else:
        size, colour = args.image_size, args.colour
    progress = progress_printer(f"Reading {name[len(FOLDER_PREFIX) :]}")
    return {"image_size": size, "colour": colour, "progress": progress}
