"""CIFAR-10 through torchvision: files in the real format load as uint8 N×3×32×32 with their class names, a file
whose checksum is not the official one is never unpickled, and the messages name the folder and the files.

Only the tests that must load the small test files point torchvision's checksum list at them (trust_these_files);
the others run against the official checksums, which no test file matches.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from cifar_testkit import ARCHIVE, CLASSES, FOLDER, CifarFiles, trust_these_files, write_archive, write_cifar
from core_testkit import fast_config

from core.data.datasets import DatasetError, expected_files, load_dataset
from core.settings import DATASETS, ModelConfig
from core.training.engine import Trainer


@pytest.fixture
def cifar(tmp_path: Path) -> CifarFiles:
    return write_cifar(tmp_path / "data")


@pytest.fixture
def unpickled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every pickle.load / pickle.loads call from here on, recorded (and still performed)."""
    calls: list[str] = []
    real_load, real_loads = pickle.load, pickle.loads

    def load(file, *args, **kwargs):
        calls.append(str(getattr(file, "name", file)))
        return real_load(file, *args, **kwargs)

    def loads(data, *args, **kwargs):
        calls.append("<bytes>")
        return real_loads(data, *args, **kwargs)

    monkeypatch.setattr(pickle, "load", load)
    monkeypatch.setattr(pickle, "loads", loads)
    return calls


def test_cifar10_is_a_data_set_name() -> None:
    assert DATASETS["cifar-10"] == "CIFAR-10 (colour)"


