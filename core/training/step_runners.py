"""One optimizer step on a batch of indices: plain PyTorch calls, batch slices on CPU thread teams, or a CUDA graph.

Why graphs: at batch 32 a step of this network is ~115 small kernels, and launching them one by one from Python
took 3.4–3.6 ms a step on an H100, where the GPU's own work is 0.68 ms; replayed as one CUDA graph the step takes
0.69 ms (docs/performance.md). The maths is the same: the same kernels run on the same values. No runner waits for
the GPU: each returns the loss as a device tensor for the engine to read in bulk later.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from core.model.vae import draw_noise, training_loss
from core.training.gpu_levers import LossFunction, loss_function
from core.training.thread_count import on_threads
from core.training.thread_teams import ThreadTeam


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0–255 → float32 0–1 (what ToTensor did, for a whole batch at once)."""
    return images.to(torch.float32).div_(255.0)


class EagerSteps:
    """zero_grad, forward, loss, backward, Adam: the lecture's step on a batch gathered from device images.

    The loss is core.model.vae.training_loss: the MSE for the autoencoder (L16), reconstruction + β·KL for the VAE
    (L17).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        images: torch.Tensor,
        loss: LossFunction | None = None,
    ) -> None:
        self.model, self.optimizer, self.images = model, optimizer, images
        self.loss = loss or loss_function(model)  # core.training.gpu_levers: the lecture's loss, or one with levers
        #: Keep each batch's codes from its forward pass in last_codes (the CPU's live view: core.training.batch_codes).
        #: The levers (bf16, compile) are CUDA's, so the plain loss computes them.
        self.keep_codes = False
        self.last_codes: torch.Tensor | None = None

    def __call__(self, indices: torch.Tensor, *, set_to_none: bool = True) -> torch.Tensor:
        """Train on images[indices]; return the batch's loss (before the update) as a detached device scalar."""
        x = to_float(self.images[indices])
        if self.keep_codes:
            codes: list[torch.Tensor] = []
            loss, report = training_loss(self.model, x, codes=codes)
            self.last_codes = codes[0]
        else:
            loss, report = self.loss(x)
        self.optimizer.zero_grad(set_to_none=set_to_none)
        loss.backward()
        self.optimizer.step()
        return report


class OneThreadSteps(EagerSteps):
    """A light module's CPU step (core.model.own_module's OwnModel.light: a few hundred kFLOPs an image) on the
    calling thread, with torch on one thread.

    Such a step is mostly Python, autograd and optimizer bookkeeping around microsecond kernels. Slices double that
    bookkeeping under one interpreter lock, a team adds a hand-over per step, and more threads only add a fork and a
    join to each tiny kernel (which stall whenever another process takes a core). On the quiet 2-core host, the
    guide's TinyAE, interleaved epochs: halves 10,600 img/s, the whole batch on a 2-thread team 6,000, this 17,200, a
    plain 2-thread PyTorch loop 16,100.
    """

    def __call__(self, indices: torch.Tensor, *, set_to_none: bool = True) -> torch.Tensor:
        with on_threads(1):
            return super().__call__(indices, set_to_none=set_to_none)


