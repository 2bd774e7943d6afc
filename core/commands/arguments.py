"""Argparse types shared by the headless commands (render map|path, render timelapse)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


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
