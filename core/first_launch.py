"""The window's first-launch choices, read from the packaged `resources/defaults.json`.

On a first launch (no remembered settings) the training form starts from these: the built-in digits, so a
newcomer's first Train works offline instead of falling back from MNIST. Each value is checked; one that is not
valid is logged and replaced by core.settings's default, so an edited file can never stop the window from opening.
Importable without torch.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources

from core.settings import (
    DATASETS,
    DEFAULT_DATASET,
    DEFAULT_MODEL,
    DEFAULT_RECIPE,
    MODEL_KINDS,
    RECIPES,
    SETTINGS,
    check_device,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FirstLaunch:
    dataset: str = DEFAULT_DATASET
    model: str = DEFAULT_MODEL
    recipe: str = DEFAULT_RECIPE  # fills its settings first; `settings` below override them
    device: str = "auto"
    settings: tuple[tuple[str, float], ...] = ()  # (SETTINGS name, value) for the form's boxes, e.g. latent_dim

    def setting(self, name: str) -> float | None:
        return dict(self.settings).get(name)


def defaults_text() -> str | None:
    """The packaged defaults.json, or None when it is missing."""
    try:
        return resources.files("resources").joinpath("defaults.json").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return None


def _valid(key: str, value: object) -> bool:
    try:
        if key == "dataset":
            return value in DATASETS
        if key == "model":
            return value in MODEL_KINDS
        if key == "recipe":
            return value in RECIPES
        if key in SETTINGS:
            SETTINGS[key].check(value)
            return SETTINGS[key].in_window
        if key == "device":
            check_device(value)
            return True
    except (TypeError, ValueError):
        return False
    return False


def first_launch_defaults(text: str | None = None) -> FirstLaunch:
    """The choices of `text` (default: the packaged file), each checked; invalid or unknown entries are logged."""
    text = defaults_text() if text is None else text
    if text is None:
        return FirstLaunch()
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        log.warning("ignoring defaults.json: it is not JSON (%s)", error)
        return FirstLaunch()
    if not isinstance(values, dict):
        log.warning("ignoring defaults.json: it holds %s, not an object", type(values).__name__)
        return FirstLaunch()
    chosen: dict[str, object] = {}
    settings = []
    for key, value in values.items():
        if key == "settings" or (key not in FirstLaunch.__dataclass_fields__ and key not in SETTINGS):
            log.warning("ignoring defaults.json's %s: not a first-launch choice", key)
        elif not _valid(key, value):
            log.warning("ignoring defaults.json's %s: %r is not a valid choice", key, value)
        elif key in SETTINGS:
            settings.append((key, value))
        else:
            chosen[key] = value
    return FirstLaunch(**chosen, settings=tuple(settings))
