"""The decoder run faster, with the same images: its first two layers folded into one affine map.

The decoder starts Linear(latent → 64·7·7), a reshape, then a stride-1 ConvTranspose2d with no activation between
them. Both are affine, so together they are one affine map from a code to the 64×7×7 feature map: a (latent ×
3136) matrix and a bias, computed once per snapshot (in float64, then rounded once to float32). Decoding then
starts with one small matrix product instead of a Linear and a transposed convolution over every feature map (about
a tenth of a 20×20 map's decode on the CPU). The rest of the layers are the decoder's own
modules, unchanged. The images agree with the plain decoder's to float rounding (≤ a few 1e-6; see
tests/core/model/test_fast_decode.py).

Measured on the 2-core Xeon (interleaved candidates, docs/performance.md, "Decoded map"), batch size matters as much: at
one torch thread batches of about 100 codes keep each layer's output in the core's cache (a whole map of 400 at
once is slower than four batches); with two threads one batch of the whole map wins, since every layer's parallel
region costs a synchronisation between the threads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Codes per batch for a map decode: at one torch thread the cache-friendly size; at more, the whole map at once.
ONE_THREAD_BATCH, MANY_THREADS_BATCH = 100, 512


def map_batch() -> int:
    """Codes per batch for the calling thread's torch thread count (see the module docstring)."""
    return ONE_THREAD_BATCH if torch.get_num_threads() <= 1 else MANY_THREADS_BATCH


def _foldable(layers: list[nn.Module]) -> bool:
    """The decoder starts Linear, Reshape, stride-1 ConvTranspose2d (no activation between them)."""
    if len(layers) < 3 or not isinstance(layers[0], nn.Linear) or not isinstance(layers[2], nn.ConvTranspose2d):
        return False
    conv = layers[2]
    plain = conv.stride == (1, 1) and conv.dilation == (1, 1) and conv.groups == 1
    return plain and conv.output_padding == (0, 0) and type(layers[1]).__name__ == "Reshape"


class FastDecoder:
    """Codes (N×D float32 tensor) to images, as `decoder` draws them, with its first two layers folded.

    A decoder of another shape is run as it is. Built once per snapshot (SnapshotView.fast_decoder); read-only
    afterwards, so the hover (window thread) and the map (its own thread) may share it.
    """

    def __init__(self, decoder: nn.Module) -> None:
        self.decoder = decoder
        layers = list(decoder) if isinstance(decoder, nn.Sequential) else []
        self.folded = _foldable(layers)
        if not self.folded:
            return
        linear, reshape, conv = layers[0], layers[1], layers[2]
        with torch.inference_mode():
            shape = (linear.in_features, *reshape.shape)
            weight, bias = linear.weight.double().T.reshape(shape), linear.bias.double().reshape(1, *shape[1:])
            kernel, padding = conv.weight.double(), conv.padding
            conv_bias = None if conv.bias is None else conv.bias.double()
            columns = F.conv_transpose2d(weight, kernel, None, 1, padding)  # the linear part, one code axis each
            start = F.conv_transpose2d(bias, kernel, conv_bias, 1, padding)
        self.feature_shape = tuple(columns.shape[1:])
        self.matrix = columns.reshape(linear.in_features, -1).float().contiguous()
        self.offset = start.reshape(-1).float().contiguous()
        self.rest = layers[3:]

    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        if not self.folded:
            return self.decoder(codes)
        x = torch.addmm(self.offset, codes, self.matrix).view(len(codes), *self.feature_shape)
        for layer in self.rest:
            x = layer(x)
        return x
