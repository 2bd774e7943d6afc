"""Checkpoints: exact round trips, atomic saves, and refusal of every bad file as CheckpointError — never a crash."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import random
import re
import select
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from core_testkit import REPO_ROOT, fast_config, state_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import save_file

from core.data.datasets import ImageDataset
from core.events import BatchEnd
from core.files.checkpoint import (
    _MAX_FILE_BYTES,
    _MAX_STEPS,
    _MAX_TENSORS,
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from core.files.checkpoint_header import HEADER_LIMIT
from core.model.autoencoder import ModelConfig
from core.timelapse.stored import FILE_BUDGET_BYTES
from core.timelapse.stored import tensor_names as history_tensor_names
from core.training.engine import Trainer, TrainingControl, TrainingProgress, build_model, build_optimizer

META_KEY = "convae_explorer"
TORCHVISION_CLASSES = {
    "mnist": torchvision.datasets.MNIST,
    "fashion-mnist": torchvision.datasets.FashionMNIST,
    "kmnist": torchvision.datasets.KMNIST,
}


def trained_checkpoint(dataset: ImageDataset, stop_after: int) -> Checkpoint:
    """A checkpoint stopped mid-epoch 1 of 2: optimizer state, losses and a shuffle state are all present."""
    trainer = Trainer(dataset, fast_config(epochs=2))
    control = TrainingControl()
    for event in trainer.run(control, snapshots=False):
        if isinstance(event, BatchEnd) and event.step == stop_after:
            control.stop()
    return Checkpoint.from_trainer(trainer)


@pytest.fixture(scope="module")
def checkpoint(digits_subset: Callable[[int], ImageDataset]) -> Checkpoint:
    return trained_checkpoint(digits_subset(96), stop_after=4)


@pytest.fixture(scope="module")
def valid_file(tmp_path_factory: pytest.TempPathFactory, checkpoint: Checkpoint) -> Path:
    return save_checkpoint(tmp_path_factory.mktemp("valid") / "valid.safetensors", checkpoint)


def read_parts(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A checkpoint's raw tensors and metadata, read with safetensors itself (not with our loader)."""
    with safe_open(str(path), framework="pt") as reader:
        return {key: reader.get_tensor(key) for key in reader.keys()}, dict(reader.metadata())  # noqa: SIM118


def assert_checkpoints_equal(a: Checkpoint, b: Checkpoint) -> None:
    assert a.model_config == b.model_config
    assert a.train_config == b.train_config
    assert a.dataset == b.dataset
    assert a.classes == b.classes
    assert state_equal(a.model_state, b.model_state)
    pa, pb = a.progress, b.progress
    assert (pa.epoch, pa.batch_in_epoch, pa.step) == (pb.epoch, pb.batch_in_epoch, pb.step)
    assert pa.batch_losses == pb.batch_losses
    assert pa.epoch_losses == pb.epoch_losses
    if pb.batch_loss_parts or not b.model_config.variational:
        np.testing.assert_allclose(pa.batch_loss_parts, pb.batch_loss_parts, rtol=1e-6)  # kept as float32
    else:  # a VAE's progress made without its loss terms: they come back unknown, one NaN pair a step
        assert len(pa.batch_loss_parts) == pa.step and np.isnan(pa.batch_loss_parts).all()
    assert (pa.epoch_rng_state is None) == (pb.epoch_rng_state is None)
    if pa.epoch_rng_state is not None:
        assert torch.equal(pa.epoch_rng_state, pb.epoch_rng_state)
    assert (a.optimizer_state is None) == (b.optimizer_state is None)
    if a.optimizer_state is not None:
        sa, sb = a.optimizer_state["state"], b.optimizer_state["state"]
        assert sa.keys() == sb.keys()
        for index in sa:
            assert state_equal(sa[index], sb[index])
        assert a.optimizer_state["param_groups"] == b.optimizer_state["param_groups"]


# --- round trip and atomic save --------------------------------------------------------------------------------


def test_round_trip_is_exact(tmp_path: Path, checkpoint: Checkpoint) -> None:
    """Every field survives save → load; tensors bit for bit, losses as the same Python floats."""
    assert checkpoint.progress.batch_in_epoch == 1 and checkpoint.optimizer_state is not None
    loaded = load_checkpoint(save_checkpoint(tmp_path / "ckpt.safetensors", checkpoint))
    assert_checkpoints_equal(loaded, checkpoint)
    model = loaded.build_model()
    assert state_equal(model.state_dict(), checkpoint.model_state)
    assert not model.training


def test_round_trip_weights_only_and_fresh(tmp_path: Path) -> None:
    """A checkpoint with no optimizer state and no progress yet (step 0) also round-trips."""
    fresh = Checkpoint(
        model_config=ModelConfig(latent_dim=5),
        train_config=fast_config(),
        dataset="kmnist",
        classes=tuple("abcdefghij"),
        model_state=build_model(ModelConfig(latent_dim=5), 3).state_dict(),
        optimizer_state=None,
        progress=TrainingProgress(),
    )
    loaded = load_checkpoint(save_checkpoint(tmp_path / "fresh.safetensors", fresh))
    assert_checkpoints_equal(loaded, fresh)


