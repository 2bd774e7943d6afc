"""Data sets: real IDX files read through torchvision, the built-in digits, and errors a user can act on."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
from core_testkit import (
    IMAGE_MAGIC,
    LABEL_MAGIC,
    TEST_FILES,
    TORCHVISION_FOLDERS,
    TRAIN_FILES,
    idx_bytes,
    write_idx_set,
)

from core.data.datasets import (
    BUILTIN_DATASET,
    DATA_DIR_ENV,
    DATASET_NAMES,
    DatasetError,
    ImageDataset,
    ImageSplit,
    default_data_dir,
    load_dataset,
)

ALL_FILES = (*TRAIN_FILES, *TEST_FILES)


def random_split(seed: int, count: int, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Random uint8 images covering 0–255 and labels 0–9: any mix-up of bytes or order shows up."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (count, size, size), dtype=np.uint8), rng.integers(0, 10, count, dtype=np.uint8)


def write_set(root: Path, name: str, train_count: int = 40, test_count: int = 12, size: int = 28) -> tuple:
    train, test = random_split(1, train_count, size), random_split(2, test_count, size)
    write_idx_set(root, TORCHVISION_FOLDERS[name], train, test)
    return train, test


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kmnist"])
def test_idx_files_load_as_uint8_tensors(tmp_path: Path, name: str) -> None:
    """Images come back byte for byte as uint8 N×1×28×28, labels as int64, with torchvision's class names."""
    (train_images, train_labels), (test_images, test_labels) = write_set(tmp_path, name)
    dataset = load_dataset(name, root=tmp_path, download=False)

    assert dataset.name == name
    expected = ((dataset.train, train_images, train_labels), (dataset.test, test_images, test_labels))
    for split, images, labels in expected:
        assert split is not None
        assert split.images.dtype == torch.uint8
        assert split.images.shape == (len(images), 1, 28, 28)
        assert split.images.is_contiguous()
        assert np.array_equal(split.images[:, 0].numpy(), images)
        assert split.labels.dtype == torch.int64
        assert np.array_equal(split.labels.numpy(), labels.astype(np.int64))
    assert (dataset.channels, dataset.image_size) == (1, 28)
    expected_classes = {
        "mnist": torchvision.datasets.MNIST,
        "fashion-mnist": torchvision.datasets.FashionMNIST,
        "kmnist": torchvision.datasets.KMNIST,
    }[name].classes
    assert dataset.classes == tuple(expected_classes)
    assert len(dataset.classes) == 10


def test_fashion_mnist_class_names_are_the_garments(tmp_path: Path) -> None:
    """Not the digit names: the legend must say what the pictures are."""
    write_set(tmp_path, "fashion-mnist")
    classes = load_dataset("fashion-mnist", root=tmp_path, download=False).classes
    assert classes[0] == "T-shirt/top"
    assert "Ankle boot" in classes


def test_other_image_sizes_load(tmp_path: Path) -> None:
    """IDX files of 32×32 images load at that size (the model supports any multiple of 4)."""
    write_set(tmp_path, "mnist", train_count=8, test_count=4, size=32)
    dataset = load_dataset("mnist", root=tmp_path, download=False)
    assert dataset.train.images.shape == (8, 1, 32, 32)
    assert dataset.image_size == 32


