"""The training engine: a generator of events over in-memory batches, steered by flags it polls.

The engine owns the model while it trains. Callers see only events (core.events) and may pause,
resume or stop it from any thread through TrainingControl; nothing here knows about Qt.
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import nn

from core.data.datasets import ImageDataset, ImageSplit
from core.events import BatchEnd, EndReason, EpochEnd, Event, LivePoints, Snapshot, TrainingEnded
from core.model.autoencoder import ConvAutoEncoder
from core.model.errors import reconstruction_errors
from core.model.snapshot_encoder import encoder_copy
from core.model.vae import build_network, encode_moments, kl_per_dimension
from core.settings import DEVICE_CHOICES, ModelConfig, TrainConfig
from core.training.batch_codes import BatchCodes
from core.training.control import TrainingControl
from core.training.gpu_levers import check_levers
from core.training.live_moves import LiveMoves
from core.training.memory import keep_freed_memory
from core.training.pacing import FULL
from core.training.progress import plural
from core.training.schedule import learning_rate
from core.training.snapshot_pacing import ErrorsBudget, SnapshotPacer
from core.training.step_runners import close_steps, make_steps, to_float
from core.training.thread_count import on_threads


@dataclass
class TrainingProgress:
    """Where a run stands; with the weights and optimizer state it makes a run resumable exactly."""

    epoch: int = 0  # epochs completed
    batch_in_epoch: int = 0  # batches completed in the current epoch
    step: int = 0  # optimizer steps completed
    epoch_rng_state: torch.Tensor | None = None  # shuffle generator state at the start of the current epoch
    batch_losses: list[float] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    #: A variational model's (reconstruction, KL) per step, beside batch_losses (loss = reconstruction + β·KL), so a
    #: reopened run can draw both curves; NaN for steps from a file that did not keep them; empty for an autoencoder.
    batch_loss_parts: list[tuple[float, float]] = field(default_factory=list)


_DEFAULT_THREADS = torch.get_num_threads()


def resolve_device(name: str) -> torch.device:
    """'auto' picks cuda, then mps, then cpu; a named device must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but no CUDA GPU is available here")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device '{name}' was asked for, but this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for, but Apple's MPS is not available here")
    return device


def build_model(model_config: ModelConfig, seed: int) -> nn.Module:
    """The network with initial weights fixed by the seed (the global RNG is restored afterwards)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_network(model_config, noise_seed=seed)


def build_optimizer(model: nn.Module, lr: float) -> torch.optim.Adam:
    """Adam as in the lecture; the fused kernel (same update, one pass over all tensors) where supported.

    On CUDA it is also capturable (step counts kept on the GPU) so that core.training.step_runners can replay it in a
    CUDA graph.
    """
    return torch.optim.Adam(model.parameters(), lr=lr, **_optimizer_options(model))


def _optimizer_options(model: nn.Module) -> dict[str, bool]:
    device = next(model.parameters()).device.type
    return {"fused": device in ("cpu", "cuda"), "capturable": device == "cuda"}


def _match_optimizer_options(optimizer: torch.optim.Optimizer, model: nn.Module) -> None:
    """A loaded state brings the options of the machine that saved it: set this device's again."""
    for group in optimizer.param_groups:
        group.update(_optimizer_options(model))


def preferred_memory_format(device: torch.device, bf16: bool = False) -> torch.memory_format:
    """channels_last on the CPU: oneDNN's NHWC kernels run the same convolutions faster than NCHW ones.

    On a 2-core AVX-512 Xeon a whole training step got about 1.15× faster (the convolutions are ~90 % of it), and
    encoding too. Only the memory layout of the weights changes, never their values. On CUDA channels_last pays
    only together with bf16 (0.62 against 0.69 ms a step on an H100, docs/performance.md), so the contiguous layout
    stays there unless bf16 is asked for; MPS keeps it too (nothing was measured there).
    """
    if device.type == "cpu" or (device.type == "cuda" and bf16):
        return torch.channels_last
    return torch.contiguous_format