def test_any_header_length_loads(tmp_path: Path) -> None:
    """A valid checkpoint must load whatever its header length is, including one whose first byte is 0x80.

    safetensors files start with the header length (u64, little-endian); a length ending in 0x80 must not be
    taken for a pickle's opcode. The length varies with the model (kind, latent size: the tensors' names and
    shapes), the data set's class names and the run's length, so search realistic runs until one hits it.
    """
    path = tmp_path / "ckpt.safetensors"
    class_names = {name: tuple(cls.classes) for name, cls in TORCHVISION_CLASSES.items()}
    class_names["digits-5k"] = tuple("0123456789")
    tried = 0
    for kind, latent_dim in itertools.product(("autoencoder", "variational"), (2, 10, 24, 40, 64)):
        model_config = ModelConfig(latent_dim, kind=kind)
        model = build_model(model_config, 0).state_dict()
        for dataset, classes in class_names.items():
            # seed and learning rate: settings of any length, so the header's length moves in finer steps
            values = itertools.product((0, 1, 10, 100), (0, 9, 99, 999), (0, 10**9), (5e-4, 0.0012345678901234))
            for epochs, steps, seed, lr in values:
                progress = TrainingProgress(
                    epoch=epochs,
                    step=steps,
                    batch_losses=[0.25] * steps,
                    epoch_losses=[0.25] * epochs,
                    epoch_rng_state=torch.Generator().manual_seed(steps).get_state(),
                )
                config = fast_config(seed=seed, lr=lr)
                saved = Checkpoint(model_config, config, dataset, classes, model, None, progress)
                save_checkpoint(path, saved)
                tried += 1
                if path.read_bytes()[0] == 0x80:
                    assert_checkpoints_equal(load_checkpoint(path), saved)
                    return
    pytest.fail(f"none of {tried} checkpoints had a header length ending in 0x80: widen the search")


def test_new_file_is_mode_0644_whatever_the_umask(tmp_path: Path, checkpoint: Checkpoint) -> None:
    previous = os.umask(0o077)
    try:
        path = save_checkpoint(tmp_path / "new.safetensors", checkpoint)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_overwrite_keeps_the_existing_mode(tmp_path: Path, checkpoint: Checkpoint) -> None:
    path = save_checkpoint(tmp_path / "private.safetensors", checkpoint)
    path.chmod(0o600)
    save_checkpoint(path, checkpoint)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_leaves_no_temporary_files(tmp_path: Path, checkpoint: Checkpoint) -> None:
    folder = tmp_path / "nested" / "folder"
    for _ in range(3):
        save_checkpoint(folder / "ckpt.safetensors", checkpoint)
    assert sorted(p.name for p in folder.iterdir()) == ["ckpt.safetensors"]


def test_save_into_an_impossible_folder_is_a_checkpoint_error(tmp_path: Path, checkpoint: Checkpoint) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CheckpointError, match="cannot write"):
        save_checkpoint(blocker / "ckpt.safetensors", checkpoint)


# --- refusals --------------------------------------------------------------------------------------------------


def variant(valid: Path, path: Path, edit: Callable[[dict[str, torch.Tensor], dict], None]) -> None:
    """Write a real safetensors file: the valid checkpoint's tensors and metadata, changed by `edit`."""
    tensors, metadata = read_parts(valid)
    meta = json.loads(metadata[META_KEY])
    edit(tensors, meta)
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta)})


def rename_tensor(tensors: dict, meta: dict) -> None:
    tensors["model.encoder.0.kernel"] = tensors.pop("model.encoder.0.weight")


def reshape_tensor(tensors: dict, meta: dict) -> None:
    tensors["model.encoder.0.weight"] = torch.zeros(32, 1, 5, 5)


def retype_tensor(tensors: dict, meta: dict) -> None:
    tensors["model.decoder.0.bias"] = tensors["model.decoder.0.bias"].double()


def nan_weights(tensors: dict, meta: dict) -> None:
    tensors["model.decoder.2.weight"][0, 0, 1, 1] = float("nan")


def inf_optimizer(tensors: dict, meta: dict) -> None:
    tensors["optimizer.3.exp_avg"][0] = float("inf")


def negative_second_moment(tensors: dict, meta: dict) -> None:
    tensors["optimizer.0.exp_avg_sq"][0, 0, 0, 0] = -1.0


def extra_tensor(tensors: dict, meta: dict) -> None:
    tensors["model.secret"] = torch.zeros(3)


def missing_optimizer_tensor(tensors: dict, meta: dict) -> None:
    del tensors["optimizer.5.exp_avg_sq"]


def newer_format(tensors: dict, meta: dict) -> None:
    meta["format_version"] = 2


def other_format(tensors: dict, meta: dict) -> None:
    meta["format"] = "someone-else"


def losses_disagree_with_steps(tensors: dict, meta: dict) -> None:
    meta["progress"]["step"] = 5


def negative_counter(tensors: dict, meta: dict) -> None:
    meta["progress"]["epoch"] = -1
    tensors["progress.epoch_losses"] = torch.zeros(0, dtype=torch.float64)


def bad_rng_state(tensors: dict, meta: dict) -> None:
    tensors["progress.epoch_rng_state"] = torch.zeros(7, dtype=torch.uint8)