def test_files_in_the_real_format_load_as_colour_tensors_with_their_class_names(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    trust_these_files(monkeypatch, cifar)
    dataset = load_dataset("cifar-10", root=cifar.root, download=False)

    assert dataset.name == "cifar-10" and dataset.classes == CLASSES
    assert (dataset.channels, dataset.image_size) == (3, 32)
    for split, images, labels in (
        (dataset.train, cifar.train_images, cifar.train_labels),
        (dataset.test, cifar.test_images, cifar.test_labels),
    ):
        assert split is not None
        assert split.images.dtype == torch.uint8 and split.images.shape == (len(images), 3, 32, 32)
        assert split.images.is_contiguous()
        assert np.array_equal(split.images.numpy(), images)  # channel order R, G, B, rows top to bottom
        assert split.labels.dtype == torch.int64 and np.array_equal(split.labels.numpy(), labels)
    assert len(dataset.train) == 100 and len(dataset.test) == 20
    read = sorted(Path(name).name for name in unpickled)  # each batch once, the meta file once per split
    assert read == sorted([*cifar.names(), "batches.meta"])


def test_a_file_with_a_wrong_checksum_is_never_unpickled(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    """Trusted files but one altered afterwards (one byte of its pixels): refused by name, nothing unpickled."""
    trust_these_files(monkeypatch, cifar)
    tampered = cifar.folder / "data_batch_3"
    raw = bytearray(tampered.read_bytes())
    raw[-200] ^= 0xFF
    tampered.write_bytes(bytes(raw))

    with pytest.raises(DatasetError) as caught:
        load_dataset("cifar-10", root=cifar.root, download=False)
    message = str(caught.value)
    assert "data_batch_3" in message and str(cifar.folder) in message
    assert "do not match the official checksums" in message and "not read" in message
    assert "data_batch_1" not in message.split("Put ")[0]  # only the altered file is blamed
    assert unpickled == []


def test_files_that_are_not_the_official_ones_are_never_unpickled(cifar: CifarFiles, unpickled: list[str]) -> None:
    """Against torchvision's real checksum list (not patched) the test files are all 'altered': none is read."""
    with pytest.raises(DatasetError) as caught:
        load_dataset("cifar-10", root=cifar.root, download=False)
    message = str(caught.value)
    for name in cifar.names():
        assert name in message
    assert str(cifar.folder) in message
    assert unpickled == []


def test_torchvision_checks_every_checksum_before_it_unpickles(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    """The guarantee core.data.cifar relies on, asserted on torchvision itself so an upgrade that drops it fails here:
    the test batch altered, the training split (which does not read it) is still refused before any pickle."""
    from torchvision.datasets import CIFAR10

    trust_these_files(monkeypatch, cifar)
    (cifar.folder / "test_batch").write_bytes((cifar.folder / "test_batch").read_bytes() + b"\x00")
    with pytest.raises(RuntimeError, match="corrupted"):
        CIFAR10(str(cifar.root), train=True, download=False)
    assert unpickled == []


def test_an_altered_meta_file_is_never_unpickled(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    trust_these_files(monkeypatch, cifar)
    (cifar.folder / "batches.meta").write_bytes(b"cbuiltins\nprint\n(S'unpickled!'\ntR.")  # a pickle that runs code
    with pytest.raises(DatasetError, match=r"batches\.meta"):
        load_dataset("cifar-10", root=cifar.root, download=False)
    assert unpickled == []


def test_missing_files_are_named_with_their_folder_and_the_archive_that_is_enough(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    with pytest.raises(DatasetError) as caught:
        load_dataset("cifar-10", root=root, download=False)
    message = str(caught.value)
    assert "were not found" in message and str(root / FOLDER) in message
    for name in ("data_batch_1", "data_batch_5", "test_batch", "batches.meta"):
        assert name in message
    assert ARCHIVE in message and "enough" in message
    assert not (root / FOLDER).exists()  # nothing created


def test_expected_files_names_the_batches_folder(tmp_path: Path) -> None:
    folder, files = expected_files("cifar-10", tmp_path)
    assert folder == tmp_path / FOLDER
    assert files == [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta"]


def test_the_official_archive_alone_is_enough_offline(cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = write_archive(cifar)
    trust_these_files(monkeypatch, cifar, archive)
    for name in cifar.names():
        (cifar.folder / name).unlink()
    cifar.folder.rmdir()

    dataset = load_dataset("cifar-10", root=cifar.root, download=False)
    assert np.array_equal(dataset.train.images.numpy(), cifar.train_images)
    assert (cifar.folder / "test_batch").is_file()  # unpacked beside the archive, for the next launch


def test_an_archive_with_a_wrong_checksum_is_not_unpacked(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    archive = write_archive(cifar)
    trust_these_files(monkeypatch, cifar)  # the files, not the archive: its checksum stays the official one
    for name in cifar.names():
        (cifar.folder / name).unlink()
    cifar.folder.rmdir()

    with pytest.raises(DatasetError) as caught:
        load_dataset("cifar-10", root=cifar.root, download=False)
    assert f"archive {archive} does not match the official checksum" in str(caught.value)
    assert not cifar.folder.exists() and unpickled == []


def test_a_data_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("not a folder")
    with pytest.raises(DatasetError, match="is a file"):
        load_dataset("cifar-10", root=blocker, download=False)


def test_a_few_training_steps_on_colour_images(cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    """3×32×32 end to end: the model takes its shape from the data, trains, and shows colour reconstructions."""
    trust_these_files(monkeypatch, cifar)
    dataset = load_dataset("cifar-10", root=cifar.root, download=False)
    trainer = Trainer(dataset, fast_config(batch_size=25, display_size=40))
    assert trainer.model_config == ModelConfig(2, 3, 32)
    for _ in trainer.run(snapshots=False):
        pass
    losses = trainer.progress.batch_losses
    assert len(losses) == 4 and all(np.isfinite(losses))
    snapshot = trainer.snapshot()
    assert snapshot.display_images.shape == (20, 3, 32, 32)  # the display set is drawn from the 20 test images
    assert snapshot.reconstructions.shape == (4, 3, 32, 32)
    assert snapshot.classes == CLASSES


def test_cli_trains_on_cifar10_and_the_checkpoint_records_three_channels(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.commands.main import main
    from core.files.checkpoint import load_checkpoint

    trust_these_files(monkeypatch, cifar)
    out = tmp_path / "cifar.safetensors"
    args = ["train", "--dataset", "cifar-10", "--data-dir", str(cifar.root), "--no-download", "--epochs", "1"]
    assert main([*args, "--batch-size", "50", "--threads", "1", "--out", str(out)]) == 0
    saved = load_checkpoint(out)
    assert saved.dataset == "cifar-10" and saved.classes == CLASSES
    assert (saved.model_config.channels, saved.model_config.image_size) == (3, 32)
    assert saved.progress.step == 2


def test_cli_names_the_missing_cifar10_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from core.commands.main import main

    out = tmp_path / "never.safetensors"
    args = ["train", "--dataset", "cifar-10", "--data-dir", str(tmp_path), "--no-download", "--out", str(out)]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert str(tmp_path / FOLDER) in err and "data_batch_1" in err and ARCHIVE in err
    assert "Traceback" not in err and not out.exists()


def test_download_without_network_says_it_could_not_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection (port 9 on localhost) becomes a DatasetError naming the folder, files and archive."""
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    root = tmp_path / "fresh"
    with pytest.raises(DatasetError) as caught:
        load_dataset("cifar-10", root=root, download=True)
    message = str(caught.value)
    assert "could not be downloaded" in message
    assert str(root / FOLDER) in message and "data_batch_1" in message and ARCHIVE in message


def test_altered_files_are_not_downloaded_over(
    cifar: CifarFiles, monkeypatch: pytest.MonkeyPatch, unpickled: list[str]
) -> None:
    """Files present but not the official ones, with downloads on: 'do not match', not a network error, nothing read."""
    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(CIFAR10, "url", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    before = {name: (cifar.folder / name).read_bytes() for name in cifar.names()}
    with pytest.raises(DatasetError, match="do not match the official checksums"):
        load_dataset("cifar-10", root=cifar.root, download=True)
    assert {name: (cifar.folder / name).read_bytes() for name in cifar.names()} == before
    assert unpickled == []
