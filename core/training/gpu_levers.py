"""Opt-in GPU levers that change how the lecture's step is computed, never what it computes the loss of.

- bf16: the forward pass under bf16 autocast, weights in channels_last (the loss itself is taken in float32).
  Not the lecture's arithmetic: products are rounded to 8 bits of mantissa, so losses differ in the third digit.
- compile: torch.compile of the step's forward and backward, which fuses the small elementwise kernels between
  the convolutions. The compiled kernels are cached per user (compile_cache_dir), so only the first run on a
  machine pays the full compilation; later starts re-trace and load them.

Both stay off unless asked for (`train --bf16 --compile`): the defaults are the lecture's maths. What each is worth
on an H100, and what limits the step, is in docs/performance.md (a one-off script measured it; see git history).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from platformdirs import user_cache_dir
from torch import nn

from core.model.vae import training_loss

LossFunction = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
_CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def compile_cache_dir() -> Path:
    """Where torch.compile keeps its kernels for this app: $TORCHINDUCTOR_CACHE_DIR, else the per-user cache."""
    override = os.environ.get(_CACHE_ENV)
    return Path(override) if override else Path(user_cache_dir("convae-explorer", appauthor=False)) / "torch-compile"


def use_compile_cache() -> Path:
    """Point inductor's on-disk caches at compile_cache_dir (unless the user already chose a folder)."""
    folder = compile_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(_CACHE_ENV, str(folder))
    return folder


def check_levers(device: torch.device, variational: bool, bf16: bool, compiled: bool) -> None:
    """ValueError naming why, where a lever was asked for where it was neither built nor measured."""
    asked = [name for name, on in (("--bf16", bf16), ("--compile", compiled)) if on]
    if not asked:
        return
    if device.type != "cuda":
        verb = "speeds" if len(asked) == 1 else "speed"
        raise ValueError(f"{' and '.join(asked)} {verb} up CUDA GPUs only; this run is on {device.type}")
    if variational:
        raise ValueError(f"{' and '.join(asked)} are measured for the autoencoder only; train the VAE without them")


def loss_function(model: nn.Module, *, bf16: bool = False, compiled: bool = False) -> LossFunction:
    """x → (loss to differentiate, loss to report), as core.model.vae.training_loss, with the levers asked for."""

    def loss(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if bf16:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                return training_loss(model, x)
        return training_loss(model, x)

    if compiled:
        use_compile_cache()
        return torch.compile(loss, dynamic=False)
    return loss