def invalid_latent_dim(tensors: dict, meta: dict) -> None:
    meta["model_config"]["latent_dim"] = 65


def invalid_lr(tensors: dict, meta: dict) -> None:
    meta["train_config"]["lr"] = -1


def classes_not_strings(tensors: dict, meta: dict) -> None:
    meta["classes"] = [0, 1, 2]


def device_not_a_string(tensors: dict, meta: dict) -> None:
    meta["train_config"]["device"] = 5


def infinite_latent_dim(tensors: dict, meta: dict) -> None:
    meta["model_config"]["latent_dim"] = float("inf")  # json.dumps writes Infinity, which json.loads accepts


def huge_image_size(tensors: dict, meta: dict) -> None:
    meta["model_config"]["image_size"] = 10**6  # two linear layers of 8e12 weights, were they built


def absurd_image_size(tensors: dict, meta: dict) -> None:
    meta["model_config"]["image_size"] = 2**62


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (rename_tensor, "the tensor 'model.encoder.0.weight' is missing"),
        (reshape_tensor, "has shape (32, 1, 5, 5), expected (32, 1, 3, 3)"),
        (retype_tensor, "has dtype torch.float64, expected torch.float32"),
        (nan_weights, "'model.decoder.2.weight' holds NaN or infinite values"),
        (inf_optimizer, "'optimizer.3.exp_avg' holds NaN or infinite values"),
        (negative_second_moment, "second moments 0 are negative"),
        (extra_tensor, "unexpected tensors model.secret"),
        (missing_optimizer_tensor, "'optimizer.5.exp_avg_sq' is missing"),
        (newer_format, "newer convae-explorer"),
        (other_format, "does not describe a convae-explorer checkpoint"),
        (losses_disagree_with_steps, "'progress.batch_losses' has shape"),
        (negative_counter, "negative"),
        (bad_rng_state, "not a valid generator state"),
        (invalid_latent_dim, "latent size must be between 1 and 64"),
        (invalid_lr, "learning rate"),
        (classes_not_strings, "not a list of strings"),
        (device_not_a_string, "invalid setting"),
        (infinite_latent_dim, "invalid setting"),
        (huge_image_size, "'model.encoder.8.weight' has shape (2, 3136), expected (2, 4000000000000)"),
        (absurd_image_size, "impossible"),
    ],
)
def test_bad_contents_are_refused(tmp_path: Path, valid_file: Path, edit: Callable, message: str) -> None:
    path = tmp_path / "bad.safetensors"
    variant(valid_file, path, edit)
    start = time.perf_counter()
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert time.perf_counter() - start < 2.0, "refusing must not mean building a giant model first"
    assert message in str(caught.value)
    assert str(caught.value).startswith("bad.safetensors: ")


@pytest.mark.parametrize("field", ["epoch", "batch_in_epoch", "step"])
def test_huge_progress_counters_are_refused_naming_the_field(tmp_path: Path, valid_file: Path, field: str) -> None:
    """10**400 is a valid JSON integer, but would overflow float arithmetic (epoch + batch / batches) much later."""
    path = tmp_path / "bad.safetensors"
    variant(valid_file, path, lambda tensors, meta: meta["progress"].__setitem__(field, 10**400))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert str(caught.value) == (
        f"bad.safetensors: the progress counter {field!r} in the metadata is larger than 20,000,000, "
        "the most steps a checkpoint holds"
    )


def test_batch_in_epoch_beyond_the_steps_taken_is_refused(tmp_path: Path, valid_file: Path) -> None:
    path = tmp_path / "bad.safetensors"
    variant(valid_file, path, lambda tensors, meta: meta["progress"].__setitem__("batch_in_epoch", 5))
    with pytest.raises(CheckpointError, match=r"'batch_in_epoch' \(5\) exceeds the steps taken \(4\)"):
        load_checkpoint(path)


def test_an_integer_too_long_for_python_to_parse_is_a_checkpoint_error(tmp_path: Path, valid_file: Path) -> None:
    """json.loads raises a plain ValueError (not JSONDecodeError) for an integer of more than 4,300 digits."""
    tensors, metadata = read_parts(valid_file)
    text = metadata[META_KEY].replace('"step": 4', '"step": 1' + "0" * 5000)
    assert text != metadata[META_KEY]
    path = tmp_path / "digits.safetensors"
    save_file(tensors, str(path), metadata={META_KEY: text})
    with pytest.raises(CheckpointError, match="the metadata is not valid JSON"):
        load_checkpoint(path)


def test_save_refuses_a_history_longer_than_load_reads(tmp_path: Path, checkpoint: Checkpoint) -> None:
    """A file load_checkpoint would refuse is never written (the old file, if any, stays)."""
    path = save_checkpoint(tmp_path / "run.safetensors", checkpoint)
    too_long = dataclasses.replace(checkpoint, progress=TrainingProgress(step=_MAX_STEPS + 1))
    with pytest.raises(CheckpointError, match=r"cannot save run\.safetensors: the run took 20,000,001 steps"):
        save_checkpoint(path, too_long)
    assert_checkpoints_equal(load_checkpoint(path), checkpoint)


def test_newer_format_asks_to_update(tmp_path: Path, valid_file: Path) -> None:
    path = tmp_path / "future.safetensors"
    variant(valid_file, path, newer_format)
    with pytest.raises(CheckpointError, match=r"newer .*format 2.*Update convae-explorer"):
        load_checkpoint(path)