class SplitSteps:
    """CPU: each batch is cut into `parts` slices (1: the whole batch) that go forward and backward at once, each on
    a thread team of its own (core.training.thread_teams) whose threads flush denormals (core.training.denormals: why).

    At batch 32 one OpenMP team spends much of each small convolution waiting at barriers, and stalls outright
    whenever another thread (the window's) takes a core. Slices on teams of fewer threads each keep the cores busy
    instead (choose_step_runner says when, and how many). The maths is the batch's: each slice's squared errors
    are divided by the whole batch's element count, so the slices' losses and gradients add up to the full batch's
    MSE and gradient; they are added in a fixed order, so runs stay reproducible. `threads` is the total: the first
    team, which also adds the gradients and takes Adam's step, gets what is left after the others'
    floor(threads/parts) each (at least one each). The caller only waits. Call close() to end the teams' threads.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        images: torch.Tensor,
        threads: int = 2,
        parts: int = 2,
    ) -> None:
        if parts < 1:
            raise ValueError(f"a batch is cut into at least 1 part, got {parts}")
        self.model, self.optimizer, self.images = model, optimizer, images
        self.parts = parts
        self._params = [p for p in model.parameters() if p.requires_grad]
        self._eager = EagerSteps(model, optimizer, images)
        self.keep_codes = False  # as EagerSteps': each batch's codes, slices in order, in last_codes
        self.last_codes: torch.Tensor | None = None
        self.helper_threads = max(1, threads // parts)
        self.own_threads = max(1, threads - (parts - 1) * self.helper_threads)
        self.teams = [ThreadTeam(self.own_threads, "convae-batch-part")] + [
            ThreadTeam(self.helper_threads, "convae-batch-part") for _ in range(parts - 1)
        ]

    def _slice(
        self, indices: torch.Tensor, images: int, noise: torch.Tensor | None, codes: list[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        x = to_float(self.images[indices])
        loss, report = training_loss(self.model, x, images, noise, codes)
        return report, torch.autograd.grad(loss, self._params)

    def __call__(self, indices: torch.Tensor) -> torch.Tensor:
        return self.teams[0].run(self._step, indices)

    def _step(self, indices: torch.Tensor) -> torch.Tensor:
        """On the first team: its slice, the others' on their teams meanwhile, then the sum and Adam's step.

        The sum and the step stay on this team rather than on one of all the threads: a team of all threads woken
        for those few milliseconds kept its other threads spinning (~0.2 CPUs on 2 cores, measured per thread)
        into the next step's slices, where they took a core from another team.
        """
        if self.parts == 1 or len(indices) < self.parts:
            self._eager.keep_codes = self.keep_codes
            report = self._eager(indices)
            self.last_codes = self._eager.last_codes
            return report
        bounds = [round(i * len(indices) / self.parts) for i in range(self.parts + 1)]
        noise = draw_noise(self.model, len(indices), self.images.device)  # drawn here, in order: reproducible
        codes: list[list[torch.Tensor]] | list[None] = (
            [[] for _ in range(self.parts)] if self.keep_codes else [None] * self.parts
        )
        others = [
            team.submit(self._slice, indices[a:b], len(indices), _part(noise, a, b), part_codes)
            for team, (a, b), part_codes in zip(self.teams[1:], itertools.pairwise(bounds[1:]), codes[1:], strict=True)
        ]
        results = [self._slice(indices[: bounds[1]], len(indices), _part(noise, 0, bounds[1]), codes[0])]
        results += [other.result() for other in others]
        if self.keep_codes:
            self.last_codes = torch.cat([part[0] for part in codes])
        for position, parameter in enumerate(self._params):
            if parameter.grad is None:  # the parameter's own layout: fused Adam walks grad and weight in step
                parameter.grad = torch.empty_like(parameter)
            torch.add(results[0][1][position], results[1][1][position], out=parameter.grad)
            for _, grads in results[2:]:
                parameter.grad.add_(grads[position])
        self.optimizer.step()
        loss = results[0][0] + results[1][0]
        for report, _ in results[2:]:
            loss = loss + report
        return loss

    def close(self) -> None:
        for team in self.teams:
            team.close()


class GraphedSteps:
    """Full batches through one captured CUDA graph; other batch sizes (an epoch's last) run eagerly.

    The first `warmup` full batches run eagerly on a side stream, as torch.cuda.graphs asks, so that cuDNN and
    cuBLAS set up their workspaces before capture; they are real training steps, not extra ones. Capturing
    records the step without running it, so no step is taken twice or skipped. The optimizer must be built with
    capturable=True (its step counts live on the GPU). `full_loss` is what full batches (warm-up and graph) compute,
    `short_loss` what other batches compute: a compiled loss (core.training.gpu_levers) is compiled for the full batch's
    shape during warm-up, never during capture, and a short batch does not make it compile again.
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        images: torch.Tensor,
        batch_size: int,
        warmup: int = 3,
        full_loss: LossFunction | None = None,
        short_loss: LossFunction | None = None,
    ) -> None:
        if images.device.type != "cuda":
            raise ValueError("CUDA graphs need the images on a CUDA device")
        if not all(group.get("capturable") for group in optimizer.param_groups):
            raise ValueError("the optimizer must be built with capturable=True to be captured in a CUDA graph")
        self._full = EagerSteps(model, optimizer, images, full_loss)
        self._eager = EagerSteps(model, optimizer, images, short_loss)
        self._batch_size, self._warmup = batch_size, warmup
        self._indices = torch.zeros(batch_size, dtype=torch.long, device=images.device)
        self._side_stream = torch.cuda.Stream(images.device)
        self._graph: torch.cuda.CUDAGraph | None = None
        self._loss: torch.Tensor | None = None
        self._warmed = 0

    @property
    def captured(self) -> bool:
        return self._graph is not None

    def __call__(self, indices: torch.Tensor) -> torch.Tensor:
        if len(indices) != self._batch_size:
            # The graph's gradients are its own buffers: zero them in place rather than dropping them.
            return self._eager(indices, set_to_none=self._graph is None)
        if self._graph is None and self._warmed < self._warmup:
            self._warmed += 1
            return self._on_side_stream(indices)
        if self._graph is None:
            self._capture()
        assert self._graph is not None and self._loss is not None
        self._indices.copy_(indices, non_blocking=True)
        self._graph.replay()
        return self._loss.clone()  # the graph overwrites its loss on the next replay

    def _on_side_stream(self, indices: torch.Tensor) -> torch.Tensor:
        current = torch.cuda.current_stream(self._indices.device)
        self._side_stream.wait_stream(current)
        with torch.cuda.stream(self._side_stream):
            loss = self._full(indices)
        current.wait_stream(self._side_stream)
        return loss

    def _capture(self) -> None:
        full = self._full
        full.optimizer.zero_grad(set_to_none=True)  # backward inside the graph then owns the gradient buffers
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):  # the window's threads may use CUDA
            x = to_float(full.images[self._indices])
            loss, report = full.loss(x)
            loss.backward()
            full.optimizer.step()
        self._graph, self._loss = graph, report