def _match_state_layouts(optimizer: torch.optim.Optimizer) -> None:
    """Give each optimizer state tensor its parameter's memory layout (a loaded state arrives contiguous).

    The fused Adam kernel walks parameter, gradient and moments as flat arrays in step: with different strides it
    would silently pair the wrong elements.
    """
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            state = optimizer.state.get(parameter, {})
            for key, value in state.items():
                mismatched = isinstance(value, torch.Tensor) and value.shape == parameter.shape
                if mismatched and value.stride() != parameter.stride():
                    state[key] = torch.empty_like(parameter, requires_grad=False).copy_(value)


def choose_display_subset(split: ImageSplit, size: int, seed: int) -> np.ndarray:
    """A fixed, seeded subset of a split's indices for the latent panel."""
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(split), generator=generator)
    return order[: min(size, len(split))].numpy()


def choose_samples(labels: np.ndarray, count: int) -> np.ndarray:
    """Positions of `count` images cycling through the classes (0,1,…,9,0,1,…) so every class is shown."""
    classes = np.unique(labels)
    queues = {c: list(np.flatnonzero(labels == c)) for c in classes}
    chosen: list[int] = []
    while len(chosen) < min(count, len(labels)):
        for c in classes:
            if queues[c] and len(chosen) < count:
                chosen.append(int(queues[c].pop(0)))
    return np.array(chosen, dtype=np.int64)


@torch.inference_mode()
def encode_images(model: ConvAutoEncoder, images: torch.Tensor, device: torch.device, chunk: int = 1024) -> np.ndarray:
    """Latent codes (float32 numpy) of uint8 images, encoded in chunks on `device`."""
    was_training = model.training
    model.eval()
    try:
        parts = [
            model.encode(to_float(images[i : i + chunk].to(device))).float().cpu() for i in range(0, len(images), chunk)
        ]
    finally:
        model.train(was_training)
    return torch.cat(parts).numpy() if parts else np.zeros((0, model.config.latent_dim), np.float32)


class DisplaySet:
    """The fixed images behind the latent panel and the reconstruction grids."""

    def __init__(self, dataset: ImageDataset, size: int, sample_count: int, seed: int) -> None:
        split = dataset.test if dataset.test is not None else dataset.train
        self.source = "test" if dataset.test is not None else "training"
        #: The display images' positions in `split` (the snapshot's data_indices): image i is split.images[indices[i]].
        self.indices = choose_display_subset(split, size, seed)
        self.images = split.images[torch.from_numpy(self.indices)]
        self.labels = split.labels[torch.from_numpy(self.indices)].numpy()
        self.sample_positions = choose_samples(self.labels, sample_count)
        self.classes = dataset.classes


def take_snapshot(
    model: ConvAutoEncoder, display: DisplaySet, device: torch.device, step: int, epoch: float
) -> Snapshot:
    """Freeze the model's current state for display: codes, sample reconstructions and a CPU decoder copy (the
    errors are Trainer.snapshot's to add: a run's errors budget says which snapshots decode them)."""
    log_vars = kl = None
    if model.config.variational:
        codes, log_vars = encode_moments(model, display.images, device)
        kl = kl_per_dimension(codes, log_vars)
    else:
        codes = encode_images(model, display.images, device)
    originals = display.images[torch.from_numpy(display.sample_positions)]
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        recon = model(to_float(originals.to(device))).float().cpu().numpy()
    model.train(was_training)
    # The hover decodes one code at a time on the CPU: oneDNN's channels_last kernels do that in about half the time.
    cpu = torch.device("cpu")
    decoder = copy.deepcopy(model.decoder).to(cpu, memory_format=preferred_memory_format(cpu)).eval()
    for parameter in decoder.parameters():
        parameter.requires_grad_(False)
    return Snapshot(
        step=step,
        epoch=epoch,
        decoder=decoder,
        codes=codes,
        labels=display.labels,
        display_images=display.images.numpy(),
        originals=to_float(originals).numpy(),
        reconstructions=recon,
        classes=display.classes,
        log_variances=log_vars,
        kl_per_dim=kl,
        beta=model.config.beta if model.config.variational else None,
        encoder=encoder_copy(model),
        data_indices=display.indices,
        data_split=display.source,
    )


