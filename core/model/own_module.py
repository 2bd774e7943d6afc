"""A user's own autoencoder, wrapped so the engine, the snapshots and the views use it as they use the lecture's.

The lecture's networks give the rest of core a handful of things: `encode` (images in 0–1 to flat codes; a VAE's
means), `decode` (flat codes to images in 0–1), `moments` for a VAE, `encoder` and `decoder` modules that a snapshot
copies, `config` (the latent size, the kind, β) and a training loss. OwnModel gives the same things for any module
with `encode(x)` and `decode(z)`, so the engine, checkpoints, maps, paths and exports need no second road:

- a code that is not flat (N×C×h×w, as convolutional VAEs have) is flattened for the view and unflattened for the
  decoder (`ModelSource.code_shape`);
- `encode` may return `(mu, logvar)`: the model is then variational and trains as L17's VAE does (ε from the
  model's own generator, summed error + β·KL), unless the module has its own `loss(x, output)`;
- pixels are mapped from 0–1 to the module's input range, and its output back from its output range to 0–1;
- its state dict is the module's own, under the module's own names, so a checkpoint's `model.*` tensors are the
  module's state dict.

`probe` runs a new module once on the data's images and refuses, with the shapes compared, what does not fit.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from core.model.gaussian_codes import GaussianCodes
from core.model.own_code import OwnCodeError, build_module
from core.settings import ModelConfig, ModelSource


class OwnModelError(Exception):
    """The module does not fit the contract (a shape or a range is wrong); the message compares what was expected."""


def batch_coupled(module: nn.Module) -> list[str]:
    """Names of layers that mix the images of a batch (BatchNorm): a batch cut into slices would change their maths."""
    batch_norm = nn.modules.batchnorm._BatchNorm
    return [name or type(module).__name__ for name, m in module.named_modules() if isinstance(m, batch_norm)]


def _call(what: str, function, *args):
    """Call into the user's module; their exception becomes OwnCodeError with their traceback."""
    try:
        return function(*args)
    except (OwnCodeError, OwnModelError):
        raise
    except Exception as error:
        import traceback

        details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        raise OwnCodeError(f"{what} raised {type(error).__name__}: {error}", details) from None


class _Part(nn.Module):
    """One direction of an OwnModel (images → codes or codes → images) holding the module itself, so that a snapshot's
    deep copy is a working copy whatever the module shares between encode and decode."""

    def __init__(self, owner: OwnModel) -> None:
        super().__init__()
        self.net = owner.net
        self.code_shape = owner.code_shape
        self.input_range = owner.source.input_range
        self.output_range = owner.source.output_range
        self.variational = owner.config.variational


