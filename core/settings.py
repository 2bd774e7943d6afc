"""Settings of a run, their ranges and defaults, and the data sets' names: the one source of truth.

The CLI's arguments (core.commands.train) and the window's widgets (explorer.training.controls_panel) are both
generated from
`SETTINGS` and `DATASETS`, and TrainConfig / ModelConfig validate against the same table, so a range or a default
is written once. Importable without torch, so the window opens before torch has loaded.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
LR_SCHEDULES = ("constant", "onecycle")  # core.training.schedule computes them; named here so config needs no torch
BUILTIN_DATASET = "digits-5k"
CIFAR10_NAME = "cifar-10"  # colour, 3×32×32 (core.data.cifar)

#: Every data set the app knows: name → the label the window shows.
DATASETS: dict[str, str] = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "kmnist": "KMNIST",
    CIFAR10_NAME: "CIFAR-10 (colour)",
    BUILTIN_DATASET: "Built-in digits (5,000)",
}
DATASET_NAMES: tuple[str, ...] = tuple(DATASETS)


#: A folder of the user's own images is the data set `folder:<absolute path>` (core.data.image_folder loads it).
FOLDER_PREFIX = "folder:"


#: The side an image folder's pictures may be resized to (a multiple of 4, as the network's two stride-2 layers need).
FOLDER_MIN_SIZE, FOLDER_MAX_SIZE = 8, 64


def is_folder_dataset(name: str) -> bool:
    """Whether `name` names a folder of images (`folder:PATH`) rather than one of DATASETS."""
    return name.startswith(FOLDER_PREFIX)


def folder_dataset_name(path: str | os.PathLike) -> str:
    """The data-set name of an image folder: `folder:` and its absolute path (~ expanded), as checkpoints store it."""
    return FOLDER_PREFIX + os.path.abspath(os.path.expanduser(os.fspath(path)))


def dataset_title(name: str) -> str:
    """A data set's name as a sentence uses it."""
    if is_folder_dataset(name):
        return f"the images in {name[len(FOLDER_PREFIX) :]}"
    return "the built-in digits" if name == BUILTIN_DATASET else DATASETS.get(name, name)


def dataset_short_title(name: str) -> str:
    """A data set's name short enough for a status bar: an image folder by its base name, not its whole path."""
    if is_folder_dataset(name):
        base = os.path.basename(name[len(FOLDER_PREFIX) :].rstrip("/\\"))
        return f"the folder {base}" if base else dataset_title(name)
    return dataset_title(name)


#: The longest stem dataset_file_stem gives, in bytes: room for "convae-", "-123" and ".safetensors" in a name of
#: at most 255 bytes, which is all file systems take.
MAX_STEM_BYTES = 200


def dataset_file_stem(name: str) -> str:
    """A file-name-safe stem for a data set: its name, or an image folder's base name (a path has slashes), cut to
    MAX_STEM_BYTES so that a file name made from it is one a file system takes."""
    if is_folder_dataset(name):
        base = os.path.basename(name[len(FOLDER_PREFIX) :].rstrip("/\\")) or "folder"
        stem = re.sub(r"[^\w.-]+", "_", base).strip("._") or "folder"
    else:
        stem = name
    return os.fsencode(stem)[:MAX_STEM_BYTES].decode("utf-8", "ignore") or "folder"


#: What a first run trains on: the built-in digits work offline, everything else may need a download.
DEFAULT_DATASET = BUILTIN_DATASET


@dataclass(frozen=True)
class Setting:
    """One numeric setting of a run: its range, default and help, shared by the CLI, the window and validation.

    `low_open` marks a range that excludes its lower end (the learning rate must be > 0); the window's spin box
    then starts at `gui_low`, the smallest value it can show.
    """

    name: str  # the TrainConfig / ModelConfig field
    label: str  # as the window's form and messages call it
    kind: type  # int or float
    low: float
    high: float
    default: float
    help: str
    low_open: bool = False
    gui_low: float | None = None
    in_window: bool = True  # offered in the window's training form
    option: str | None = None  # the CLI's option name, where it is not the field's

    @property
    def flag(self) -> str:
        return "--" + (self.option or self.name.replace("_", "-"))

    def range_text(self) -> str:
        if self.low_open:
            return f"> {_number(self.low)} and ≤ {_number(self.high)}"
        return f"between {_number(self.low)} and {_number(self.high)}"

    def check(self, value: object) -> None:
        """Raise ValueError, saying the valid range, unless `value` is of this setting's kind and within it."""
        whole = isinstance(value, int) and not isinstance(value, bool)
        if self.kind is int and not whole:
            raise ValueError(f"{self.label} must be a whole number {self.range_text()}, got {value!r}")
        if self.kind is float and not (whole or isinstance(value, float)):
            raise ValueError(f"{self.label} must be a number {self.range_text()}, got {value!r}")
        inside = (self.low < value if self.low_open else self.low <= value) and value <= self.high
        if not inside or (isinstance(value, float) and not math.isfinite(value)):
            raise ValueError(f"{self.label} must be {self.range_text()}, got {_number(value)}")