def test_missing_folder_names_the_folder_and_the_files(tmp_path: Path) -> None:
    """With download off, the error says exactly where to put which files, and nothing is created."""
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=tmp_path, download=False)
    message = str(caught.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    for file in ALL_FILES:
        assert file in message
    assert "not found" in message
    assert not (tmp_path / "MNIST").exists()


def test_missing_test_files_only_is_reported_too(tmp_path: Path) -> None:
    """Training files present but test files absent still gives the 'where to put them' error."""
    write_set(tmp_path, "mnist")
    for file in TEST_FILES:
        (tmp_path / "MNIST" / "raw" / file).unlink()
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_download_without_network_says_it_could_not_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused connection (port 9 on localhost) becomes a DatasetError that names the folder."""
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    root = tmp_path / "fresh"
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=root, download=True)
    message = str(caught.value)
    assert "could not be downloaded" in message
    assert str(root / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message


def corrupt(raw: Path, kind: str) -> None:
    """Spoil one file of a valid set in the way `kind` names."""
    images_path, labels_path = raw / TRAIN_FILES[0], raw / TRAIN_FILES[1]
    images = images_path.read_bytes()
    if kind == "image magic: 4 dimensions":
        images_path.write_bytes(struct.pack(">I", 0x00000804) + images[4:])
    elif kind == "image magic: unknown type":
        images_path.write_bytes(struct.pack(">I", 0x00000F03) + images[4:])
    elif kind == "image magic: int32 data":
        images_path.write_bytes(struct.pack(">I", 0x00000C03) + images[4:])
    elif kind == "image magic: 1 dimension":
        images_path.write_bytes(struct.pack(">I", 0x00000801) + images[4:])
    elif kind == "label magic: 3 dimensions":
        labels_path.write_bytes(struct.pack(">I", IMAGE_MAGIC) + labels_path.read_bytes()[4:])
    elif kind == "truncated images":
        images_path.write_bytes(images[: 16 + 28 * 28 * 3 + 100])
    elif kind == "truncated header":
        images_path.write_bytes(images[:6])
    elif kind == "empty images":
        images_path.write_bytes(b"")
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "image magic: 4 dimensions",
        "image magic: unknown type",
        "image magic: int32 data",
        "image magic: 1 dimension",
        "label magic: 3 dimensions",
        "truncated images",
        "truncated header",
        "empty images",
    ],
)
def test_corrupt_files_raise_dataset_error_saying_corrupt(tmp_path: Path, kind: str) -> None:
    """torchvision asserts on bad IDX headers; the user must get a DatasetError naming the folder, never that."""
    write_set(tmp_path, "mnist")
    corrupt(tmp_path / "MNIST" / "raw", kind)
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=tmp_path, download=False)
    assert "corrupt" in str(caught.value)
    assert str(tmp_path / "MNIST" / "raw") in str(caught.value)


def test_corrupt_files_are_not_replaced_by_a_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files present but bad, with download on: still 'corrupt', not a misleading network error."""
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    write_set(tmp_path, "mnist")
    corrupt(tmp_path / "MNIST" / "raw", "truncated images")
    with pytest.raises(DatasetError, match="corrupt"):
        load_dataset("mnist", root=tmp_path, download=True)


def test_label_count_mismatch_is_a_dataset_error(tmp_path: Path) -> None:
    """Well-formed files that disagree on the count are caught by our own shape check."""
    raw = write_idx_set(tmp_path, "MNIST", random_split(1, 10), random_split(2, 4))
    (raw / TRAIN_FILES[1]).write_bytes(idx_bytes(np.zeros(9, np.uint8), LABEL_MAGIC))
    with pytest.raises(DatasetError, match="unexpected shapes"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_builtin_digits_5k() -> None:
    """The offline set: 5,000 real digits, 500 of each class, full 0–255 range, no test split."""
    dataset = load_dataset(BUILTIN_DATASET)
    assert dataset.name == "digits-5k"
    assert dataset.test is None
    images, labels = dataset.train.images, dataset.train.labels
    assert images.dtype == torch.uint8
    assert images.shape == (5000, 1, 28, 28)
    assert int(images.min()) == 0 and int(images.max()) == 255
    assert labels.dtype == torch.int64
    assert torch.bincount(labels, minlength=10).tolist() == [500] * 10
    assert dataset.classes == tuple(str(d) for d in range(10))
    # Real digits, not noise: most of each image is background.
    assert 0.05 < float((images > 0).float().mean()) < 0.5


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(DatasetError) as caught:
        load_dataset("svhn", download=False)
    for name in DATASET_NAMES:
        assert name in str(caught.value)


def test_data_dir_env_var_sets_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$CONVAE_DATA_DIR moves the default folder, and load_dataset with no root reads from it."""
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    per_user = default_data_dir()
    assert per_user.name == "datasets"

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    assert default_data_dir() != per_user
    (train_images, _), _ = write_set(tmp_path, "mnist")
    dataset = load_dataset("mnist", download=False)
    assert np.array_equal(dataset.train.images[:, 0].numpy(), train_images)

    monkeypatch.setenv(DATA_DIR_ENV, "~/convae-data")
    assert default_data_dir() == Path.home() / "convae-data"


def test_image_split_rejects_wrong_layout() -> None:
    """Splits hold uint8 N×C×H×W and one label per image; anything else is a programming error."""
    with pytest.raises(ValueError, match="uint8"):
        ImageSplit(torch.zeros(2, 1, 28, 28), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="uint8"):
        ImageSplit(torch.zeros(2, 28, 28, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(ValueError, match="one entry per image"):
        ImageSplit(torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64))


# --- labels, image shapes, data folders: refused with messages that say what and where ---------------------------


@pytest.mark.parametrize(("split", "label"), [("train", 10), ("t10k", 255)])
def test_labels_beyond_the_classes_in_idx_files_name_the_file_label_and_class_count(
    tmp_path: Path, split: str, label: int
) -> None:
    """A label file with a label ≥ the class count is refused at load, not later as a wrong colour or a click error."""
    train, test = random_split(1, 40), random_split(2, 12)
    labels = (train if split == "train" else test)[1]
    labels[7] = label
    raw = write_idx_set(tmp_path, "MNIST", train, test)
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=tmp_path, download=False)
    message = str(caught.value)
    print(f"\n{message}")
    assert str(raw / f"{split}-labels-idx1-ubyte") in message
    assert f"image 7 has label {label}" in message
    assert "10 classes, labelled 0–9" in message


@pytest.mark.parametrize("labels", [[0, 1, 3], [0, -1, 2]], ids=["label 3 of 3 classes", "label -1"])
def test_image_dataset_refuses_labels_outside_its_classes(labels: list[int]) -> None:
    images = torch.zeros(3, 1, 28, 28, dtype=torch.uint8)
    good = ImageSplit(images, torch.tensor([0, 1, 2]))
    bad = ImageSplit(images, torch.tensor(labels))
    ImageDataset("mine", good, good, ("a", "b", "c"))  # labels 0–2 of 3 classes: fine
    for train, test, kind in ((bad, None, "training"), (good, bad, "test")):
        with pytest.raises(DatasetError) as caught:
            ImageDataset("mine", train, test, ("a", "b", "c"))
        bad_label = next(v for v in labels if not 0 <= v < 3)
        assert str(caught.value).startswith(f"{kind} image {labels.index(bad_label)} of mine has label {bad_label}")
        assert "there are 3 classes, labelled 0–2" in str(caught.value)


def test_corrupt_files_message_says_what_where_and_what_to_do_in_its_first_sentence(tmp_path: Path) -> None:
    """A dialog may show only the start of the message: its first sentence names the folder, the files and the fix."""
    write_set(tmp_path, "mnist")
    corrupt(tmp_path / "MNIST" / "raw", "truncated images")
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=tmp_path, download=False)
    message = str(caught.value)
    first = message.split(". ")[0]
    print(f"\nfirst sentence: {first}")
    assert first.startswith(f"mnist files in {tmp_path / 'MNIST' / 'raw'} are corrupt")
    for file in ALL_FILES:
        assert file in first
    assert "delete" in first and "download them again" in first
    assert "RuntimeError" in message  # torchvision's own words follow, for whoever reports it


def test_non_square_images_are_a_dataset_error_naming_the_file_and_shape(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    split = rng.integers(0, 256, (8, 28, 32), dtype=np.uint8), rng.integers(0, 10, 8, dtype=np.uint8)
    raw = write_idx_set(tmp_path, "MNIST", split, split)
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root=tmp_path, download=False)
    assert str(raw / "train-images-idx3-ubyte") in str(caught.value)
    assert "28×32 pixels, not square" in str(caught.value)


def test_test_images_of_another_size_than_the_training_images_are_a_dataset_error(tmp_path: Path) -> None:
    write_idx_set(tmp_path, "MNIST", random_split(1, 8), random_split(2, 4, size=32))
    with pytest.raises(DatasetError, match="test images of mnist are 1×32×32, but its training images are 1×28×28"):
        load_dataset("mnist", root=tmp_path, download=False)


@pytest.mark.parametrize("download", [True, False])
def test_data_dir_that_is_a_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, download: bool) -> None:
    """$CONVAE_DATA_DIR naming a file: 'a file, not a folder', never 'no network?' or 'not found'."""
    blocker = tmp_path / "datasets.txt"
    blocker.write_text("not a folder")
    monkeypatch.setenv(DATA_DIR_ENV, str(blocker))
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", download=download)
    message = str(caught.value)
    assert message.startswith(f"the data folder {blocker} is a file, not a folder.")
    assert "network" not in message and "not found" not in message
    with pytest.raises(DatasetError, match=f"cannot be created: {blocker} is a file, not a folder"):
        load_dataset("mnist", root=blocker / "inside", download=download)
    assert blocker.read_text() == "not a folder"