class EncoderPart(_Part):
    """Images (N×C×H×W, 0–1) to flat codes (N×D): the means for a variational module."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _flat_codes(self.net, x, self.input_range, self.variational)[0]


class DecoderPart(_Part):
    """Flat codes (N×D) to images in 0–1 (the module's output range mapped back)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return _decode(self.net, z, self.code_shape, self.output_range)


def _to_input(x: torch.Tensor, input_range: tuple[float, float]) -> torch.Tensor:
    low, high = input_range
    return x if (low, high) == (0.0, 1.0) else x * (high - low) + low


def _flat_codes(
    net: nn.Module, x: torch.Tensor, input_range: tuple[float, float], variational: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    out = _call("encode", net.encode, _to_input(x, input_range))
    if variational:
        mean, log_var = out
        return mean.flatten(1), log_var.flatten(1)
    return out.flatten(1), None


def _decode(
    net: nn.Module, z: torch.Tensor, code_shape: tuple[int, ...], output_range: tuple[float, float]
) -> torch.Tensor:
    y = _call("decode", net.decode, z.reshape(len(z), *code_shape))
    low, high = output_range
    return y if (low, high) == (0.0, 1.0) else (y - low) / (high - low)


#: FLOPs of one image's forward pass below which a module is light (see OwnModel.light): the guide's MLP takes
#: about 0.4 M, the lecture's convolutional autoencoder about 29 M.
LIGHT_FLOPS = 4_000_000


class OwnModel(GaussianCodes, nn.Module):
    """The user's module (`net`) with the interface core's lecture networks have (see the module docstring)."""

    def __init__(self, config: ModelConfig, net: nn.Module, noise_seed: int = 0) -> None:
        super().__init__()
        assert config.source is not None
        self.config = config
        self.source: ModelSource = config.source
        self.net = net
        self.code_shape = self.source.code_shape or (config.latent_dim,)
        self.own_loss = callable(getattr(net, "loss", None))
        self.coupled = batch_coupled(net)
        self._noise = torch.Generator().manual_seed(noise_seed)
        self._flops: int | None = None  # one image's forward pass, counted on first use (`light`)

    @property
    def batch_safe(self) -> bool:
        """Whether a batch may be cut into slices whose gradients add up to the batch's (core.training.step_runners):
        not with BatchNorm (statistics over the batch), nor with the module's own loss (its scaling is unknown)."""
        return not self.coupled and not self.own_loss

    @property
    def light(self) -> bool:
        """Whether one image's forward pass is so cheap (under LIGHT_FLOPS) that a CPU step is mostly Python and
        autograd bookkeeping (core.training.step_runners.OneThreadSteps trains such a module: in halves the guide's
        MLP trained at 0.61× a plain loop)."""
        if self._flops is None:
            from torch.utils.flop_counter import FlopCounterMode

            config = self.config
            x = torch.zeros(1, config.channels, config.image_size, config.image_size)
            was_training = self.training
            self.eval()
            try:
                with torch.no_grad(), FlopCounterMode(display=False) as counter:
                    self.decode(self.encode(x))
                self._flops = counter.get_total_flops()
            except Exception:  # a layer the counter cannot follow: count the module as heavy (slices stay)
                self._flops = LIGHT_FLOPS
            finally:
                self.train(was_training)
        return self._flops < LIGHT_FLOPS

    # The lecture's networks hold `encoder` and `decoder` modules that snapshots copy; here they are views.
    @property
    def encoder(self) -> EncoderPart:
        return EncoderPart(self)

    @property
    def decoder(self) -> DecoderPart:
        return DecoderPart(self)

    def state_dict(self, *args, **kwargs):
        """The module's own state dict, under its own names (what `--weights` files hold, and checkpoints keep)."""
        return self.net.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        return self.net.load_state_dict(state_dict, strict=strict, assign=assign)

    def moments(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = _flat_codes(self.net, x, self.source.input_range, True)
        assert log_var is not None
        return mean, log_var

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return _flat_codes(self.net, x, self.source.input_range, self.config.variational)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return _decode(self.net, z, self.code_shape, self.source.output_range)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.config.variational:
            return self.sample_forward(x)[0]
        return self.decode(self.encode(x))

    def own_training_loss(
        self, x: torch.Tensor, batch_images: int | None = None, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss to differentiate, what the step reports), as core.model.vae.training_loss for the lecture's networks.

        The module's own `loss(x, output)` where it has one (x in its input range, output what its forward returns);
        otherwise the lecture's: the MSE over all pixels, or for a (mu, logvar) encoder the per-image summed squared
        error + β·KL. `batch_images`: x is a slice of a batch of that many images (never with the module's own loss).
        """
        if self.own_loss:
            inputs = _to_input(x, self.source.input_range)
            output = _call("forward", self.net, inputs)
            loss = _call("loss", self.net.loss, inputs, output)
            if not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
                raise OwnModelError(f"{self.source.label}: loss(x, output) must return one number (a tensor)")
            loss = loss.reshape(())
            return loss, loss.detach()
        if not self.config.variational:
            if batch_images is None:
                loss = nn.functional.mse_loss(self(x), x)
            else:
                loss = nn.functional.mse_loss(self(x), x, reduction="sum") / (batch_images * x[0].numel())
            return loss, loss.detach()
        decoded, mean, log_var = self.sample_forward(x, noise)
        images = len(x) if batch_images is None else batch_images
        reconstruction = nn.functional.mse_loss(decoded, x, reduction="sum") / images
        kl = (0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var)).sum() / images
        loss = reconstruction + self.config.beta * kl
        return loss, torch.stack([loss, reconstruction, kl]).detach()


def build_own(config: ModelConfig, noise_seed: int = 0) -> OwnModel:
    """The network a config with a source describes: the user's class built and wrapped."""
    assert config.source is not None
    return OwnModel(config, build_module(config.source), noise_seed)


def _shape(t: object) -> str:
    return "×".join(str(n) for n in t.shape) if isinstance(t, torch.Tensor) else type(t).__name__


#: How far a decoded pixel may stray outside the output range before the module is refused (float rounding).
RANGE_SLACK = 1e-3


@torch.no_grad()
def probe(
    source: ModelSource,
    images: torch.Tensor,
    *,
    beta: float,
    state: dict[str, torch.Tensor] | None = None,
    load=None,
) -> ModelConfig:
    """Build the user's module, run it once on a few of the data's images (uint8 N×C×H×W) and return the config that
    describes it: the flat latent size, whether it is variational, the code's shape.

    `load(net)` puts weights into the new module first (core.files.foreign_weights checks them). Refuses with
    OwnModelError, shapes compared, an `encode` or `decode` that does not fit, and a decode outside the output range.
    """
    net = build_module(source)
    if load is not None:
        load(net)
    net.eval()
    x = images[:4].to(torch.float32) / 255.0
    n, channels, height, width = x.shape
    out = _call("encode", net.encode, _to_input(x, source.input_range))
    label = source.label
    variational = isinstance(out, (tuple, list))
    if variational:
        if len(out) != 2 or not all(isinstance(t, torch.Tensor) for t in out):
            raise OwnModelError(
                f"{label}: encode returned a {type(out).__name__} of {len(out)} items; it must return codes (a "
                "tensor N×D or N×C×h×w) or a pair (mu, logvar)"
            )
        mean, log_var = out
        if mean.shape != log_var.shape:
            raise OwnModelError(
                f"{label}: encode's mu is {_shape(mean)} but logvar is {_shape(log_var)}; they must match"
            )
        codes = mean
    elif isinstance(out, torch.Tensor):
        codes = out
    else:
        raise OwnModelError(f"{label}: encode returned {type(out).__name__}; it must return a tensor or (mu, logvar)")
    if codes.dim() < 2 or codes.shape[0] != n:
        raise OwnModelError(
            f"{label}: encode of {n} images of {channels}×{height}×{width} returned {_shape(codes)}; expected {n}×D "
            f"(or {n}×C×h×w) with one code per image"
        )
    code_shape = tuple(int(s) for s in codes.shape[1:])
    latent = math.prod(code_shape)
    decoded = _call("decode", net.decode, codes)
    expected = (n, channels, height, width)
    if not isinstance(decoded, torch.Tensor) or tuple(decoded.shape) != expected:
        raise OwnModelError(
            f"{label}: decode of codes {_shape(codes)} returned {_shape(decoded)}; expected "
            f"{'×'.join(map(str, expected))} (the data's images)"
        )
    low, high = source.output_range
    slack = RANGE_SLACK * (high - low)
    seen_low, seen_high = float(decoded.min()), float(decoded.max())
    if not (math.isfinite(seen_low) and math.isfinite(seen_high)):
        raise OwnModelError(f"{label}: decode gave NaN or infinite pixels")
    if seen_low < low - slack or seen_high > high + slack:
        raise OwnModelError(
            f"{label}: decode's output runs from {seen_low:.3g} to {seen_high:.3g}, outside {low:g}–{high:g}. "
            "End the decoder with a sigmoid, or give the range it produces with --output-range LOW,HIGH "
            "(e.g. --output-range=-1,1 for tanh)"
        )
    kind = "variational" if variational else "autoencoder"
    from dataclasses import replace

    return ModelConfig(
        latent_dim=latent,
        channels=channels,
        image_size=height,
        kind=kind,
        beta=beta,
        source=replace(source, code_shape=code_shape),
    )
