"""The command line's side of a user's own model: `--model-code FILE.py:Class` and its options turned into a
ModelSource, and (with `--weights` and `--dataset`) into a Checkpoint that `open`, `render` and `export` explore as
they explore a saved run.

Every refusal is an OwnModelRefused carrying the message (with the traceback of the user's own code where their
code raised): the commands print it and exit with code 2, never with a traceback of ours.
"""

from __future__ import annotations

import argparse
import sys

from core.commands.arguments import EXIT_USAGE


class OwnModelRefused(Exception):
    """What is wrong with the user's model, its arguments or its weights, in words."""


def uses_own_model(args: argparse.Namespace) -> bool:
    return getattr(args, "model_code", None) is not None


def own_options_alone(args: argparse.Namespace) -> list[str]:
    """Own-model options given without --model-code (they mean nothing alone)."""
    names = ("model_args", "weights", "input_range", "output_range")
    return [f"--{name.replace('_', '-')}" for name in names if getattr(args, name, None) is not None]


def source_from_args(args: argparse.Namespace):
    """The ModelSource `--model-code` names (the file hashed now: this is the consent to run it)."""
    from core.model.own_code import OwnCodeError, parse_model_args, parse_model_code, source_of

    try:
        path, class_name = parse_model_code(args.model_code)
        args_json = parse_model_args(args.model_args)
        ranges = {
            key: value
            for key, value in (("input_range", args.input_range), ("output_range", args.output_range))
            if value is not None
        }
        return source_of(path, class_name, args_json, **ranges)
    except ValueError as error:
        raise OwnModelRefused(str(error)) from None
    except OwnCodeError as error:
        raise OwnModelRefused(error.full()) from None


def checkpoint_from_args(args: argparse.Namespace, *, need_weights: bool = True):
    """A Checkpoint of the user's module with `--weights` on `--dataset` (loaded here)."""
    from core.data.datasets import DatasetError, load_dataset
    from core.files.foreign_weights import WeightsError, checkpoint_from_code
    from core.model.own_code import OwnCodeError
    from core.model.own_module import OwnModelError

    if getattr(args, "dataset", None) is None:
        raise OwnModelRefused("--model-code needs --dataset: the images to explore the model on")
    if need_weights and getattr(args, "weights", None) is None:
        raise OwnModelRefused("--model-code needs --weights: the trained weights to explore")
    source = source_from_args(args)
    try:
        dataset = load_dataset(
            args.dataset, getattr(args, "data_dir", None), download=not getattr(args, "no_download", False)
        )
    except DatasetError as error:
        raise OwnModelRefused(str(error)) from None
    try:
        return checkpoint_from_code(source, getattr(args, "weights", None), dataset), dataset
    except (WeightsError, OwnModelError) as error:
        raise OwnModelRefused(str(error)) from None
    except OwnCodeError as error:
        raise OwnModelRefused(error.full()) from None


def refuse(command: str, error: OwnModelRefused) -> int:
    print(f"convae-explorer {command}: {error}", file=sys.stderr)
    return EXIT_USAGE