def _part(noise: torch.Tensor | None, start: int, stop: int | None) -> torch.Tensor | None:
    return None if noise is None else noise[start:stop]


#: What choose_step_runner can pick, and into how many slices each cuts a batch.
WHOLE, HALVES, QUARTERS, EIGHTHS, GRAPHS = "whole batch", "halves", "quarters", "eighths", "CUDA graph"
PARTS = {WHOLE: 1, HALVES: 2, QUARTERS: 4, EIGHTHS: 8, GRAPHS: 1}


#: From this many CPU threads on, a batch goes out in quarters rather than halves (see choose_step_runner).
QUARTERS_FROM_THREADS = 16


def choose_step_runner(device: torch.device, threads: int, batch_size: int = 32, fixed_lr: bool = True) -> str:
    """The step runner for a device and a torch thread count: the one rule make_steps and the bench follow.

    - CUDA: GRAPHS (one captured graph per full batch; see the module's docstring); WHOLE when the learning rate
      changes from step to step (a graph replays the rate it was captured with).
    - A CPU with one thread, or a batch too small to cut: WHOLE (one team for the whole batch).
    - A CPU with 2 to 15 threads: HALVES, the batch in two slices, each on a team of half the threads.
    - A CPU with 16 threads or more: QUARTERS, four slices on four teams of a quarter of the threads each.
    - MPS and anything else: WHOLE (nothing measured there).

    Measured with core.bench.threads (`convae-explorer bench`, its thread table): the runners driven alone,
    interleaved medians in images/s at batch 32, CPU only, quiet (docs/performance.md). First, on two 16-core Xeon
    (AVX-512) hosts of lent H100 machines, before two engine fixes (core.training.memory's malloc thresholds; no
    thread team
    woken between steps) and before the teams flushed denormals (core.training.denormals):

        threads  whole batch     halves          quarters        eighths
        1          474 /   250   —               —               —
        2          747 /   444     947 /   475   —               —
        4        1,310 /   643   1,213 /   765   1,371 /   724   —
        8        1,727 /   977   2,202 / 1,145   2,115 / 1,170   1,738 / 1,024
        16       1,643 / 1,218   1,957 / 1,426   2,187 / 1,444   1,850 / 1,243

    Then, after all three, two runs on a third such host (every runner on teams that flush denormals):

        threads  whole batch     halves          quarters        eighths
        1          660 /   544   —               —               —
        2          871 / 1,177   1,051 / 1,187   —               —
        4        1,413 / 1,713   1,398 / 1,630   1,367 / 1,644   —
        8        1,739 / 1,917   1,865 / 2,078   1,796 / 2,059   1,675 / 2,075
        16       1,891 / 2,174   2,060 / 2,341   2,083 / 2,322   1,742 / 1,860

    At batch 32 each convolution is small, and a team of N threads waits at every barrier for its slowest thread;
    slices on smaller teams keep the cores busy. Halves are the best or within 5 % of it from 2 to 8 threads in all
    four runs (at 4 threads the whole batch led the last two by 1 % and 5 %); at 8 they beat the whole batch by
    7–27 %. At 16, quarters beat halves in the first two runs (+12 %, +1 %) and tied them in the last two (+1 %,
    -1 %), and both beat the whole batch; eighths (2 images a slice) lose. Between 8 and 16 threads nothing was
    measured; halves stay (they won at 8).

    On the 2-core CI host, ten quiet `bench --quick` runs: halves 1,060 / 1,589 / 1,476 / 1,001 / 1,157 and
    677 / 1,076 / 1,057 / 1,020 / 1,147 img/s against 1,040 / 1,564 / 1,404 / 978 / 1,076 and 881 / 1,013 / 1,082 /
    1,013 / 1,074 for one two-thread team: halves ahead in 8 of 10, and quiet the two are within noise; with one busy
    loop taking a core (the bench's 2-thread row), halves 441 against 354: a one-thread team never
    waits for a descheduled partner, which is what a desktop app whose window shares the cores needs.
    """
    if device.type == "cuda":
        return GRAPHS if fixed_lr else WHOLE
    if device.type != "cpu" or threads < 2 or batch_size < 2:
        return WHOLE
    if threads >= QUARTERS_FROM_THREADS and batch_size >= 4 * 4:  # four slices of at least 4 images
        return QUARTERS
    return HALVES


