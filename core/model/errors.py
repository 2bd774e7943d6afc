"""How well a network state reconstructs each image: the mean squared pixel error of decode(code) against the image.

One function computes it for every place that shows or writes an error: the engine's snapshots (so each snapshot
carries its display images' errors, computed with the weights its codes come from), a recorded time-lapse frame,
`export errors` and `render gallery`. It takes the decoder and the codes rather than the whole model so that each of
those can hand it what it already has: the engine its live decoder and the codes it has just encoded (on the
training device, where a decode costs least), a frame its stored decoder and codes. For a VAE the codes are the
means, as the snapshot's codes are: the error is that of the model's most likely reconstruction, not of a draw.

It lives in core.model (not core.latent) because the engine, a sibling of core.latent, needs it too.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

#: Codes decoded per pass: large enough to keep the device busy, small enough that a pass's activations (about
#: 100 KB an image for a 28×28 digit) stay a few tens of megabytes.
ERROR_CHUNK = 512
#: On a CPU smaller passes win: 128 codes' activations (about 13 MB) stay in the cores' caches between the decoder's
#: layers (2,000 display images on a 2-core EPYC: 128 codes a pass took about 0.7 of the time 512 took).
ERROR_CHUNK_CPU = 128


@torch.inference_mode()
def reconstruction_errors(
    decoder: nn.Module | object,
    codes: np.ndarray | torch.Tensor,
    images: np.ndarray | torch.Tensor,
    device: torch.device | str = "cpu",
    chunk: int | None = None,
) -> np.ndarray:
    """(N,) float32: each image's mean squared error, in 0–1 pixel units, between decoder(code) and the image.

    `codes` is N×D (float), `images` N×C×H×W uint8 (the data set's own pixels, divided by 255 here as the engine
    trains on them). The decoder runs in chunks of `chunk` codes (None: the device's size, above) on `device` (where
    its weights are), and only the N errors come back, so a GPU hands back 4 bytes an image. `decoder` is any callable
    module from codes to images (a snapshot's detached decoder, a FastDecoder, a live model's decoder); a module in
    training mode is run in eval mode and put back.
    """
    # torch warns of read-only arrays (a recorded frame's are): those alone are copied
    codes_t = torch.as_tensor(np.require(codes, np.float32, ["C", "W"]) if isinstance(codes, np.ndarray) else codes)
    images_t = torch.as_tensor(np.require(images, None, ["C", "W"]) if isinstance(images, np.ndarray) else images)
    if images_t.dtype != torch.uint8:
        raise ValueError(f"images must be uint8 pixels (0–255), got {images_t.dtype}")
    if codes_t.ndim != 2 or images_t.ndim != 4 or len(codes_t) != len(images_t):
        raise ValueError(
            f"codes (N×D) and images (N×C×H×W) must pair up, got shapes {tuple(codes_t.shape)} and "
            f"{tuple(images_t.shape)}"
        )
    device = torch.device(device)
    if chunk is None:
        chunk = ERROR_CHUNK_CPU if device.type == "cpu" else ERROR_CHUNK
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    was_training = isinstance(decoder, nn.Module) and decoder.training
    if was_training:
        decoder.eval()
    try:
        parts = []
        for start in range(0, len(codes_t), chunk):
            z = codes_t[start : start + chunk].to(device, torch.float32)
            target = images_t[start : start + chunk].to(device).float().div_(255.0)
            decoded = decoder(z).float()
            if decoded.shape != target.shape:
                raise ValueError(
                    f"the decoder draws images of shape {tuple(decoded.shape[1:])}, the images are "
                    f"{tuple(target.shape[1:])}"
                )
            parts.append((decoded - target).square_().mean(dim=(1, 2, 3)).cpu())
    finally:
        if was_training:
            decoder.train()
    return torch.cat(parts).numpy().astype(np.float32, copy=False) if parts else np.zeros(0, np.float32)
