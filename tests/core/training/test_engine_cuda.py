"""The engine on a CUDA GPU: graphed steps compute what eager steps compute, runs resume across devices, and a
divergence found after steps ran ahead still rolls back to finite weights. Skipped where there is no CUDA GPU
(CI has none; these run on a lent GPU machine through tools/gpu_check.sh)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from core_testkit import fast_config

from core.data.datasets import ImageDataset, ImageSplit
from core.events import BatchEnd, EndReason, TrainingEnded
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.model.autoencoder import ModelConfig
from core.training.engine import Trainer, build_model, build_optimizer
from core.training.step_runners import EagerSteps, GraphedSteps

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

Subset = Callable[[int], ImageDataset]


def losses_of(events: list) -> list[float]:
    return [e.loss for e in events if isinstance(e, BatchEnd)]


def relative_gap(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


def test_graphed_steps_compute_what_eager_steps_compute(digits: ImageDataset, monkeypatch) -> None:
    """Same start, same batches (full ones, then a short one, then full ones again): the same bits.

    cuDNN's deterministic kernels for both runs: its default ones sum with atomics, which alone moved the weights
    4e-4 to 9e-4 apart after 14 steps (3 runs on an H100); with deterministic kernels the gap was exactly 0.
    """
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    images = digits.train.images[:2000].cuda()
    runs = []
    for runner_type in (EagerSteps, GraphedSteps):
        model = build_model(ModelConfig(), seed=5).cuda()
        optimizer = build_optimizer(model, 5e-4)
        if runner_type is EagerSteps:
            runner = EagerSteps(model, optimizer, images)
        else:
            runner = GraphedSteps(model, optimizer, images, 32)
        generator = torch.Generator().manual_seed(9)
        sizes = [32] * 8 + [7] + [32] * 5
        losses = [runner(torch.randint(0, len(images), (n,), generator=generator).cuda()) for n in sizes]
        runs.append((torch.stack(losses).cpu(), torch.cat([p.detach().flatten() for p in model.parameters()]), runner))
    (eager_losses, eager_weights, _), (graph_losses, graph_weights, graphed) = runs
    assert graphed.captured
    assert torch.isfinite(graph_losses).all()
    assert torch.equal(graph_losses, eager_losses)
    assert torch.equal(graph_weights, eager_weights)
    start = torch.cat([p.detach().flatten() for p in build_model(ModelConfig(), seed=5).parameters()]).cuda()
    assert relative_gap(graph_weights, start) > 1e-3, "the steps must have trained, or the match proves nothing"


def test_cuda_run_matches_the_cpu_run(digits_subset: Subset) -> None:
    """The same seeded run on both devices: equal losses up to float rounding (cuDNN may use TF32)."""
    dataset = digits_subset(400)  # 13 batches per epoch: captured after 3, and a short last batch
    runs = {}
    for device in ("cpu", "cuda"):
        trainer = Trainer(dataset, fast_config(epochs=2, device=device))
        runs[device] = (losses_of(list(trainer.run(snapshots=False))), trainer)
    cpu, gpu = torch.tensor(runs["cpu"][0]), torch.tensor(runs["cuda"][0])
    assert len(cpu) == len(gpu) == 26
    assert relative_gap(gpu, cpu) < 2e-2
    assert runs["cuda"][1].progress.step == 26


def test_checkpoint_moves_between_cuda_and_cpu_exactly_resumable(tmp_path: Path, digits_subset: Subset) -> None:
    """Stop on the GPU, save, resume on the CPU and back on the GPU: every step continues where it stopped."""
    dataset = digits_subset(200)
    gpu = Trainer(dataset, fast_config(epochs=3, device="cuda"))
    events = list(gpu.run(snapshots=False))
    assert isinstance(events[-1], TrainingEnded) and events[-1].reason is EndReason.FINISHED
    path = save_checkpoint(tmp_path / "gpu.safetensors", Checkpoint.from_trainer(gpu))

    on_cpu = load_checkpoint(path).resume(dataset, device="cpu", epochs=4)
    assert on_cpu.optimizer.param_groups[0]["capturable"] is False
    cpu_losses = losses_of(list(on_cpu.run(snapshots=False)))
    back = load_checkpoint(save_checkpoint(tmp_path / "cpu.safetensors", Checkpoint.from_trainer(on_cpu)))
    on_gpu = back.resume(dataset, device="cuda", epochs=6)
    assert on_gpu.optimizer.param_groups[0]["capturable"] is True
    gpu_losses = losses_of(list(on_gpu.run(snapshots=False)))
    assert len(cpu_losses) == 7 and len(gpu_losses) == 14
    assert on_gpu.progress.step == 6 * 7
    assert all(torch.isfinite(torch.tensor(cpu_losses + gpu_losses)))
    assert gpu_losses[-1] < losses_of(events)[0]


@pytest.mark.parametrize("commit_every", [64, 5])
def test_divergence_after_capture_rolls_back_to_finite_weights(tmp_path: Path, commit_every: int) -> None:
    """A blow-up found when queued, graphed steps are committed still ends as DIVERGED with finite weights.

    64 images, one white, batch 1: seed 123 shuffles the white one (index 19) to step 6, after the 3 eager warm-up
    steps and the capture. Committing every 64 steps finds it inside a run; every 5, first in a run.
    """
    images = torch.zeros(64, 1, 28, 28, dtype=torch.uint8)
    images[19] = 255
    dataset = ImageDataset("digits-5k", ImageSplit(images, torch.arange(64) % 4), None, tuple("0123"))
    state = build_model(ModelConfig(), 123).state_dict()
    state["encoder.0.weight"] = torch.full_like(state["encoder.0.weight"], 3e38)
    trainer = Trainer(dataset, fast_config(epochs=2, batch_size=1, lr=10.0, device="cuda"), model_state=state)
    trainer.commit_every = commit_every
    events = list(trainer.run(snapshots=False))
    ended = events[-1]
    assert isinstance(ended, TrainingEnded) and ended.reason is EndReason.DIVERGED
    assert "step 6:" in ended.message
    assert ended.step == trainer.progress.step == len(losses_of(events)) == (0 if commit_every == 64 else 5)
    assert all(torch.isfinite(t).all() for t in trainer.model.state_dict().values())
    for optimizer_state in trainer.optimizer.state.values():
        assert all(torch.isfinite(t).all() for t in optimizer_state.values())
    loaded = load_checkpoint(save_checkpoint(tmp_path / "d.safetensors", Checkpoint.from_trainer(trainer)))
    assert loaded.progress.step == ended.step


def test_a_vae_trains_through_the_captured_graph(digits_subset: Subset, tmp_path: Path) -> None:
    """The VAE's step (ε drawn on the GPU inside the graph) is captured and replayed: each replay draws fresh noise,
    reports total = reconstruction + β·KL, and the run's checkpoint opens on the CPU as a VAE."""
    model_config = ModelConfig(2, 1, 28, kind="variational", beta=2.0)
    trainer = Trainer(digits_subset(512), fast_config(device="cuda", batch_size=32, epochs=2), model_config)
    events = list(trainer.run(snapshots=False))
    batches = [e for e in events if isinstance(e, BatchEnd)]
    assert len(batches) == 32 and events[-1].reason is EndReason.FINISHED
    for event in batches:
        assert event.loss == pytest.approx(event.reconstruction + 2.0 * event.kl, rel=1e-4)
    assert len({round(e.loss, 6) for e in batches}) == len(batches)  # the replays are not one step repeated
    path = save_checkpoint(tmp_path / "vae.safetensors", Checkpoint.from_trainer(trainer))
    assert load_checkpoint(path).model_config == model_config