def _number(value: object) -> str:
    """Whole numbers in full (never 9.22337e+18), others as Python writes them shortest."""
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else repr(value)


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("latent_dim", "latent size", int, 1, 64, 2, "size of the code each image is squeezed into "
                "(2 can be drawn directly)"),
        Setting("epochs", "epochs", int, 1, 10_000, 20, "passes over the training images"),
        Setting("batch_size", "batch size", int, 1, 4096, 32, "images per optimizer step"),
        Setting("lr", "learning rate", float, 0.0, 10.0, 5e-4, "Adam's learning rate (the lecture used 0.0005)",
                low_open=True, gui_low=1e-6),
        # 2^31-1: the largest seed a spin box (a C int) can hold, and far more seeds than anyone tries
        Setting("seed", "seed", int, 0, 2**31 - 1, 123, "fixes initial weights and shuffling: same seed, same run"),
        Setting("num_threads", "threads", int, 0, 256, 0, "torch CPU threads for training, 0 = all",
                in_window=False, option="threads"),
        Setting("beta", "KL weight β", float, 0.0, 20.0, 1.0, "weight of the KL term of a variational "
                "autoencoder's loss (L17 used 1; larger pulls the codes towards N(0, I))", low_open=True, gui_low=0.01),
    )
}  # fmt: skip


#: The networks a run can train: name → the label the window shows. The CLI also takes the short names below.
MODEL_KINDS: dict[str, str] = {
    "autoencoder": "Autoencoder (L16)",
    "variational": "Variational AE (L17)",
}
MODEL_ALIASES = {"ae": "autoencoder", "vae": "variational"}
DEFAULT_MODEL = "autoencoder"
#: SETTINGS that belong to ModelConfig (stored with the network), not to TrainConfig.
MODEL_SETTINGS = ("latent_dim", "beta")


def check_model_kind(name: object) -> str:
    """The model kind `name` stands for ('vae' → 'variational'); ValueError naming the choices otherwise."""
    kind = MODEL_ALIASES.get(name, name) if isinstance(name, str) else name
    if isinstance(kind, str) and kind in MODEL_KINDS:
        return kind
    choices = ", ".join([*MODEL_KINDS, *MODEL_ALIASES])
    raise ValueError(f"model must be one of {choices}, got {name!r}")


@dataclass(frozen=True)
class Recipe:
    """Named training settings the window and `train --preset` offer; only the lecture's is the lecture's."""

    name: str  # as --preset spells it
    label: str  # as the window's Recipe box shows it
    values: dict[str, float]  # SETTINGS values it sets; the others keep theirs
    note: str
    lr_schedule: str = "constant"


#: The lecture's recipe, and one that reaches the lecture's 20-epoch MSE (0.045 on digits-5k) sooner: in 1,230
#: steps against the lecture's 2,982 (2.4×, same cost a step), its held-out 5-NN accuracy 60.2 % against 60.0 %.
#: Measured by `convae-explorer bench --time-to-target` (core.bench.target); docs/performance.md, "Time to a good
#: model".
RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "lecture",
            "Lecture L16",
            {"batch_size": 32, "lr": 5e-4, "epochs": 20},
            "the lecture's: Adam, learning rate 0.0005, batch 32, 20 epochs",
        ),
        Recipe(
            "fast",
            "Fast (not the lecture's)",
            {"batch_size": 32, "lr": 5e-3, "epochs": 10},
            "not the lecture's: Adam's learning rate rises to 0.005 and anneals again in one cycle over 10 epochs, "
            "batch 32",
            lr_schedule="onecycle",
        ),
    )
}
DEFAULT_RECIPE = "lecture"


