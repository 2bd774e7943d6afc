"""The whole `convae-explorer` command line, put together from the subcommands' own parsers.

Each subcommand module adds its parser and sets nothing else here; shared options come from
core.commands.arguments. Building the parser imports no torch and no Qt, so `--help` is quick anywhere.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from core.commands.bench import add_bench_parser
from core.commands.export import add_export_parser
from core.commands.open import add_open_parser
from core.commands.render import add_render_parsers
from core.commands.render_drawing import add_drawing_parser
from core.commands.render_gallery import add_gallery_parser
from core.commands.render_sweep import add_sweep_render_parser
from core.commands.render_timelapse import add_timelapse_parser
from core.commands.sweep import add_sweep_parser
from core.commands.train import add_train_parser
from core.settings import DEFAULT_RECIPE

#: The subcommands by name; a first argument that names none of them is a checkpoint to `open`.
SUBCOMMANDS = ("open", "train", "bench", "render", "export", "sweep")


class CommandLineParser(argparse.ArgumentParser):
    """argparse's parser, whose "expected one argument" says how to pass a value that starts with a minus.

    argparse takes `-1,0` in `--from -1,0` for an option (only plain negative numbers pass as values), so the user
    saw "argument --from: expected one argument" with no way forward. The subcommands' parsers are of this class
    too (argparse makes them with the class of their parent).
    """

    def parse_known_args(self, args=None, namespace=None):  # argparse's own signature
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        super().error(message + minus_value_hint(message, getattr(self, "_words", [])))


def minus_value_hint(message: str, words: list[str]) -> str:
    """' — write it as --from=-1,0 …' when `message` is argparse's "expected one argument" for an option followed by
    a word starting with a minus; '' otherwise."""
    found = re.match(r"argument ([^:]+): expected one argument", message)
    if found is None:
        return ""
    names = found.group(1).split("/")
    for i, word in enumerate(words[:-1]):
        following = words[i + 1]
        if word in names and following.startswith("-") and len(following) > 1:
            return f" (a value that starts with a minus must be joined to its option with '=': {word}={following})"
    return ""


def build_parser(recipe: str = DEFAULT_RECIPE) -> argparse.ArgumentParser:
    """The whole command line; `recipe` supplies train's defaults (main parses again when --preset names one)."""
    from core import __version__

    parser = CommandLineParser(
        prog="convae-explorer",
        description="Train a convolutional autoencoder while you watch, then explore its latent space. "
        "With no command, opens the window; `convae-explorer PATH.safetensors` opens it on a saved model.",
    )
    parser.add_argument("--version", action="version", version=f"convae-explorer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_open_parser(commands)
    add_train_parser(commands, recipe)
    add_bench_parser(commands)
    render_kinds = add_render_parsers(commands)
    add_timelapse_parser(render_kinds)
    add_drawing_parser(render_kinds)
    add_gallery_parser(render_kinds)
    add_sweep_render_parser(render_kinds)
    add_export_parser(commands)
    add_sweep_parser(commands, recipe)
    return parser