def test_safetensors_without_our_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.safetensors"
    save_file(build_model(ModelConfig(), 0).state_dict(), str(path))
    with pytest.raises(CheckpointError, match="not written by convae-explorer"):
        load_checkpoint(path)


def test_metadata_that_is_not_json_is_refused(tmp_path: Path, valid_file: Path) -> None:
    tensors, _ = read_parts(valid_file)
    path = tmp_path / "garbled.safetensors"
    save_file(tensors, str(path), metadata={META_KEY: "{not json"})
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(path)


@pytest.mark.parametrize("zip_format", [True, False], ids=["torch.save", "legacy-torch.save"])
def test_pickles_are_refused_unopened(tmp_path: Path, zip_format: bool) -> None:
    """A real torch.save file is named as a pickle and never unpickled."""
    path = tmp_path / "x.pt"
    torch.save(build_model(ModelConfig(), 0).state_dict(), path, _use_new_zipfile_serialization=zip_format)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert "pickle" in str(caught.value)
    assert "x.pt" in str(caught.value)


def test_truncated_file_is_refused(tmp_path: Path, valid_file: Path) -> None:
    data = valid_file.read_bytes()
    for cut in (4, 8, 200, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut-{cut}.safetensors"
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="not a readable safetensors file"):
            load_checkpoint(path)


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    rng = random.Random(1234)
    for index in range(20):
        path = tmp_path / f"noise-{index}.bin"
        path.write_bytes(rng.randbytes(rng.choice([1, 9, 100, 4096, 100_000])))
        with pytest.raises(CheckpointError):
            load_checkpoint(path)
    path = tmp_path / "noise.bin"
    path.write_bytes(b"\x01" + rng.randbytes(4095))
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.safetensors"
    path.touch()
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint(path)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="is not a file"):
        load_checkpoint(tmp_path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"cannot open .*missing\.safetensors"):
        load_checkpoint(tmp_path / "missing.safetensors")


# --- fuzzing ---------------------------------------------------------------------------------------------------


def split_file(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def join_file(header: dict, body: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


@dataclass(frozen=True)
class Mutation:
    """One way to damage the valid file, small enough to read when hypothesis reports a failing example."""

    kind: str
    args: tuple

    def apply(self, data: bytes) -> bytes:
        if self.kind == "flip":
            buffer = bytearray(data)
            for position, mask in self.args:
                buffer[position % len(buffer)] ^= mask
            return bytes(buffer)
        if self.kind == "truncate":
            return data[: self.args[0]]
        if self.kind == "splice":  # replace data[i:j] with a piece copied from elsewhere in the file
            i, j, k, length = self.args
            return data[:i] + data[k : k + length] + data[j:]
        header, body = split_file(data)
        if self.kind == "tensor":
            name, field, value = self.args
            if field == "drop":
                del header[name]
            elif field == "rename":
                header[value] = header.pop(name)
            else:
                header[name][field] = value
        else:
            meta = json.loads(header["__metadata__"][META_KEY])
            if self.kind == "meta-raw":
                header["__metadata__"][META_KEY] = self.args[0]
            else:
                path, value = self.args
                target = meta
                for key in path[:-1]:
                    target = target[key]
                if self.kind == "meta-drop":
                    target.pop(path[-1], None)
                else:
                    target[path[-1]] = value
                header["__metadata__"][META_KEY] = json.dumps(meta)
        return join_file(header, body)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 2, 4, 7, 8, 28, 32, 64, 65, 4096, 10**6, 2**31, 2**63, 2**64, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["cpu", "cuda", "cuda:7", "mps", "auto", "digits-5k", "mnist", "convae-explorer", ""]),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(-3, 3), max_size=2),
)
META_FIELDS = [
    ("format",), ("format_version",), ("app_version",), ("dataset",), ("classes",), ("model_config",),
    ("model_config", "latent_dim"), ("model_config", "channels"), ("model_config", "image_size"),
    ("train_config",), ("train_config", "epochs"), ("train_config", "batch_size"), ("train_config", "lr"),
    ("train_config", "seed"), ("train_config", "device"), ("train_config", "display_size"),
    ("train_config", "sample_count"), ("train_config", "snapshot_interval_s"), ("train_config", "snapshot_budget"),
    ("train_config", "num_threads"), ("progress",), ("progress", "epoch"), ("progress", "step"),
    ("progress", "batch_in_epoch"),
]  # fmt: skip
DTYPES = ["F16", "BF16", "F32", "F64", "I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL", "F8_E4M3", "X"]