class _LastGoodWeights:
    """Copies of weights and optimizer state taken whenever losses are verified, for a rollback on divergence.

    Steps run ahead of the check (the loss is read only when the engine commits a run of steps), so the copy
    taken at the last commit is proven good only if the first step after it gave a finite loss; otherwise the
    copy before it is used. Two generations, swapped rather than reallocated: one device copy per commit.
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
        self._model, self._optimizer = model, optimizer
        self._latest: list[torch.Tensor] = []
        self._older: list[torch.Tensor] = []
        self._tensors: list[torch.Tensor] = []
        self._states = -1  # how many parameters had optimizer state when _tensors was listed

    def _live(self) -> list[torch.Tensor]:
        """The weights and the optimizer's state, listed again only when the optimizer's state has grown (its first
        step): walking the modules at every commit cost 5 % of a small module's training on the CPU."""
        if self._states != len(self._optimizer.state):
            tensors = [p.data for p in self._model.parameters()]
            for state in self._optimizer.state.values():
                tensors.extend(t for t in state.values() if isinstance(t, torch.Tensor))
            self._tensors, self._states = tensors, len(self._optimizer.state)
        return self._tensors

    @torch.no_grad()
    def save(self) -> None:
        """Copy the live tensors, on the calling thread alone.

        The copy runs after every CPU step (2.4 MB). On a team of all threads it woke the team's other threads
        for a fraction of a millisecond, and they then spun waiting for more work into the next step, taking a
        core from the step's own threads: on 2 cores 0.16–0.2 CPUs went to spinning, and the engine trained
        1.25× faster once the copy ran on one thread (per-thread CPU time from /proc, interleaved runs).
        """
        with on_threads(1):
            live = self._live()
            reuse = self._older if len(self._older) == len(live) else [t.detach().clone() for t in live]
            if reuse is self._older:
                torch._foreach_copy_(reuse, live)
            self._older, self._latest = self._latest, reuse

    @torch.no_grad()
    def restore(self, *, latest_verified: bool) -> None:
        """Put back the newest copy known to be good: the latest if a step after it gave a finite loss."""
        copies = self._latest if latest_verified or not self._older else self._older
        live = self._live()
        if len(live) != len(copies):  # the copy predates the optimizer's state (first steps of a fresh run)
            self._optimizer.state.clear()
            live = self._live()
        torch._foreach_copy_(live, copies)


