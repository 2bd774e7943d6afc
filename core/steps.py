"""One optimizer step on a batch of indices: plain PyTorch calls, two half batches on two CPU threads, or a CUDA graph.

Why graphs: at batch 32 a step of this network is ~115 small kernels, and launching them one by one from Python
took 3.4–3.6 ms a step on an H100, where the GPU's own work is 0.68 ms; replayed as one CUDA graph the step takes
0.69 ms (docs/gpu/NOTES.md). The maths is the same: the same kernels run on the same values. No runner waits for
the GPU: each returns the loss as a device tensor for the engine to read in bulk later.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import torch
from torch import nn

from core.vae import draw_noise, training_loss


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0–255 → float32 0–1 (what ToTensor did, for a whole batch at once)."""
    return images.to(torch.float32).div_(255.0)


class EagerSteps:
    """zero_grad, forward, loss, backward, Adam: the lecture's step on a batch gathered from device images.

    The loss is core.vae.training_loss: the MSE for the autoencoder (L16), reconstruction + β·KL for the VAE (L17).
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor) -> None:
        self.model, self.optimizer, self.images = model, optimizer, images

    def __call__(self, indices: torch.Tensor, *, set_to_none: bool = True) -> torch.Tensor:
        """Train on images[indices]; return the batch's loss (before the update) as a detached device scalar."""
        x = to_float(self.images[indices])
        loss, report = training_loss(self.model, x)
        self.optimizer.zero_grad(set_to_none=set_to_none)
        loss.backward()
        self.optimizer.step()
        return report