def mutations(valid: bytes) -> st.SearchStrategy[Mutation]:
    """Byte damage anywhere or in the header, truncations, splices, and edits of the parsed JSON header.

    Header edits get most of the draws: they get past the safetensors parser into our own validation, which
    blind byte damage rarely reaches.
    """
    size = len(valid)
    (header_end,) = struct.unpack("<Q", valid[:8])
    header_end += 8
    names = sorted(k for k in split_file(valid)[0] if k != "__metadata__")
    positions = st.one_of(st.integers(0, header_end - 1), st.integers(0, size - 1))
    flips = st.lists(st.tuples(positions, st.integers(1, 255)), min_size=1, max_size=8)
    name = st.sampled_from(names)
    tensor_edits = st.one_of(
        st.tuples(name, st.just("dtype"), st.sampled_from(DTYPES)),
        st.tuples(name, st.just("shape"), st.lists(st.integers(0, 3200), max_size=4)),
        st.tuples(name, st.just("data_offsets"), st.lists(st.integers(0, size + 10), max_size=3)),
        st.tuples(name, st.just("drop"), st.none()),
        st.tuples(name, st.just("rename"), st.sampled_from([*names, "model.extra", "optimizer.99.step"])),
    )
    meta_fields = st.sampled_from(META_FIELDS)
    return st.one_of(
        st.builds(Mutation, st.just("flip"), flips.map(tuple)),
        st.builds(Mutation, st.just("truncate"), st.tuples(st.integers(0, size - 1))),
        st.builds(
            Mutation,
            st.just("splice"),
            st.tuples(st.integers(0, size), st.integers(0, size), st.integers(0, size), st.integers(0, 5000)),
        ),
        st.builds(Mutation, st.just("tensor"), tensor_edits),
        *[st.builds(Mutation, st.just("meta"), st.tuples(meta_fields, JSON_VALUES))] * 4,
        st.builds(Mutation, st.just("meta-drop"), st.tuples(meta_fields, st.none())),
        st.builds(Mutation, st.just("meta-raw"), st.tuples(st.text(max_size=40))),
    )


@pytest.fixture(scope="module")
def valid_bytes(valid_file: Path) -> bytes:
    return valid_file.read_bytes()


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "mutant.safetensors"


def test_mutations_really_change_the_file(valid_bytes: bytes) -> None:
    """Guard the fuzzer: a header edit must produce a file that differs but still parses as safetensors JSON."""
    edited = Mutation("meta", (("train_config", "device"), None)).apply(valid_bytes)
    header, body = split_file(edited)
    assert edited != valid_bytes and body == split_file(valid_bytes)[1]
    assert json.loads(header["__metadata__"][META_KEY])["train_config"]["device"] is None


@pytest.mark.slow
def test_mutated_files_load_or_raise_checkpoint_error(valid_bytes: bytes, fuzz_path: Path) -> None:
    """Whatever the damage, load_checkpoint either succeeds or raises CheckpointError: nothing else escapes."""

    @settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutation=mutations(valid_bytes))
    def check(mutation: Mutation) -> None:
        fuzz_path.write_bytes(mutation.apply(valid_bytes))
        with contextlib.suppress(CheckpointError):
            load_checkpoint(fuzz_path)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small tensors: threads only add overhead, and contention makes them far worse
    try:
        check()
    finally:
        torch.set_num_threads(threads)


# --- never unpickle --------------------------------------------------------------------------------------------

UNPICKLING = [
    (re.compile(r"torch\.load\b"), "torch.load"),
    (re.compile(r"weights_only\s*=\s*False"), "weights_only=False"),
    (re.compile(r"allow_pickle\s*=\s*True"), "allow_pickle=True"),
    (re.compile(r"^\s*(import|from)\s+(c?pickle|_pickle|dill|joblib|shelve|cloudpickle)\b", re.M), "import pickle"),
    (re.compile(r"\b(c?pickle|_pickle|dill|joblib|cloudpickle)\.(load|loads|Unpickler)\b"), "pickle.load"),
    (re.compile(r"\bUnpickler\b"), "Unpickler"),
]


#: The one loader allowed, and only with this argument on the same line: weights trained elsewhere (a user's .pt or
#: Lightning .ckpt) are read by torch's weights-only unpickler, which rebuilds tensors and plain containers only.
WEIGHTS_ONLY = "weights_only=True"


def test_no_code_path_unpickles() -> None:
    """Neither core nor explorer may ever deserialize with pickle: a checkpoint must not be able to run code.
    The one exception: torch.load(weights_only=True) for a user's foreign weights (core.files.foreign_weights)."""
    sources = sorted([*(REPO_ROOT / "core").rglob("*.py"), *(REPO_ROOT / "explorer").rglob("*.py")])
    assert len(sources) >= 8
    offences = []
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for pattern, what in UNPICKLING:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                whole_line = text.splitlines()[line - 1]
                if what == "torch.load" and source.name == "foreign_weights.py" and WEIGHTS_ONLY in whole_line:
                    continue
                offences.append(f"{source.relative_to(REPO_ROOT)}:{line}: {what}")
    assert not offences, "\n".join(offences)


def test_unpickling_detector_catches_what_it_should() -> None:
    """Guard the guard: each pattern above fires on the code it is meant to forbid."""
    snippets = [
        "state = torch.load(path)",
        "x = load(p, weights_only=False)",
        "np.load(f, allow_pickle=True)",
        "import pickle",
        "from _pickle import loads",
        "data = pickle.loads(blob)",
        "class Safe(pickle.Unpickler): ...",
    ]
    for snippet in snippets:
        assert any(pattern.search(snippet) for pattern, _ in UNPICKLING), snippet
    assert not any(pattern.search("# we never unpickle: a pickle can run code") for pattern, _ in UNPICKLING)


# --- SIGKILL during save ---------------------------------------------------------------------------------------