class Trainer:
    """Trains a ConvAutoEncoder on an in-memory data set, yielding events; resumable from a checkpoint."""

    def __init__(
        self,
        dataset: ImageDataset,
        config: TrainConfig | None = None,
        model_config: ModelConfig | None = None,
        *,
        model_state: dict[str, torch.Tensor] | None = None,
        optimizer_state: dict | None = None,
        progress: TrainingProgress | None = None,
    ) -> None:
        self.dataset = dataset
        self.config = config or TrainConfig()
        self.model_config = model_config or ModelConfig(channels=dataset.channels, image_size=dataset.image_size)
        if (self.model_config.channels, self.model_config.image_size) != (dataset.channels, dataset.image_size):
            raise ValueError(
                f"the model expects {self.model_config.channels}×{self.model_config.image_size}² images, "
                f"but {dataset.name} holds {dataset.channels}×{dataset.image_size}²"
            )
        if self.config.batch_size > len(dataset.train):  # refused here, before buffers for such a batch are made
            count = len(dataset.train)
            raise ValueError(
                f"batch size {self.config.batch_size:,} is larger than the {count:,} training images of "
                f"{dataset.name}; choose at most {count:,}"
            )
        self.device = resolve_device(self.config.device)
        keep_freed_memory()  # CPU steps then reuse their buffers, not fault pages in again (core.training.memory)
        check_levers(self.device, self.model_config.variational, self.config.bf16, self.config.compile)
        self.model = build_model(self.model_config, self.config.seed)
        if model_state is not None:
            self.model.load_state_dict(model_state)
        self.model.to(self.device, memory_format=preferred_memory_format(self.device, self.config.bf16))
        self.optimizer = build_optimizer(self.model, self.config.lr)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)
            _match_optimizer_options(self.optimizer, self.model)
            _match_state_layouts(self.optimizer)
        self.progress = progress or TrainingProgress()
        self.display = DisplaySet(dataset, self.config.display_size, self.config.sample_count, self.config.seed)
        self._generator = torch.Generator().manual_seed(self.config.seed)
        # Steps queued before their losses are read: 1 on the CPU (a read costs nothing there), more on a GPU.
        self.commit_every = 1 if self.device.type == "cpu" else _GPU_COMMIT_EVERY
        self.last_snapshot_step: int | None = None  # the step the last snapshot showed
        self.errors_budget = ErrorsBudget(self.config.errors_budget)  # renewed as each run starts
        self.last_snapshot_s = 0.0  # the last snapshot's time without its errors: the next one's likely time
        self._errors: tuple[np.ndarray, int] | None = None  # the newest errors decoded, and their step
        self._snapshot_held_s = 0.0  # how long the caller held the last snapshot before asking for the next event

    @property
    def batches_per_epoch(self) -> int:
        return math.ceil(len(self.dataset.train) / self.config.batch_size)

    @property
    def threads(self) -> int:
        """The torch threads this run trains on (the configured count, or torch's default)."""
        return self.config.num_threads or _DEFAULT_THREADS

    @property
    def finished(self) -> bool:
        return self.progress.epoch >= self.config.epochs

    def snapshot(self, errors: bool = True, *, between_steps: bool = False) -> Snapshot:
        """The model's current state for display, with every display image's errors decoded now (`errors` True) or
        else the newest ones decoded before, with their step (None if none were).

        `between_steps`: training goes on after this snapshot, so its decode counts against the run's errors budget
        (core.training.snapshot_pacing)."""
        p = self.progress
        self.last_snapshot_step = p.step  # Pause and Stop make a fresh one when this is behind
        epoch = p.epoch + p.batch_in_epoch / self.batches_per_epoch
        start = time.perf_counter()
        snapshot = take_snapshot(self.model, self.display, self.device, p.step, epoch)
        self.last_snapshot_s = time.perf_counter() - start
        if errors:  # on the training device with the live decoder (the snapshot's CPU copy holds the same weights)
            start = time.perf_counter()
            self._errors = (
                reconstruction_errors(self.model.decoder, snapshot.codes, self.display.images, self.device),
                p.step,
            )
            self.errors_budget.spent(time.perf_counter() - start, between_steps=between_steps)
        if self._errors is None:
            return snapshot
        return replace(snapshot, errors=self._errors[0], errors_step=self._errors[1])

    def _errors_due(self, between_steps: bool) -> bool:
        """Whether the next snapshot decodes its errors: always where no step follows it, else within the budget."""
        return not between_steps or self.errors_budget.allows(self.last_snapshot_s)

    def run(
        self,
        control: TrainingControl | None = None,
        *,
        snapshots: bool = True,
        live_every_s: float | None = None,
        live_budget: float = FULL.live_points_budget,
        snapshot_errors: bool = True,
    ) -> Iterator[Event]:
        """Train until the configured epochs are done, stop is requested, or the loss stops being finite.

        Yields a Snapshot first (the starting point), BatchEnd after every step, EpochEnd and a Snapshot after
        every epoch (and mid-epoch ones, spaced so they cost at most `snapshot_budget` of the time), and
        TrainingEnded last. With snapshots=False (headless training) no Snapshot is made at all. With snapshots, a
        pause and a stop first yield a Snapshot of the weights they stop at (unless the last one shows them); with
        live_every_s, LivePoints move some points in between, one interval after the last move (core.training.
        live_moves): the batches' own codes of display images where they are trained on, else a re-encoded slice
        sized to cost `live_budget` of the time (the window's pacing, core.training.pacing). With
        snapshot_errors=False the snapshots carry no reconstruction errors (headless training records frames whose
        errors a file does not keep: it need not pay for them).

        On the CPU every step is committed (its loss read and checked) as it ends. On a GPU steps are queued
        without waiting and committed in runs of up to `commit_every` (and before a pause, a stop, a snapshot and
        at each epoch's end), so the GPU never idles on a host sync; their BatchEnd events then arrive together.
        """
        control = control or TrainingControl()
        # Thread counts are per calling thread here: set them in the thread that trains (the window's worker
        # thread starts with its own), and leave the window's thread to the window.
        torch.set_num_threads(self.threads)
        images = self.dataset.train.images.to(self.device)
        fixed_lr = self.config.lr_schedule == "constant"
        step = make_steps(
            self.model,
            self.optimizer,
            images,
            self.config.batch_size,
            torch.get_num_threads(),
            fixed_lr,
            bf16=self.config.bf16,
            compiled=self.config.compile,
        )
        try:
            yield from self._train(control, snapshots, step, live_every_s, live_budget, snapshot_errors)
        finally:
            close_steps(step)

    def _train(
        self,
        control: TrainingControl,
        snapshots: bool,
        step: Callable[[torch.Tensor], torch.Tensor],
        live_every_s: float | None,
        live_budget: float,
        snapshot_errors: bool = True,
    ) -> Iterator[Event]:
        config, progress = self.config, self.progress
        count, per_epoch = len(self.dataset.train), self.batches_per_epoch
        self.model.train()
        pacer = SnapshotPacer(config.snapshot_interval_s, config.snapshot_budget)
        self.errors_budget = ErrorsBudget(config.errors_budget)
        fresh_run = progress.step == 0  # its start's errors are an untrained network's
        live = self._live_moves(step, live_every_s, live_budget) if live_every_s is not None and snapshots else None
        if snapshots:
            yield from self._snapshot(pacer, live, snapshot_errors, between_steps=False)
        commit = _Committer(self, _LastGoodWeights(self.model, self.optimizer), self.commit_every)

        while progress.epoch < config.epochs:
            if progress.epoch_rng_state is None:
                progress.epoch_rng_state = self._generator.get_state()
            else:  # resumed (or a later epoch): the state saved for this epoch, so the shuffle matches exactly
                self._generator.set_state(progress.epoch_rng_state)
            order = torch.randperm(count, generator=self._generator).to(self.device)
            if self.model_config.variational:  # ε too is fixed by (seed, epoch): a resumed run draws the same
                self.model.restart_noise(config.seed, progress.epoch, progress.batch_in_epoch, config.batch_size)
            epoch_start = time.perf_counter()
            for batch in range(progress.batch_in_epoch, per_epoch):
                if (control.paused or control.stop_requested) and (yield from commit.all()):
                    return
                stale = snapshots and (
                    self.last_snapshot_step != progress.step or (snapshot_errors and self._errors_behind())
                )
                if stale and (control.paused or control.stop_requested):  # Pause and Stop show the weights they stop at
                    yield from self._snapshot(pacer, live, snapshot_errors, between_steps=False)
                commit.paused_s += control.wait_while_paused()
                if control.stop_requested:
                    yield self._ended(EndReason.STOPPED, "Training stopped; the weights so far are kept.")
                    return
                indices = order[batch * config.batch_size : (batch + 1) * config.batch_size]
                if config.lr_schedule != "constant":
                    self._set_lr(progress.step + commit.queued)
                commit.queue(step(indices), len(indices))
                if live is not None and live.batch_codes is not None:
                    live.batch_codes.add(indices, step.last_codes)
                snapshot_due = snapshots and batch + 1 < per_epoch and pacer.due()
                if (commit.full or snapshot_due) and (yield from commit.all()):
                    return
                if snapshot_due:
                    yield from self._snapshot(pacer, live, snapshot_errors, between_steps=True)
                elif live is not None and commit.idle and batch + 1 < per_epoch and live.due():
                    yield self._live_points(live)  # (after an epoch's last step its snapshot moves every point)
            if (yield from commit.all()):
                return
            epoch_losses = progress.batch_losses[-per_epoch:]
            progress.epoch_losses.append(float(np.mean(epoch_losses)))
            progress.epoch += 1
            progress.batch_in_epoch = 0
            progress.epoch_rng_state = self._generator.get_state()  # the next epoch's start, for a resume between
            yield EpochEnd(
                progress.epoch - 1, config.epochs, progress.epoch_losses[-1], time.perf_counter() - epoch_start
            )
            if snapshots:  # the last epoch's is the run's last: no step follows it
                # A fresh run's first epoch end decodes its errors whatever the budget (counted in it): else the
                # start's, an untrained network's, would stand for the first ~40 s of a 2-core run.
                first = fresh_run and progress.epoch == 1
                yield from self._snapshot(
                    pacer, live, snapshot_errors, between_steps=not self.finished, errors_anyway=first
                )
        yield self._ended(
            EndReason.FINISHED,
            f"Training finished: {plural(config.epochs, 'epoch')}, final epoch {loss_name(self.model_config)} "
            f"{progress.epoch_losses[-1]:.4f}.",
        )

    def _live_moves(self, steps: object, live_every_s: float, live_budget: float) -> LiveMoves:
        """The run's live clock (core.training.live_moves), with the batches' own codes (core.training.batch_codes)
        where the display images are training images and the step runner keeps codes (the CPU's); elsewhere it
        re-encodes slices of the display set."""
        batch_codes = None
        if self.display.source == "training" and self.device.type == "cpu" and hasattr(steps, "keep_codes"):
            steps.keep_codes = True
            batch_codes = BatchCodes(self.display.indices, len(self.dataset.train))
        return LiveMoves(len(self.display.images), live_every_s, live_budget, batch_codes)

    def _live_points(self, live: LiveMoves) -> LivePoints:
        p = self.progress
        return live.take(p.step, p.epoch + p.batch_in_epoch / self.batches_per_epoch, self._encode_display)

    def _encode_display(self, positions: np.ndarray) -> np.ndarray:
        """A live slice's codes, on one thread where the run trains on the CPU: a slice is a few dozen images, and on
        a busy 2-core host two threads waited for each other at every layer (8 images: 1.3 ms on one thread, 158 ms
        median on two, with other processes running)."""
        images = self.display.images[torch.from_numpy(positions)]
        if self.device.type != "cpu":
            return encode_images(self.model, images, self.device)
        with on_threads(1):
            return encode_images(self.model, images, self.device)

    def _snapshot(
        self,
        pacer: SnapshotPacer,
        live: LiveMoves | None,
        errors: bool,
        *,
        between_steps: bool,
        errors_anyway: bool = False,
    ) -> Iterator[Event]:
        """A full snapshot, led by LivePoints when the live interval would run out while it encodes and decodes (so
        the points never stand still for a whole interval plus a snapshot). It decodes the errors where `errors` and
        the run's errors budget allow (core.training.snapshot_pacing). Call it only while no step waits to be
        committed."""
        fresh = errors and (errors_anyway or self._errors_due(between_steps))
        expected = self.last_snapshot_s + (self.errors_budget.expected_s(self.last_snapshot_s) if fresh else 0.0)
        # The window sees a snapshot's points only once its worker has also made the view and the time-lapse frame:
        # the time the last snapshot was held counts too.
        if live is not None and live.due_during(expected + self._snapshot_held_s):
            yield self._live_points(live)
        snapshot = pacer.timed(functools.partial(self.snapshot, fresh, between_steps=between_steps))
        if live is not None:  # the next live move comes an interval after this one was made, however long it is held
            live.moved()
        yielded = time.perf_counter()
        yield snapshot
        self._snapshot_held_s = time.perf_counter() - yielded

    def _errors_behind(self) -> bool:
        """The newest errors are not those of the current weights."""
        return self._errors is None or self._errors[1] != self.progress.step

    def _set_lr(self, step: int) -> None:
        """The scheduled rate for this step (a function of the step alone, so a resumed run matches exactly)."""
        lr = learning_rate(self.config.lr_schedule, self.config.lr, step, self.config.epochs * self.batches_per_epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _ended(self, reason: EndReason, message: str) -> TrainingEnded:
        return TrainingEnded(reason, message, self.progress.step, self.progress.epoch)


_GPU_COMMIT_EVERY = 64  # ~20 ms of steps on a fast GPU: the window still sees the loss move smoothly


class _Committer:
    """Steps whose losses are still on the device, read in one sync, checked, and turned into BatchEnd events.

    A run of steps is committed only when all its losses are finite; then the progress counters move, the
    events go out and the weights are copied for a rollback. A non-finite loss rolls the weights back instead
    and ends the run as DIVERGED: all() then returns True and the caller must stop.
    """

    def __init__(self, trainer: Trainer, backup: _LastGoodWeights, every: int) -> None:
        self._trainer, self._backup, self._every = trainer, backup, every
        self._pending: list[tuple[torch.Tensor, int]] = []
        self._start = time.perf_counter()
        self._seen = 0
        self.paused_s = 0.0
        backup.save()

    def queue(self, loss: torch.Tensor, images: int) -> None:
        self._pending.append((loss, images))

    @property
    def idle(self) -> bool:
        """No step waits to be committed: the weights are those of the last BatchEnd."""
        return not self._pending

    @property
    def queued(self) -> int:
        """Steps taken but not yet committed."""
        return len(self._pending)

    @property
    def full(self) -> bool:
        return len(self._pending) >= self._every

    def all(self) -> Generator[Event, None, bool]:
        """Commit the queued steps, yielding their events; True when the run diverged (and has ended)."""
        if not self._pending:
            return False
        pending, self._pending = self._pending, []
        losses = [loss for loss, _ in pending]
        rows = [losses[0].tolist()] if len(losses) == 1 else torch.stack(losses).tolist()  # the one host sync
        # A variational model's steps report (total, reconstruction, KL); an autoencoder's the MSE alone.
        values = [row[0] if isinstance(row, list) else row for row in rows]
        trainer = self._trainer
        progress, config, per_epoch = trainer.progress, trainer.config, trainer.batches_per_epoch
        bad = next((i for i, value in enumerate(values) if not math.isfinite(value)), None)
        if bad is not None:
            self._backup.restore(latest_verified=bad > 0)
            message = divergence_message(values[bad], progress.step + bad + 1, config.lr)
            yield trainer._ended(EndReason.DIVERGED, message)
            return True
        self._backup.save()
        elapsed = time.perf_counter() - self._start - self.paused_s
        for value, row, (_, images) in zip(values, rows, pending, strict=True):
            progress.step += 1
            progress.batch_in_epoch += 1
            progress.batch_losses.append(value)
            if isinstance(row, list):
                missing = len(progress.batch_losses) - 1 - len(progress.batch_loss_parts)  # resumed from an old file
                progress.batch_loss_parts.extend([(math.nan, math.nan)] * missing)
                progress.batch_loss_parts.append((row[1], row[2]))
            self._seen += images
            yield BatchEnd(
                step=progress.step,
                epoch=progress.epoch,
                batch=progress.batch_in_epoch,
                batches_per_epoch=per_epoch,
                loss=value,
                images_seen=self._seen,
                elapsed_s=elapsed,
                reconstruction=row[1] if isinstance(row, list) else None,
                kl=row[2] if isinstance(row, list) else None,
            )
        return False


def loss_name(model_config: ModelConfig) -> str:
    """What the loss is called in messages: 'MSE' for the autoencoder, 'loss' (reconstruction + β·KL) for a VAE."""
    return "loss" if model_config.variational else "MSE"


def divergence_message(value: float, step: int, lr: float) -> str:
    return (
        f"Training stopped at step {step}: the loss became {value} (not a finite number). "
        f"The weights from the last good step are kept. Try a smaller learning rate than {lr:g}, e.g. {lr / 10:g}."
    )


__all__ = ["DEVICE_CHOICES", "TrainConfig", "Trainer", "TrainingControl", "TrainingProgress"]
