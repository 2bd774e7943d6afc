"""The whole `convae-explorer` command line, put together from the subcommands' own parsers.

Each subcommand module adds its parser and sets nothing else here; shared options come from
core.commands.arguments. Building the parser imports no torch and no Qt, so `--help` is quick anywhere.
"""

from __future__ import annotations

import argparse

from core.commands.bench import add_bench_parser
from core.commands.export import add_export_parser
from core.commands.open import add_open_parser
from core.commands.render import add_render_parsers
from core.commands.render_drawing import add_drawing_parser
from core.commands.render_timelapse import add_timelapse_parser
from core.commands.train import add_train_parser
from core.settings import DEFAULT_RECIPE

#: The subcommands by name; a first argument that names none of them is a checkpoint to `open`.
SUBCOMMANDS = ("open", "train", "bench", "render", "export")


def build_parser(recipe: str = DEFAULT_RECIPE) -> argparse.ArgumentParser:
    """The whole command line; `recipe` supplies train's defaults (main parses again when --preset names one)."""
    from core import __version__

    parser = argparse.ArgumentParser(
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
    add_export_parser(commands)
    return parser
