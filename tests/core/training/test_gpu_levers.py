"""The opt-in GPU levers (bf16, compile): refused with a reason where they do not apply, off on every resume, and
their kernel cache in the per-user cache folder. What they compute on a GPU is checked in test_engine_cuda.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from core_testkit import fast_config

from core.commands.main import main
from core.data.datasets import ImageDataset
from core.files.checkpoint import Checkpoint
from core.model.autoencoder import ModelConfig
from core.training.engine import Trainer
from core.training.gpu_levers import check_levers, compile_cache_dir, use_compile_cache

Subset = Callable[[int], ImageDataset]


@pytest.mark.parametrize(("bf16", "compiled", "named"), [(True, False, "--bf16 speeds"), (True, True, "--bf16 and")])
def test_levers_are_refused_on_the_cpu_with_the_reason(
    digits_subset: Subset, bf16: bool, compiled: bool, named: str
) -> None:
    with pytest.raises(ValueError, match=f"{named}.*CUDA GPUs only; this run is on cpu"):
        Trainer(digits_subset(64), fast_config(bf16=bf16, compile=compiled))


def test_levers_are_refused_for_the_vae_where_they_were_not_measured() -> None:
    with pytest.raises(ValueError, match="autoencoder only"):
        check_levers(torch.device("cuda"), variational=True, bf16=False, compiled=True)
    check_levers(torch.device("cuda"), variational=False, bf16=True, compiled=True)  # the autoencoder may
    check_levers(torch.device("cpu"), variational=True, bf16=False, compiled=False)  # nothing asked: nothing said


def test_levers_are_settings_of_a_run_and_checked_as_such() -> None:
    assert not fast_config().bf16 and not fast_config().compile  # the lecture's maths unless asked
    with pytest.raises(ValueError, match="bf16 must be true or false"):
        fast_config(bf16="yes")


def test_train_with_a_lever_on_the_cpu_says_why_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run.safetensors"
    code = main(["train", "--dataset", "digits-5k", "--device", "cpu", "--compile", "--epochs", "1", "--out", str(out)])
    assert code == 1
    assert "--compile speeds up CUDA GPUs only" in capsys.readouterr().err
    assert not out.exists()


def test_a_resume_leaves_the_levers_off_unless_asked_again(digits_subset: Subset) -> None:
    """A run trained with --bf16 on a GPU must still resume on a laptop's CPU."""
    dataset = digits_subset(64)
    trainer = Trainer(dataset, fast_config(epochs=2), ModelConfig())
    checkpoint = Checkpoint.from_trainer(trainer)
    on_gpu = dataclasses.replace(checkpoint, train_config=dataclasses.replace(trainer.config, bf16=True, compile=True))
    resumed = on_gpu.resume(dataset, device="cpu")
    assert (resumed.config.bf16, resumed.config.compile) == (False, False)
    with pytest.raises(ValueError, match="CUDA GPUs only"):
        on_gpu.resume(dataset, device="cpu", bf16=True)


def test_compiled_kernels_go_to_the_per_user_cache_unless_a_folder_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert compile_cache_dir() == tmp_path / "cache" / "convae-explorer" / "torch-compile"
    assert use_compile_cache().is_dir()
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "mine"))
    assert compile_cache_dir() == tmp_path / "mine"