SAVER = textwrap.dedent(
    """
    import os, sys
    import torch
    torch.set_num_threads(1)  # no thread pool: the fork below is then safe
    from core.files.checkpoint import load_checkpoint, save_checkpoint
    target, versions = sys.argv[1], [load_checkpoint(p) for p in sys.argv[2:]]
    print("ready", flush=True)
    for _ in sys.stdin:  # one line per round: fork a child that saves in a loop until it is killed
        pid = os.fork()
        if pid == 0:
            i = 0
            while True:
                save_checkpoint(target, versions[i % len(versions)])
                i += 1
        print(pid, flush=True)
        os.waitpid(pid, 0)
        print("reaped", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_during_save_leaves_a_loadable_checkpoint(
    tmp_path: Path, digits_subset: Callable[[int], ImageDataset], checkpoint: Checkpoint, subprocess_env: dict
) -> None:
    """A process killed (SIGKILL) at a random moment while saving over a file leaves the old or the new file whole.

    One helper process imports torch once and forks a fresh saver per round (a new Python per round would spend
    seconds importing torch); each saver alternates two different checkpoints over the same path.
    """
    other = trained_checkpoint(digits_subset(96), stop_after=2)
    sources = [save_checkpoint(tmp_path / f"v{i}.safetensors", c) for i, c in enumerate((checkpoint, other))]
    target = tmp_path / "target" / "ckpt.safetensors"
    save_checkpoint(target, checkpoint)  # a valid checkpoint is there before the first kill

    helper = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(target), *map(str, sources)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=subprocess_env,
    )
    assert helper.stdin is not None and helper.stdout is not None
    rng = random.Random(20240611)
    child = None
    try:
        assert helper.stdout.readline().strip() == "ready"
        for round_ in range(20):
            helper.stdin.write("go\n")
            helper.stdin.flush()
            child = int(helper.stdout.readline())
            time.sleep(rng.uniform(0.05, 0.5))
            os.kill(child, signal.SIGKILL)
            assert helper.stdout.readline().strip() == "reaped"
            child = None
            loaded = load_checkpoint(target)  # must never raise
            assert any(state_equal(loaded.model_state, c.model_state) for c in (checkpoint, other)), round_
            assert loaded.progress.step in (checkpoint.progress.step, other.progress.step)
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        helper.stdin.close()
        try:
            helper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
    assert helper.returncode == 0
    # The kills landed mid-save at least sometimes: the saver's temporary files were left behind.
    leftovers = [p.name for p in target.parent.iterdir() if p.name != target.name]
    assert all(name.startswith(".convae-") and name.endswith(".tmp") for name in leftovers)


# --- bounds checked before any tensor is read ------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "tensors"), [("autoencoder", 83), ("variational", 92)])
def test_the_bounds_admit_the_largest_checkpoint_we_can_write(tmp_path: Path, kind: str, tensors: int) -> None:
    """The largest model (3×64×64 images, latent 64) with Adam state and the longest history fits every bound (a
    VAE's with its two loss terms per step)."""
    config = ModelConfig(latent_dim=64, channels=3, image_size=64, kind=kind)
    model = build_model(config, 0)
    optimizer = build_optimizer(model, fast_config().lr)
    model(torch.rand(2, 3, 64, 64)).mean().backward()
    optimizer.step()
    progress = TrainingProgress(epoch=10_000, step=10_000, batch_losses=[0.5] * 10_000, epoch_losses=[0.5] * 10_000)
    if config.variational:
        progress.batch_loss_parts = [(0.25, 0.125)] * 10_000
    progress.epoch_rng_state = torch.Generator().get_state()
    classes = tuple(f"a rather long class name {i}" for i in range(100))
    largest = Checkpoint(config, fast_config(), "fashion-mnist", classes, model.state_dict(),
                         optimizer.state_dict(), progress)  # fmt: skip
    path = save_checkpoint(tmp_path / "largest.safetensors", largest)
    (header_size,) = struct.unpack("<Q", path.read_bytes()[:8])
    bytes_per_step = 8 + (2 * 4 if config.variational else 0)  # the loss (float64), a VAE's two terms (float32)
    with_longest_history = path.stat().st_size + bytes_per_step * (_MAX_STEPS - 10_000)
    print(f"\nlargest file: {with_longest_history / 2**20:.0f} MiB of {_MAX_FILE_BYTES / 2**20:.0f}; "
          f"header {header_size:,} bytes of {HEADER_LIMIT:,}")  # fmt: skip
    assert with_longest_history + FILE_BUDGET_BYTES < _MAX_FILE_BYTES  # a run history adds at most its file budget
    assert header_size < HEADER_LIMIT // 10
    assert len(split_file(path.read_bytes())[0]) - 1 == tensors
    assert _MAX_TENSORS == 92 + len(history_tensor_names()) == 113
    assert_checkpoints_equal(load_checkpoint(path), largest)


def padded_header(data: bytes, size: int) -> bytes:
    """The same file with its JSON header padded by spaces (valid safetensors) to `size` bytes."""
    (length,) = struct.unpack("<Q", data[:8])
    return struct.pack("<Q", size) + data[8 : 8 + length] + b" " * (size - length) + data[8 + length :]


def with_tiny_tensors(data: bytes, count: int) -> bytes:
    """The same file with `count` extra one-byte tensors appended."""
    header, body = split_file(data)
    for i in range(count):
        header[f"x{i}"] = {"dtype": "U8", "shape": [1], "data_offsets": [len(body) + i, len(body) + i + 1]}
    return join_file(header, body + bytes(count))


def with_tensor_entry(data: bytes, name: str, **entry: object) -> bytes:
    header, body = split_file(data)
    header[name] = {**header[name], **entry}
    return join_file(header, body)


def history_entry(data: bytes, steps: int) -> dict:
    """A header entry declaring a loss history of `steps` float64 values where the real one starts."""
    begin = split_file(data)[0]["progress.batch_losses"]["data_offsets"][0]
    return {"shape": [steps], "data_offsets": [begin, begin + 8 * steps]}


HOSTILE_HEADERS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "header of 2 MiB": (
        lambda data: padded_header(data, 2 << 20),
        "not a readable safetensors file (truncated or corrupt?): its header claims 2,097,152 bytes",
    ),
    "10,000 tensors": (
        lambda data: with_tiny_tensors(data, 10_000),
        "unexpected tensors x0, x1, x10, x100, x1000… (10,083 tensors; a checkpoint of ours has at most 113)",
    ),
    "history of 20,000,001 steps": (
        lambda data: with_tensor_entry(data, "progress.batch_losses", **history_entry(data, 20_000_001)),
        "hostile.safetensors: its loss history holds 20,000,001 entries; convae-explorer reads at most 20,000,000,",
    ),
    "shape bigger than its bytes": (
        lambda data: with_tensor_entry(data, "model.encoder.0.weight", shape=[32, 1, 3, 4]),
        "the tensor 'model.encoder.0.weight' of shape [32, 1, 3, 4] (F32) does not fit its 1,152 bytes",
    ),
    "offsets past the end": (
        lambda data: with_tensor_entry(data, "progress.epoch_rng_state", data_offsets=[0, 10**12]),
        "the tensor 'progress.epoch_rng_state' has offsets [0, 1000000000000] outside the",
    ),
    "dtype we never write": (
        lambda data: with_tensor_entry(data, "progress.epoch_rng_state", dtype="I64"),
        "the tensor 'progress.epoch_rng_state' has dtype 'I64'; our checkpoints hold only F32, F64, F16 and U8",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_HEADERS)
def test_hostile_headers_are_refused_before_their_tensors_are_read(
    tmp_path: Path, valid_bytes: bytes, name: str
) -> None:
    make, message = HOSTILE_HEADERS[name]
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(make(valid_bytes))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert str(caught.value).startswith("hostile.safetensors")
    assert message in str(caught.value)


def test_a_history_of_exactly_the_bound_passes_the_bound(tmp_path: Path, valid_bytes: bytes) -> None:
    """No off-by-one: 20,000,000 steps declared gets past the history bound (and fails only as not fitting the file)."""
    path = tmp_path / "at-bound.safetensors"
    path.write_bytes(with_tensor_entry(valid_bytes, "progress.batch_losses", **history_entry(valid_bytes, _MAX_STEPS)))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert "outside the" in str(caught.value) and "loss history holds" not in str(caught.value)


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path, valid_bytes: bytes) -> None:
    path = tmp_path / "huge.safetensors"
    path.write_bytes(valid_bytes)
    os.truncate(path, _MAX_FILE_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert str(caught.value).startswith("huge.safetensors is 384 MiB, too large to be a convae-explorer checkpoint")
    assert str(caught.value).endswith("(they stay under 384 MiB)")
    os.truncate(path, _MAX_FILE_BYTES)  # at the cap itself the size is no reason to refuse
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert "too large" not in str(caught.value)


PEAK_LOADER = textwrap.dedent(
    """
    import json, os, resource, sys, time
    from core.files.checkpoint import CheckpointError, load_checkpoint

    def peak() -> int:
        # Linux: VmHWM, this process's own peak (ru_maxrss would carry the peak of the parent it was forked from
        # across exec). Elsewhere ru_maxrss, in bytes on macOS.
        if os.path.exists("/proc/self/status"):
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    if os.path.exists("/proc/self/clear_refs"):
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # reset VmHWM to the present size: the import's own peak does not count
    before = peak()
    start = time.perf_counter()
    try:
        load_checkpoint(sys.argv[1])
        outcome = "loaded"
    except CheckpointError as error:
        outcome = str(error)
    seconds = time.perf_counter() - start
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_growth": peak() - before, "before": before}))
    """
)


@pytest.mark.slow
def test_big_hostile_files_are_refused_with_little_memory(
    tmp_path: Path, valid_file: Path, valid_bytes: bytes, subprocess_env: dict
) -> None:
    """A history just over the bound (160 MB) and a million tiny tensors: refused before memory grows by 32 MiB.

    Each is loaded in a fresh process whose peak memory (VmHWM) is read before and after. Before these bounds
    the long history loaded, building a 20-million-float list (about 1 GB); the tensors took 2 GB and 30 s.
    """
    steps = _MAX_STEPS + 1

    def long_history(tensors: dict, meta: dict) -> None:
        meta["progress"]["step"] = steps
        tensors["progress.batch_losses"] = torch.full((steps,), 0.25, dtype=torch.float64)

    variant(valid_file, tmp_path / "long-history.safetensors", long_history)
    (tmp_path / "million-tensors.safetensors").write_bytes(with_tiny_tensors(valid_bytes, 1_000_000))
    expected = {
        "long-history.safetensors": "its loss history holds 20,000,001 entries; convae-explorer reads at most",
        "million-tensors.safetensors": "its header claims",
    }
    children = {
        name: subprocess.Popen([sys.executable, "-c", PEAK_LOADER, str(tmp_path / name)], env=subprocess_env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in expected
    }  # fmt: skip
    reports = {}
    for name, child in children.items():
        stdout, stderr = child.communicate(timeout=600)
        assert child.returncode == 0, stderr
        reports[name] = report = json.loads(stdout)
        size = (tmp_path / name).stat().st_size
        print(f"\n{name} ({size / 2**20:.0f} MiB): peak memory growth {report['peak_growth'] / 2**20:.2f} MiB, "
              f"{report['seconds'] * 1000:.1f} ms: {report['outcome']}")  # fmt: skip
    for name, report in reports.items():
        assert expected[name] in report["outcome"]
        assert report["peak_growth"] < 32 << 20


# --- a file changed while it is read ---------------------------------------------------------------------------

RACING_LOADER = textwrap.dedent(
    """
    import sys
    import torch
    torch.set_num_threads(1)
    from core.files.checkpoint import CheckpointError, load_checkpoint
    print("ready", flush=True)
    for _ in sys.stdin:  # one load per line, until stdin closes
        print("start", flush=True)
        try:
            load_checkpoint(sys.argv[1])
            print("ok", flush=True)
        except CheckpointError as error:
            print("error", str(error).splitlines()[0][:300], flush=True)
    """
)


@pytest.mark.slow
def test_a_file_truncated_and_rewritten_while_loading_never_kills_the_loader(
    tmp_path: Path, valid_file: Path, subprocess_env: dict
) -> None:
    """`cp` over a checkpoint while it is read: every load succeeds or raises CheckpointError, none dies (SIGBUS).

    A memory-mapped read of a file truncated under it dies by SIGBUS. A child loads a 16 MB checkpoint whenever
    asked, saying when the load starts and how it ended. Each round: four loads during which this test rewrites
    the file as `cp` does (truncate, then write in 1 MiB pieces), again and again from the load's start to its
    end; then one load of the file cut to half (must fail), and one of it whole again (must load). Each step
    waits for the child's word, never for a set time.
    """
    steps = 2_000_000

    def long_history(tensors: dict, meta: dict) -> None:
        meta["progress"]["step"] = steps
        tensors["progress.batch_losses"] = torch.rand(steps, dtype=torch.float64)

    path = tmp_path / "busy.safetensors"
    variant(valid_file, path, long_history)
    content = path.read_bytes()

    def cp_over(piece: int = 1 << 20) -> None:
        with open(path, "wb") as handle:  # O_TRUNC, as cp does
            for start in range(0, len(content), piece):
                handle.write(content[start : start + piece])
                handle.flush()

    child = subprocess.Popen(  # unbuffered: select() on the pipe then tells whether a report is waiting
        [sys.executable, "-c", RACING_LOADER, str(path)],
        env=subprocess_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None

    def report() -> str:
        return child.stdout.readline().decode().strip()

    def load(racing: bool = False) -> str | None:
        """Have the child load the file once, rewriting it all the while if `racing`; None if the child died."""
        try:
            child.stdin.write(b"go\n")
        except BrokenPipeError:
            return None
        if report() != "start":
            return None
        while racing and not select.select([child.stdout], [], [], 0)[0]:
            cp_over()
        return report() or None

    outcomes: dict[str, list[str]] = {"racing": [], "half": [], "whole": []}
    rounds = 6
    try:
        assert report() == "ready"
        for _ in range(rounds):
            for phase in ("racing", "racing", "racing", "racing", "half", "whole"):
                if phase == "half":
                    os.truncate(path, len(content) // 2)
                elif phase == "whole":
                    path.write_bytes(content)
                result = load(racing=phase == "racing")
                if result is None:
                    break
                outcomes[phase].append(result)
            else:
                continue
            break
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=300)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    stderr = child.stderr.read().decode() if child.stderr else ""
    print()
    for phase, lines in outcomes.items():
        ok = sum(line == "ok" for line in lines)
        print(f"{phase}: {len(lines)} loads, {ok} loaded, {sum(line.startswith('error') for line in lines)} refused")
    for message in sorted({line.split(": ", 1)[-1][:110] for line in outcomes["racing"] if line != "ok"})[:6]:
        print(f"  racing refusal: …{message}")
    assert child.returncode == 0, (
        f"the loader died by {signal.Signals(-child.returncode).name}" if child.returncode < 0 else stderr
    )
    assert len(outcomes["racing"]) == 4 * rounds
    assert all(line == "ok" or line.startswith("error") for line in outcomes["racing"]), outcomes["racing"]
    assert outcomes["whole"] == ["ok"] * rounds
    assert len(outcomes["half"]) == rounds
    assert all("not a readable safetensors file" in line for line in outcomes["half"]), outcomes["half"]