class SplitSteps:
    """CPU: each batch's two halves go forward and backward at once on two threads, each with its own thread team.

    At batch 32 a two-thread OpenMP team spends much of each small convolution waiting at barriers, and stalls
    outright whenever another thread (the window's) takes a core. Two halves on teams of half the threads each
    keep the cores busy instead (choose_step_runner says when). The maths is the batch's: each half's squared
    errors are divided by the whole batch's element count, so the two losses and the two gradients add up to the
    full batch's MSE and gradient; they are added in a fixed order, so runs stay reproducible. `threads` is the
    total: the calling thread's half gets ceil(threads/2), the helper's floor(threads/2) (at least one each).
    Call close() to end the helper thread.
    """

    def __init__(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, threads: int = 2
    ) -> None:
        self.model, self.optimizer, self.images = model, optimizer, images
        self._params = [p for p in model.parameters() if p.requires_grad]
        self._eager = EagerSteps(model, optimizer, images)
        self.helper_threads = max(1, threads // 2)
        self.own_threads = max(1, threads - self.helper_threads)
        self._helper = ThreadPoolExecutor(
            1, "convae-half-batch", initializer=torch.set_num_threads, initargs=(self.helper_threads,)
        )

    def _half(
        self, indices: torch.Tensor, images: int, noise: torch.Tensor | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        x = to_float(self.images[indices])
        loss, report = training_loss(self.model, x, images, noise)
        return report, torch.autograd.grad(loss, self._params)

    def __call__(self, indices: torch.Tensor) -> torch.Tensor:
        if len(indices) < 2:
            return self._eager(indices)
        middle = (len(indices) + 1) // 2
        noise = draw_noise(self.model, len(indices), self.images.device)  # drawn here, in order: reproducible
        threads = torch.get_num_threads()
        torch.set_num_threads(self.own_threads)  # this thread's half; snapshots between steps get all threads
        try:
            second = self._helper.submit(self._half, indices[middle:], len(indices), _part(noise, middle, None))
            loss_a, grads_a = self._half(indices[:middle], len(indices), _part(noise, 0, middle))
            loss_b, grads_b = second.result()
        finally:
            torch.set_num_threads(threads)
        for parameter, a, b in zip(self._params, grads_a, grads_b, strict=True):
            if parameter.grad is None:  # the parameter's own layout: fused Adam walks grad and weight in step
                parameter.grad = torch.empty_like(parameter)
            torch.add(a, b, out=parameter.grad)
        self.optimizer.step()
        return loss_a + loss_b

    def close(self) -> None:
        self._helper.shutdown(wait=True)


class GraphedSteps:
    """Full batches through one captured CUDA graph; other batch sizes (an epoch's last) run eagerly.

    The first `warmup` full batches run eagerly on a side stream, as torch.cuda.graphs asks, so that cuDNN and
    cuBLAS set up their workspaces before capture; they are real training steps, not extra ones. Capturing
    records the step without running it, so no step is taken twice or skipped. The optimizer must be built with
    capturable=True (its step counts live on the GPU).
    """

    def __init__(
        self, model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor, batch_size: int, warmup: int = 3
    ) -> None:
        if images.device.type != "cuda":
            raise ValueError("CUDA graphs need the images on a CUDA device")
        if not all(group.get("capturable") for group in optimizer.param_groups):
            raise ValueError("the optimizer must be built with capturable=True to be captured in a CUDA graph")
        self._eager = EagerSteps(model, optimizer, images)
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
            loss = self._eager(indices)
        current.wait_stream(self._side_stream)
        return loss

    def _capture(self) -> None:
        eager = self._eager
        eager.optimizer.zero_grad(set_to_none=True)  # backward inside the graph then owns the gradient buffers
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):  # the window's threads may use CUDA
            x = to_float(eager.images[self._indices])
            loss, report = training_loss(eager.model, x)
            loss.backward()
            eager.optimizer.step()
        self._graph, self._loss = graph, report


def _part(noise: torch.Tensor | None, start: int, stop: int | None) -> torch.Tensor | None:
    return None if noise is None else noise[start:stop]


#: What choose_step_runner can pick.
WHOLE, HALVES, GRAPHS = "whole batch", "halves", "CUDA graph"


def choose_step_runner(device: torch.device, threads: int, batch_size: int = 32, fixed_lr: bool = True) -> str:
    """The step runner for a device and a torch thread count: the one rule make_steps and the bench follow.

    - CUDA: GRAPHS (one captured graph per full batch; see the module's docstring); WHOLE when the learning rate
      changes from step to step (a graph replays the rate it was captured with).
    - A CPU with one thread, or a batch of one image: WHOLE (one team for the whole batch; nothing to split).
    - A CPU with two or more threads: HALVES, the batch split in two, each half on a team of half the threads.
    - MPS and anything else: WHOLE (nothing measured there).

    Measured (core.bench.threads, printed by `convae-explorer bench`; interleaved medians, batch 32, on the
    2-core Xeon @ 2.00 GHz (AVX-512) CI host while other work shared it, so read the ratios, not the rates):
      1 thread:  whole batch 315 img/s (the only choice); the reference loop 311 img/s.
      2 threads: halves on 1+1 threads 524 img/s against 506 for the whole batch on one two-thread team
                 (engine 552, reference 473) with other processes taking 0.9 CPUs; with them taking 1.7 CPUs
                 (two `bench --quick` runs) halves 58 and 45 img/s against 22 and 14 for the whole batch: a
                 two-thread team waits at every barrier for whichever thread was descheduled, a one-thread
                 half does not. The README's earlier alternating runs: engine ÷ reference 1.14–1.27× without
                 the halves, 1.27–1.35× with them.
    More than two threads could not be measured here (no 4–16-core machine was at hand, and no GPU host). The
    safe default for N threads is halves on two teams of N/2: it keeps every thread the user gave busy (the old
    rule, 1+1 threads, left N-2 cores idle whatever N was), and each team works on 16 images rather than 32 on
    half the threads, so each thread gets the same share of work as the whole batch on all N would give it, with
    half the threads at each barrier. `convae-explorer bench` prints the per-thread-count table (engine vs
    reference, whole batch vs halves) so a machine with more cores shows whether this holds there.
    """
    if device.type == "cuda":
        return GRAPHS if fixed_lr else WHOLE
    if device.type == "cpu" and threads >= 2 and batch_size >= 2:
        return HALVES
    return WHOLE


def splits_batches(device: torch.device, threads: int, batch_size: int) -> bool:
    """Whether make_steps trains in half batches on two threads (choose_step_runner picks HALVES)."""
    return choose_step_runner(device, threads, batch_size) == HALVES


def make_steps(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    batch_size: int,
    threads: int,
    fixed_lr: bool = True,
) -> EagerSteps | SplitSteps | GraphedSteps:
    """The runner choose_step_runner picks: graphed steps on CUDA, halves on 2+ CPU threads, else eager."""
    runner = choose_step_runner(images.device, threads, batch_size, fixed_lr)
    if runner == GRAPHS:
        return GraphedSteps(model, optimizer, images, batch_size)
    if runner == HALVES:
        return SplitSteps(model, optimizer, images, threads)
    return EagerSteps(model, optimizer, images)


def close_steps(steps: EagerSteps | SplitSteps | GraphedSteps) -> None:
    """End whatever a step runner holds (SplitSteps' helper thread)."""
    if isinstance(steps, SplitSteps):
        steps.close()
