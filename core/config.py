"""Settings of a run and the names the window offers, importable without torch so the window opens fast."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
BUILTIN_DATASET = "digits-5k"
DATASET_NAMES: tuple[str, ...] = ("mnist", "fashion-mnist", "kmnist", BUILTIN_DATASET)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network: stored in every checkpoint."""

    latent_dim: int = 2
    channels: int = 1
    image_size: int = 28

    def __post_init__(self) -> None:
        if not 1 <= self.latent_dim <= 64:
            raise ValueError(f"latent_dim must be between 1 and 64, got {self.latent_dim}")
        if not 1 <= self.channels <= 4:
            raise ValueError(f"channels must be between 1 and 4, got {self.channels}")
        if self.image_size < 8 or self.image_size % 4 != 0:
            raise ValueError(f"image_size must be a multiple of 4 and at least 8, got {self.image_size}")

    @property
    def feature_size(self) -> int:
        """Side of the 64-channel feature map between the convolutions and the linear layer."""
        return self.image_size // 4

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        return cls(**{key: int(data[key]) for key in ("latent_dim", "channels", "image_size")})


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a run; the defaults are the lecture's."""

    epochs: int = 20
    batch_size: int = 32
    lr: float = 5e-4
    seed: int = 123
    device: str = "auto"
    snapshot_interval_s: float = 3.0  # least time between mid-epoch display snapshots (one per epoch besides)
    snapshot_budget: float = 0.05  # and never more than this share of training time spent on snapshots
    display_size: int = 2000  # images encoded for the latent panel
    sample_count: int = 15  # originals shown over their reconstructions
    num_threads: int = 0  # torch intra-op threads for training; 0 leaves torch's default

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "seed", "display_size", "sample_count", "num_threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
        if not isinstance(self.device, str):
            raise ValueError(f"device must be a name such as 'cpu', got {self.device!r}")
        checks = [
            (1 <= self.epochs <= 10_000, "epochs must be between 1 and 10000"),
            (1 <= self.batch_size <= 65_536, "batch size must be between 1 and 65536"),
            (math.isfinite(self.lr) and 0 < self.lr <= 10, "learning rate must be > 0 and ≤ 10"),
            (0 <= self.seed < 2**63, "seed must be between 0 and 2^63-1"),
            (
                self.device in DEVICE_CHOICES or self.device.startswith("cuda:"),
                f"device must be one of {DEVICE_CHOICES}",
            ),
            (self.snapshot_interval_s > 0, "snapshot interval must be positive"),
            (0 < self.snapshot_budget <= 1, "snapshot budget must be in (0, 1]"),
            (1 <= self.display_size <= 1_000_000, "display size must be between 1 and 1000000"),
            (1 <= self.sample_count <= 64, "sample count must be between 1 and 64"),
            (0 <= self.num_threads <= 256, "threads must be between 0 and 256"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})