def test_bf16_lever_trains_like_the_lecture_maths_in_channels_last(digits_subset: Subset) -> None:
    """--bf16: autocast and channels_last weights; the losses stay within a few percent of float32's."""
    dataset = digits_subset(400)
    runs = {}
    for bf16 in (False, True):
        trainer = Trainer(dataset, fast_config(epochs=2, device="cuda", bf16=bf16))
        runs[bf16] = (torch.tensor(losses_of(list(trainer.run(snapshots=False)))), trainer)
    assert torch.isfinite(runs[True][0]).all()
    assert relative_gap(runs[True][0], runs[False][0]) < 5e-2
    weight = runs[True][1].model.encoder[0].weight
    assert weight.is_contiguous(memory_format=torch.channels_last)


def test_compile_lever_trains_like_the_lecture_maths_and_fills_its_cache(
    digits_subset: Subset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--compile: full batches compiled (warm-up and graph), the short last batch eager; kernels land in the cache."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "kernels"))
    dataset = digits_subset(400)  # 13 batches an epoch: 3 warm-up, then the graph, and a short 13th
    runs = {}
    for compiled in (False, True):
        trainer = Trainer(dataset, fast_config(epochs=2, device="cuda", compile=compiled))
        runs[compiled] = torch.tensor(losses_of(list(trainer.run(snapshots=False))))
    assert len(runs[True]) == 26 and torch.isfinite(runs[True]).all()
    assert relative_gap(runs[True], runs[False]) < 2e-2
    assert any(path.is_file() for path in (tmp_path / "kernels").rglob("*"))
