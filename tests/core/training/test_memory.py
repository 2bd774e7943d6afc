"""Training steps reuse their freed buffers: no page faults per step once the engine has tuned malloc."""

from __future__ import annotations

import resource
import sys

import pytest
import torch

from core.data.datasets import ImageDataset
from core.model.autoencoder import ModelConfig
from core.training.engine import build_model, build_optimizer
from core.training.memory import keep_freed_memory
from core.training.step_runners import EagerSteps

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc: Linux")


def test_a_step_after_the_first_faults_in_almost_no_pages(digits: ImageDataset) -> None:
    """Before the thresholds were raised a step at one thread took ~1,900–4,500 minor faults here."""
    assert keep_freed_memory()
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = build_model(ModelConfig(), 0).to(memory_format=torch.channels_last)
        runner = EagerSteps(model, build_optimizer(model, 5e-4), digits.train.images)
        batches = torch.randint(0, len(digits.train), (13, 32), generator=torch.Generator().manual_seed(0))
        for batch in batches[:3]:
            runner(batch)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for batch in batches[3:]:
            runner(batch)
        per_step = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    finally:
        torch.set_num_threads(saved)
    assert per_step < 100, f"{per_step:.0f} minor page faults a step"
