"""What the window says about data sets: first-launch defaults, the data folder in use, installed / archives /
missing, that official .gz archives are really enough (torchvision unpacks them with no network), and downloads
that fail with a message naming what to do."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torchvision
from core_testkit import TEST_FILES, TRAIN_FILES, gzip_archives, served, write_idx_set

from core.data import location as data_location
from core.data.datasets import load_dataset
from core.data.download import DownloadError, download_data_set
from core.data.status import State, _needs, all_statuses, status_of
from core.first_launch import FirstLaunch, first_launch_defaults
from core.settings import BUILTIN_DATASET, DATASETS


@pytest.fixture(autouse=True)
def no_chosen_folder():
    data_location.use_data_dir(None)
    yield
    data_location.use_data_dir(None)


def test_the_packaged_defaults_choose_the_built_in_digits() -> None:
    first = first_launch_defaults()
    assert first.dataset == BUILTIN_DATASET == "digits-5k"
    assert first == FirstLaunch("digits-5k", "autoencoder", "lecture", "auto", (("latent_dim", 2),))


def test_defaults_are_checked_one_by_one(caplog) -> None:
    text = '{"dataset": "kmnist", "recipe": "fast", "latent_dim": 999, "model": "gan", "epochs": 5, "colour": 1}'
    first = first_launch_defaults(text)
    assert (first.dataset, first.recipe, first.model) == ("kmnist", "fast", "autoencoder")
    assert first.settings == (("epochs", 5),) and first.setting("latent_dim") is None
    assert "latent_dim" in caplog.text and "gan" in caplog.text and "colour" in caplog.text
    assert first_launch_defaults("not json") == FirstLaunch() == first_launch_defaults("[1]")


def test_the_data_folder_follows_the_choice_then_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "env"))
    assert data_location.data_folder_and_reason() == (tmp_path / "env", "set by $CONVAE_DATA_DIR")
    data_location.use_data_dir(tmp_path / "mine")
    assert data_location.data_folder() == tmp_path / "mine"
    assert data_location.chosen_source() == data_location.FROM_WINDOW
    write_idx_set(tmp_path / "mine", "MNIST", *_split_pair())
    assert len(load_dataset("mnist", download=False).train) == 20  # read from the chosen folder, no root given


def _split_pair(seed: int = 0):
    rng = np.random.default_rng(seed)
    return tuple(
        (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)) for n in (20, 8)
    )


def test_status_names_the_folder_the_files_and_what_is_missing(tmp_path) -> None:
    statuses = {s.name: s for s in all_statuses(tmp_path)}
    assert list(statuses) == list(DATASETS)  # every data set the app knows, whatever was added to DATASETS
    assert statuses[BUILTIN_DATASET].state is State.BUILT_IN and statuses[BUILTIN_DATASET].installed
    mnist = statuses["mnist"]
    assert mnist.state is State.MISSING and mnist.downloadable and not mnist.installed
    assert mnist.folder == tmp_path / "MNIST" / "raw"
    details = mnist.details()
    assert str(tmp_path / "MNIST" / "raw") in details and all(f in details for f in (*TRAIN_FILES, *TEST_FILES))
    assert "train-images-idx3-ubyte.gz" in details and "official" in details

    raw = write_idx_set(tmp_path, "MNIST", *_split_pair())
    assert status_of("mnist", tmp_path).state is State.INSTALLED
    (raw / TEST_FILES[0]).unlink()
    partial = status_of("mnist", tmp_path)
    assert partial.state is State.INCOMPLETE and partial.missing == (TEST_FILES[0],)
    assert f"Missing: {TEST_FILES[0]}" in partial.details()


def test_cifar_style_sets_name_their_batches_and_their_tar_archive(tmp_path) -> None:
    folder, files, archives = _needs(torchvision.datasets.CIFAR10, tmp_path)
    assert folder == tmp_path / "cifar-10-batches-py"
    assert "data_batch_1" in files and "test_batch" in files and "batches.meta" in files
    assert [a.name for a in archives] == ["cifar-10-python.tar.gz"] and archives[0].folder == tmp_path


def test_official_gz_archives_alone_are_enough_and_need_no_network(tmp_path, monkeypatch) -> None:
    """torchvision unpacks archives whose checksum is the official one; the mirrors here answer nothing."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    checksums = gzip_archives(write_idx_set(tmp_path / "source", "MNIST", *_split_pair(3)), raw)
    # the test's archives are not the official ones: their checksums stand in for the official list here
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", checksums)
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    status = status_of("mnist", tmp_path / "data")
    assert status.state is State.ARCHIVES and status.installed
    assert "unpacked" in status.details() and "no network" in status.details()
    with pytest.raises(Exception, match="not found"):  # downloads off: torchvision reads only unpacked files
        load_dataset("mnist", tmp_path / "data", download=False)
    data = load_dataset("mnist", tmp_path / "data", download=True)
    assert len(data.train) == 20 and status_of("mnist", tmp_path / "data").state is State.INSTALLED

    (raw / "train-images-idx3-ubyte").unlink()
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not the official archive")
    assert status_of("mnist", tmp_path / "data").state is State.INCOMPLETE  # a wrong checksum is not enough


def test_a_download_with_no_network_fails_with_a_message_and_leaves_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/", "http://unreachable.invalid/"])
    seen: list[tuple[int, int, str]] = []
    with pytest.raises(DownloadError) as caught:
        download_data_set("mnist", tmp_path, progress=lambda *step: seen.append(step), timeout_s=5)
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    assert "127.0.0.1" in message and str(tmp_path / "MNIST" / "raw") in message and "Without a network" in message
    assert seen == [] and not [p for p in (tmp_path / "MNIST" / "raw").iterdir()]


def test_a_download_into_a_folder_that_cannot_be_written_says_so(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(DownloadError, match="cannot write to the data folder"):
        download_data_set("mnist", blocker / "data")
    with pytest.raises(DownloadError, match="ships with the app"):
        download_data_set(BUILTIN_DATASET, tmp_path)


def test_a_download_streams_with_progress_checks_the_checksums_and_installs(tmp_path, monkeypatch) -> None:
    """A real HTTP download from a server on this machine (standing in for the mirror), through torchvision's
    unpacking: each file's progress rises to its size, the set is installed and loads."""
    mirror = tmp_path / "mirror"
    checksums = gzip_archives(write_idx_set(tmp_path / "source", "MNIST", *_split_pair(5)), mirror)
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", checksums)
    seen: list[tuple[int, int, str]] = []
    with served(mirror) as url:
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", ["http://127.0.0.1:9/", url])
        download_data_set("mnist", tmp_path / "data", progress=lambda *step: seen.append(step))
    for number, (name, _) in enumerate(checksums, 1):  # each file's bytes rise to its size, file after file
        steps = [(done, size) for done, size, what in seen if what == f"file {number} of 4: {name}"]
        size = (mirror / name).stat().st_size
        assert steps and steps[-1] == (size, size) and all(a <= b for (a, _), (b, _) in itertools.pairwise(steps))
    assert status_of("mnist", tmp_path / "data").state is State.INSTALLED
    assert len(load_dataset("mnist", tmp_path / "data", download=False).train) == 20

    (mirror / checksums[0][0]).write_bytes(b"tampered")  # a mirror serving another file: its checksum differs
    with served(mirror) as url, pytest.raises(DownloadError, match="not the official file"):
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url])
        download_data_set("mnist", tmp_path / "other")
    assert not (tmp_path / "other" / "MNIST" / "raw" / checksums[0][0]).exists()