def splits_batches(device: torch.device, threads: int, batch_size: int) -> bool:
    """Whether make_steps cuts batches into slices on several thread teams (choose_step_runner picks them)."""
    return PARTS[choose_step_runner(device, threads, batch_size)] > 1


def make_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    batch_size: int,
    threads: int,
    fixed_lr: bool = True,
    *,
    bf16: bool = False,
    compiled: bool = False,
) -> EagerSteps | SplitSteps | GraphedSteps:
    """The runner choose_step_runner picks: graphed steps on CUDA, the batch or its slices on CPU teams, else eager.

    bf16 and compiled are core.training.gpu_levers's opt-in CUDA levers (the caller checks they apply).
    """
    runner = choose_step_runner(images.device, threads, batch_size, fixed_lr)
    own = hasattr(model, "own_training_loss")  # a user's own module (core.model.own_module)
    if own and runner == GRAPHS:
        runner = WHOLE  # their code may sync with the host or branch on values: a CUDA graph cannot replay that
    if own and not model.batch_safe:
        runner = WHOLE  # BatchNorm or their own loss: slices would not add up to the batch's maths
    full = loss_function(model, bf16=bf16, compiled=compiled)
    if own and images.device.type == "cpu" and model.light:
        return OneThreadSteps(model, optimizer, images, full)
    if runner == GRAPHS:
        short = loss_function(model, bf16=bf16)  # never compiled: a short batch must not compile again
        return GraphedSteps(model, optimizer, images, batch_size, full_loss=full, short_loss=short)
    if images.device.type == "cpu":  # the whole batch too: on a team of its own, flushing denormals
        return SplitSteps(model, optimizer, images, threads, PARTS[runner])
    return EagerSteps(model, optimizer, images, full)


def close_steps(steps: EagerSteps | SplitSteps | GraphedSteps) -> None:
    """End whatever a step runner holds (SplitSteps' team threads)."""
    if isinstance(steps, SplitSteps):
        steps.close()