def recipe_of(values: dict[str, float]) -> Recipe | None:
    """The recipe whose settings all equal `values`' (None: settings of the user's own)."""
    for recipe in RECIPES.values():
        if all(name in values and math.isclose(values[name], v, rel_tol=1e-9) for name, v in recipe.values.items()):
            return recipe
    return None


def check_device(name: object) -> str:
    """A device name the engine understands ('auto', 'cpu', 'cuda', 'cuda:N', 'mps'); ValueError otherwise."""
    if isinstance(name, str) and (name in DEVICE_CHOICES or re.fullmatch(r"cuda:\d{1,3}", name)):
        return name
    raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)} or cuda:N (N a GPU number), got {name!r}")


#: The most numbers a user's own module's (flattened) code may hold: a 4×32×32 spatial latent, and then some.
OWN_MAX_LATENT = 65_536


def _range_pair(value: object, what: str) -> tuple[float, float]:
    """(low, high) with low < high, both finite: an --input-range or --output-range."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{what} must be two numbers low,high, got {value!r}")
    low, high = (float(v) for v in value)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{what} must be two finite numbers with low < high, got {low:g},{high:g}")
    return (low, high)


@dataclass(frozen=True)
class ModelSource:
    """A user's own module: where its code is, which class, its constructor's keyword arguments, and the SHA-256 of
    the file's bytes when the user consented to run it (the trust record a checkpoint keeps).

    `args_json` is canonical JSON (sorted keys) so that two sources compare and hash equal when they build the same
    module. The ranges map the data's [0, 1] pixels to what the module takes and back from what it gives.
    """

    path: str
    class_name: str
    args_json: str = "{}"
    sha256: str = ""
    input_range: tuple[float, float] = (0.0, 1.0)
    output_range: tuple[float, float] = (0.0, 1.0)
    #: One image's code as the module gives it, e.g. (2,) or (4, 7, 7) for a spatial latent (flattened for the view,
    #: unflattened for the decoder); () until the module has been probed.
    code_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            raise ValueError("a model source needs the path of its code file")
        if not isinstance(self.class_name, str) or not self.class_name.isidentifier():
            raise ValueError(f"the class name must be a Python identifier, got {self.class_name!r}")
        if not isinstance(self.sha256, str) or (self.sha256 and not re.fullmatch(r"[0-9a-f]{64}", self.sha256)):
            raise ValueError(f"sha256 must be 64 hexadecimal digits, got {self.sha256!r}")
        object.__setattr__(self, "input_range", _range_pair(self.input_range, "the input range"))
        object.__setattr__(self, "output_range", _range_pair(self.output_range, "the output range"))
        shape = tuple(self.code_shape)
        if not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= OWN_MAX_LATENT for n in shape):
            raise ValueError(f"a code's shape must be positive whole numbers, got {self.code_shape!r}")
        if len(shape) > 4 or math.prod(shape) > OWN_MAX_LATENT:
            raise ValueError(f"a code of shape {shape} is larger than the {OWN_MAX_LATENT:,} numbers a view takes")
        object.__setattr__(self, "code_shape", shape)

    @property
    def spatial(self) -> bool:
        """The module's code is not flat (N×C×h×w, say): the view shows it flattened."""
        return len(self.code_shape) > 1

    @property
    def label(self) -> str:
        """'model.py:Net', as `--model-code` names it."""
        return f"{os.path.basename(self.path)}:{self.class_name}"

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "class_name": self.class_name,
            "args_json": self.args_json,
            "sha256": self.sha256,
            "input_range": list(self.input_range),
            "output_range": list(self.output_range),
            "code_shape": list(self.code_shape),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ModelSource:
        if not isinstance(data, dict):
            raise ValueError(f"the model source must be a mapping, got {data!r}")
        args_json = data.get("args_json", "{}")
        if not isinstance(args_json, str):
            raise ValueError("the model source's constructor arguments must be JSON text")
        return cls(
            path=data["path"],
            class_name=data["class_name"],
            args_json=args_json,
            sha256=data.get("sha256", ""),
            input_range=tuple(data.get("input_range", (0.0, 1.0))),
            output_range=tuple(data.get("output_range", (0.0, 1.0))),
            code_shape=tuple(data.get("code_shape", ())),
        )


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network: stored in every checkpoint.

    With a `source` the network is the user's own module (core.model.own_module): `latent_dim` is then the size of
    its flattened code and `kind` says whether its encoder gives (mu, logvar).
    """

    latent_dim: int = int(SETTINGS["latent_dim"].default)
    channels: int = 1
    image_size: int = 28
    kind: str = DEFAULT_MODEL  # "autoencoder" (L16) or "variational" (L17)
    beta: float = SETTINGS["beta"].default  # the KL term's weight; used by a variational model only
    source: ModelSource | None = None  # a user's own module; None: the lecture's network

    def __post_init__(self) -> None:
        if self.source is None:
            SETTINGS["latent_dim"].check(self.latent_dim)
        elif not isinstance(self.latent_dim, int) or not 1 <= self.latent_dim <= OWN_MAX_LATENT:
            raise ValueError(f"a module's code must hold 1 to {OWN_MAX_LATENT:,} numbers, got {self.latent_dim!r}")
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"model kind must be one of {', '.join(MODEL_KINDS)}, got {self.kind!r}")
        SETTINGS["beta"].check(self.beta)
        if not 1 <= self.channels <= 4:
            raise ValueError(f"channels must be between 1 and 4, got {self.channels}")
        if self.image_size < 8 or (self.source is None and self.image_size % 4 != 0):
            raise ValueError(f"image_size must be a multiple of 4 and at least 8, got {self.image_size}")

    @property
    def feature_size(self) -> int:
        """Side of the 64-channel feature map between the convolutions and the linear layer."""
        return self.image_size // 4

    @property
    def variational(self) -> bool:
        return self.kind == "variational"

    def describe(self) -> str:
        """'autoencoder' or 'variational autoencoder (β 4)': the model as titles and messages name it."""
        kind = f"variational autoencoder (β {_number(self.beta)})" if self.variational else "autoencoder"
        if self.source is None:
            return kind
        shape = self.source.code_shape
        flat = f" (its {'×'.join(map(str, shape))} codes flattened for the view)" if self.source.spatial else ""
        return f"your own {kind} {self.source.label}{flat}"

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.source is None:
            data.pop("source")  # files of the lecture's networks stay as they were
        else:
            data["source"] = self.source.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """From a checkpoint's metadata; one written before model kinds existed is an autoencoder."""
        sizes = {key: int(data[key]) for key in ("latent_dim", "channels", "image_size")}
        kind, beta = data.get("kind", DEFAULT_MODEL), data.get("beta", SETTINGS["beta"].default)
        if not isinstance(kind, str):
            raise ValueError(f"model kind must be a name, got {kind!r}")
        source = data.get("source")
        return cls(**sizes, kind=kind, beta=beta, source=None if source is None else ModelSource.from_dict(source))


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a run; the defaults are the lecture's (see SETTINGS)."""

    epochs: int = int(SETTINGS["epochs"].default)
    batch_size: int = int(SETTINGS["batch_size"].default)
    lr: float = SETTINGS["lr"].default
    seed: int = int(SETTINGS["seed"].default)
    device: str = "auto"
    snapshot_interval_s: float = 3.0  # least time between mid-epoch display snapshots (one per epoch besides)
    snapshot_budget: float = 0.05  # and never more than this share of training time spent on snapshots
    #: and on decoding the display set's reconstruction errors between steps (core.training.snapshot_pacing)
    errors_budget: float = 0.01
    display_size: int = 2000  # images encoded for the latent panel
    sample_count: int = 15  # originals shown over their reconstructions
    num_threads: int = int(SETTINGS["num_threads"].default)  # torch intra-op threads for training; 0: the default
    lr_schedule: str = "constant"  # the lecture's; "onecycle": warm up to lr, then anneal (core.training.schedule)
    bf16: bool = False  # CUDA: bf16 autocast + channels_last (core.training.gpu_levers); not the lecture's arithmetic
    compile: bool = False  # CUDA: torch.compile the step, kernels cached per user (core.training.gpu_levers)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "lr", "seed", "num_threads"):
            SETTINGS[name].check(getattr(self, name))
        for name in ("bf16", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("display_size", "sample_count"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
        check_device(self.device)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(
                f"learning-rate schedule must be one of {', '.join(LR_SCHEDULES)}, got {self.lr_schedule!r}"
            )
        checks = [
            (self.snapshot_interval_s > 0, "snapshot interval must be positive"),
            (0 < self.snapshot_budget <= 1, "snapshot budget must be in (0, 1]"),
            (0 < self.errors_budget <= 1, "errors budget must be in (0, 1]"),
            (1 <= self.display_size <= 1_000_000, "display size must be between 1 and 1000000"),
            (1 <= self.sample_count <= 64, "sample count must be between 1 and 64"),
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
