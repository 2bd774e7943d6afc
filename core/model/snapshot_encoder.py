"""The encoder half of a snapshot: a detached CPU copy that maps images to the codes the latent panel shows.

A snapshot used to carry only its decoder (hover, maps and paths decode). Encoding the user's own picture at every
snapshot needs the encoder of that same network state, so a drawing's star and the display points always come from
the same weights. For a variational model the copy ends in the mean head: the panel shows means, so does the star.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable

import torch
from torch import nn

from core.settings import ModelConfig


def encoder_copy(model: nn.Module) -> nn.Module:
    """A frozen CPU copy (eval mode, no gradients) of `model`'s images → codes path (float 0–1 in, means out)."""
    z_mean = getattr(model, "z_mean", None)  # a ConvVAE: convolutions and flattening, then the mean head
    parts = (model.encoder,) if z_mean is None else (model.encoder, z_mean)
    module = copy.deepcopy(nn.Sequential(*parts)).to("cpu", memory_format=torch.contiguous_format).float().eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


_TEMPLATES: dict[ModelConfig, nn.Module] = {}
_LOCK = threading.Lock()


def encoder_from_state(config: ModelConfig, state: dict[str, torch.Tensor]) -> nn.Module:
    """An encoder copy of this model shape holding `state` (a recorded time-lapse frame's float16 weights)."""
    with _LOCK:
        template = _TEMPLATES.get(config)
        if template is None:
            from core.model.vae import build_network

            template = _TEMPLATES[config] = encoder_copy(build_network(config))
    module = copy.deepcopy(template)
    module.load_state_dict({key: value.float() for key, value in state.items()})
    return module


class LazyEncoder(nn.Module):
    """An encoder built on its first use: a replayed time-lapse frame pays for its encoder only if a picture of the
    user's is placed on it (building one from float16 weights costs about as much as a frame's decoder)."""

    def __init__(self, build: Callable[[], nn.Module]) -> None:
        super().__init__()
        self._build = build
        self._lock = threading.Lock()
        self._built: list[nn.Module] = []  # a plain list: not registered as a submodule until it exists

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        with self._lock:
            if not self._built:
                self._built.append(self._build())
            encoder = self._built[0]
        return encoder(images)
