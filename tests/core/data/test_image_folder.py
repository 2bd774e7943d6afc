"""Image folders (core.data.image_folder): real PNG folders written with Pillow, read as torchvision's ImageFolder lays
them out, decoded once and cached; bad files counted in one notice; bad folders refused with a sentence."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from core_testkit import REPO_ROOT, fast_config
from PIL import Image, ImageOps

import core.data.image_folder as image_folder
from core.data.datasets import DatasetError, load_dataset, load_dataset_for_model, load_image_folder
from core.data.image_folder import (
    CACHE_DIR_ENV,
    default_cache_dir,
    default_size,
    list_image_folder,
    progress_printer,
)
from core.events import TrainingEnded
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.latent.view import view_of
from core.runs.start import SAVED_DISPLAY_SUFFIX, new_run, opened_run
from core.settings import ModelConfig, dataset_file_stem, dataset_short_title, folder_dataset_name
from core.timelapse.recording import HistoryRecorder, RunHistory
from core.training.engine import Trainer, TrainingControl


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test caches in its own folder, never in the user's cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_DIR_ENV, str(cache))
    return cache / "folders"


def picture(seed: int, height: int, width: int, colour: bool) -> np.ndarray:
    """A picture with structure (a gradient and a bright block), different for every seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = ((x * 3 + y * 5 + seed * 17) % 200).astype(np.uint8)
    top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
    base[top : top + height // 3, left : left + width // 3] = 250
    if not colour:
        return base
    return np.stack([base, np.roll(base, seed % 7 + 1, axis=1), 255 - base], axis=-1)


def write_png(path: Path, array: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return path


def mixed_folder(root: Path) -> Path:
    """Classes 'circles' (grey 28×28), 'squares' (RGB 36×36) and 'stars' (grey 28×28 and RGB 36×36, one nested
    a level deeper), and a corrupt PNG: median side 32."""
    for i in range(6):
        write_png(root / "circles" / f"c{i}.png", picture(i, 28, 28, colour=False))
        write_png(root / "squares" / f"s{i}.png", picture(10 + i, 36, 36, colour=True))
    write_png(root / "stars" / "a.png", picture(20, 28, 28, colour=False))
    write_png(root / "stars" / "deeper" / "b.png", picture(21, 36, 36, colour=True))
    (root / "squares" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    return root


# --- layout, as torchvision's ImageFolder reads it ------------------------------------------------------------------


def test_the_extension_list_is_torchvisions() -> None:
    from torchvision.datasets.folder import IMG_EXTENSIONS

    assert image_folder.IMG_EXTENSIONS == IMG_EXTENSIONS


def test_classes_labels_and_order_are_image_folders(tmp_path: Path) -> None:
    from torchvision.datasets import ImageFolder

    root = mixed_folder(tmp_path / "shapes")
    reference = ImageFolder(str(root))
    listing = list_image_folder(root)
    assert listing.classes == tuple(reference.classes) == ("circles", "squares", "stars")
    assert [str(root / f) for f in listing.files] == [path for path, _ in reference.samples]
    assert list(listing.labels) == [label for _, label in reference.samples]


def test_a_mixed_folder_is_colour_at_the_median_size_without_the_corrupt_file(tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "shapes")
    dataset = load_image_folder(root)
    assert dataset.name == f"folder:{root}"
    assert dataset.classes == ("circles", "squares", "stars")
    assert (dataset.channels, dataset.image_size) == (3, 32)  # median of 28s and 36s, colour as some files are
    assert len(dataset.train) == 14 and dataset.test is None
    assert dataset.train.labels.tolist() == [0] * 6 + [1] * 6 + [2] * 2
    assert dataset.train.images.dtype == torch.uint8 and dataset.train.images.is_contiguous()
    assert dataset.notice is not None
    assert "1 of 15 image files could not be read and were skipped" in dataset.notice
    assert "squares/broken.png" in dataset.notice
    # each image is Pillow's own resize of the file (shorter side to 32, bicubic), grey ones repeated in R, G, B
    for index, name in [(0, "circles/c0.png"), (7, "squares/s1.png"), (13, "stars/deeper/b.png")]:
        with Image.open(root / name) as file:
            expected = np.asarray(ImageOps.fit(file.convert("RGB"), (32, 32), Image.Resampling.BICUBIC))
        assert np.array_equal(dataset.train.images[index].permute(1, 2, 0).numpy(), expected), name


def test_non_square_images_keep_their_centre(tmp_path: Path) -> None:
    """Shorter side resized, the longer one centre-cropped: nothing is stretched."""
    wide = np.zeros((20, 60), np.uint8)
    wide[:, 20:40] = 255  # the middle third is white, the rest black
    write_png(tmp_path / "wide" / "w.png", wide)
    dataset = load_image_folder(tmp_path / "wide", size=20)
    assert dataset.train.images.shape == (1, 1, 20, 20)
    assert dataset.train.images.min() == 255  # only the white centre is kept


def test_a_flat_folder_is_one_class_named_after_it(tmp_path: Path) -> None:
    for i in range(3):
        write_png(tmp_path / "my digits" / f"{i}.png", picture(i, 28, 28, colour=False))
    dataset = load_image_folder(tmp_path / "my digits")
    assert dataset.classes == ("my digits",)
    assert (len(dataset.train), dataset.channels, dataset.image_size) == (3, 1, 28)
    assert dataset.notice is None
    reference = np.stack([picture(i, 28, 28, colour=False) for i in range(3)])
    assert np.array_equal(dataset.train.images[:, 0].numpy(), reference)  # no resize: the files' own pixels


def test_rgb_files_of_grey_pictures_are_grey_and_the_options_override(tmp_path: Path) -> None:
    root = tmp_path / "grey-in-rgb"
    for i in range(3):
        grey = picture(i, 28, 28, colour=False)
        write_png(root / f"{i}.png", np.stack([grey] * 3, axis=-1))
    assert load_image_folder(root).channels == 1
    assert load_image_folder(root, colour=True).channels == 3
    coloured = tmp_path / "colour"
    write_png(coloured / "c.png", picture(5, 28, 28, colour=True))
    grey = load_image_folder(coloured, colour=False)
    with Image.open(coloured / "c.png") as file:
        assert np.array_equal(grey.train.images[0, 0].numpy(), np.asarray(file.convert("L")))
    assert load_image_folder(coloured, size=16).image_size == 16


def test_16_bit_grey_is_scaled_not_clipped_and_photos_stand_upright(tmp_path: Path) -> None:
    deep = (np.arange(16 * 16, dtype=np.uint16).reshape(16, 16) * 257).astype(np.uint16)  # 0 … 65535
    write_png(tmp_path / "deep" / "d.png", deep)
    with Image.open(tmp_path / "deep" / "d.png") as file:
        assert file.mode.startswith("I;16")  # the case Pillow's own conversion to L clips
    grey = load_image_folder(tmp_path / "deep").train.images[0, 0].numpy()
    assert np.array_equal(grey, (deep // 257).astype(np.uint8))

    tall = np.zeros((40, 20, 3), np.uint8)
    tall[:20] = (250, 0, 0)  # upright: red on top, black below
    photo = Image.fromarray(np.ascontiguousarray(np.rot90(tall, k=1)))  # stored lying on its side, red on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view": the camera's way of saying it was held upright
    (tmp_path / "photos").mkdir()
    photo.save(tmp_path / "photos" / "p.jpg", exif=exif, quality=95)
    red = load_image_folder(tmp_path / "photos", size=20).train.images[0, 0].numpy()
    assert red[0].mean() > 200 and red[-1].mean() < 30  # red on top, black below (of the centre 20 rows of 40)


def test_loose_images_empty_and_hidden_folders_are_left_out_and_said(tmp_path: Path) -> None:
    root = tmp_path / "sorted"
    write_png(root / "cats" / "1.png", picture(1, 28, 28, colour=False))
    write_png(root / "cats" / ".hidden.png", picture(2, 28, 28, colour=False))
    write_png(root / ".thumbnails" / "t.png", picture(3, 28, 28, colour=False))
    write_png(root / "cats" / ".cache" / "t.png", picture(3, 28, 28, colour=False))
    (root / "cats" / "loop").symlink_to(root / "cats")  # a link back up is not followed round and round
    write_png(root / "dogs" / "2.png", picture(4, 28, 28, colour=False))
    write_png(root / "stray.png", picture(5, 28, 28, colour=False))
    (root / "empty").mkdir()
    (root / "dogs" / "notes.txt").write_text("not an image")
    dataset = load_image_folder(root)
    assert dataset.classes == ("cats", "dogs")
    assert len(dataset.train) == 2
    assert "1 image files directly in the folder belong to no class sub-folder" in dataset.notice
    assert "sub-folders without images were left out: empty" in dataset.notice


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nowhere", "does not exist"),
        (lambda p: write_png(p / "one.png", picture(0, 8, 8, False)), "is a file, not a folder of images"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no images in"),
        (lambda p: write_txt(p / "texts" / "a.txt"), "no images in"),
        (lambda p: corrupt_only(p / "bad"), "none of the 2 image files in"),
    ],
)
def test_bad_folders_are_refused_with_a_sentence(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    with pytest.raises(DatasetError, match=message):
        load_image_folder(path)


def write_txt(path: Path) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text("x")
    return path.parent


def corrupt_only(root: Path) -> Path:
    root.mkdir()
    (root / "a.png").write_bytes(b"not a png")
    (root / "b.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    return root


@pytest.mark.parametrize("size", [30, 4, 68, 32.0])
def test_sizes_that_are_not_multiples_of_4_from_8_to_64_are_refused(tmp_path: Path, size) -> None:
    write_png(tmp_path / "f" / "a.png", picture(0, 28, 28, False))
    with pytest.raises(DatasetError, match="multiple of 4 from 8 to 64"):
        load_image_folder(tmp_path / "f", size=size)


def test_default_size_is_the_median_shorter_side_to_a_multiple_of_4_at_most_64() -> None:
    assert default_size([28, 28, 36]) == 28
    assert default_size([28, 36]) == 32
    assert default_size([30]) == 32 and default_size([29]) == 28
    assert default_size([500, 1000]) == 64
    assert default_size([3, 5]) == 8


# --- progress and the cache --------------------------------------------------------------------------------------


def test_progress_is_reported_from_the_loading_thread_up_to_the_total(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(image_folder, "_CHUNK", 4)
    root = mixed_folder(tmp_path / "shapes")
    calls: list[tuple[int, int, int]] = []
    load_image_folder(root, progress=lambda done, total: calls.append((done, total, threading.get_ident())))
    assert calls[0][:2] == (0, 15) and calls[-1][:2] == (15, 15)
    assert len(calls) >= 5  # 15 files in chunks of 4: one call per chunk
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    assert {c[2] for c in calls} == {threading.get_ident()}


def test_the_second_load_comes_from_the_cache(tmp_path: Path, monkeypatch, private_cache: Path) -> None:
    root = mixed_folder(tmp_path / "shapes")
    first = load_image_folder(root)
    cached_files = list(private_cache.iterdir())
    assert len(cached_files) == 1 and cached_files[0].suffix == ".safetensors"

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again although the folder did not change")

    monkeypatch.setattr(image_folder, "_decode_listing", no_decoding)
    second = load_dataset(f"folder:{root}")
    assert torch.equal(second.train.images, first.train.images)
    assert torch.equal(second.train.labels, first.train.labels)
    assert (second.name, second.classes, second.notice) == (first.name, first.classes, first.notice)
    with pytest.raises(AssertionError, match="decoded again"):  # other options are another cache entry
        load_image_folder(root, size=16)
    assert default_cache_dir() == private_cache


@pytest.mark.parametrize("change", ["add", "remove", "touch", "rename"])
def test_a_changed_folder_is_decoded_again(tmp_path: Path, private_cache: Path, change: str) -> None:
    root = mixed_folder(tmp_path / "shapes")
    before = load_image_folder(root)
    target = root / "circles" / "c0.png"
    if change == "add":
        write_png(root / "circles" / "new.png", picture(99, 28, 28, False))
    elif change == "remove":
        target.unlink()
    elif change == "touch":  # same name and size, new content: the modification time tells
        write_png(target, 255 - picture(0, 28, 28, False))
        os.utime(target, ns=(1, 1))
    else:
        target.rename(root / "stars" / "c0.png")
    after = load_image_folder(root)
    assert not torch.equal(after.train.images, before.train.images) or not torch.equal(
        after.train.labels, before.train.labels
    )
    assert len(list(private_cache.iterdir())) == 1  # the folder's entry was replaced, not added to
    fresh = load_image_folder(root, cache_dir=tmp_path / "elsewhere")
    assert torch.equal(after.train.images, fresh.train.images)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "foreign"])
def test_a_damaged_cache_is_rebuilt_without_a_word(tmp_path: Path, private_cache: Path, damage: str) -> None:
    root = mixed_folder(tmp_path / "shapes")
    first = load_image_folder(root)
    (cache_file,) = private_cache.iterdir()
    data = cache_file.read_bytes()
    if damage == "truncate":
        cache_file.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        cache_file.write_bytes(os.urandom(len(data)))
    elif damage == "empty":
        cache_file.write_bytes(b"")
    else:
        from safetensors.torch import save

        cache_file.write_bytes(save({"images": torch.zeros(1, dtype=torch.uint8)}, {"format": "something else"}))
    again = load_image_folder(root)
    assert torch.equal(again.train.images, first.train.images)
    assert cache_file.read_bytes() != b"" and len(cache_file.read_bytes()) == len(data)  # rewritten whole


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "shapes")
    blocker = tmp_path / "a file"
    blocker.write_text("the cache folder cannot be made inside a file")
    dataset = load_image_folder(root, cache_dir=blocker / "folders")
    assert len(dataset.train) == 14


def test_progress_printer_is_silent_for_a_fast_load_and_counts_a_slow_one(capsys) -> None:
    now = [100.0]
    quick = progress_printer("Reading x", clock=lambda: now[0])
    quick(0, 10)
    now[0] += 0.9
    quick(10, 10)
    assert capsys.readouterr().err == ""
    slow = progress_printer("Reading x", clock=lambda: now[0])
    for done, seconds in [(0, 0.0), (3, 0.5), (5, 0.6), (7, 0.5), (10, 0.1)]:
        now[0] += seconds
        slow(done, 10)
    assert capsys.readouterr().err.splitlines() == ["Reading x: 5 of 10 images", "Reading x: 10 of 10 images"]


def test_a_window_run_on_a_folder_says_how_far_reading_has_got_and_what_was_skipped(
    tmp_path: Path, monkeypatch
) -> None:
    """The window's runs load through core.runs.start.load_with_fallback: progress and the skipped file reach its
    banner."""
    from core.runs import start as runs

    root = mixed_folder(tmp_path / "shapes")
    made = []

    def eager_reporter(what, say, interval_s):  # as if every chunk took longer than the interval
        made.append(interval_s)
        return image_folder.progress_reporter(what, say, -1.0)

    monkeypatch.setattr(runs, "progress_reporter", eager_reporter)
    monkeypatch.setenv("CONVAE_CACHE_DIR", str(tmp_path / "cache"))
    said: list[str] = []
    dataset = runs.load_with_fallback(folder_dataset_name(root), said.append)
    assert len(dataset.train) == 14
    progress = [line for line in said if line.startswith("Reading the images in")]
    assert made == [0.5] and progress[0].endswith("0 of 15 images") and progress[-1].endswith("15 of 15 images")
    assert any("broken.png" in line or "1 file" in line for line in said if line not in progress), said


# --- names, training, checkpoints ---------------------------------------------------------------------------------


def test_folder_names_are_absolute_and_make_file_stems(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert folder_dataset_name("pics") == f"folder:{tmp_path / 'pics'}"
    assert dataset_file_stem(f"folder:{tmp_path / 'my pics'}") == "my_pics"
    assert dataset_file_stem("mnist") == "mnist"
    # the status bar names a folder by its base name: a whole path pushed "Opened …" off a 1024-pixel window
    assert dataset_short_title(f"folder:{tmp_path / 'my pics'}/") == "the folder my pics"
    assert dataset_short_title("digits-5k") == "the built-in digits"


def rgb_class_folder(root: Path, per_class: int = 16) -> Path:
    for c, name in enumerate(("cats", "dogs", "frogs")):
        for i in range(per_class):
            write_png(root / name / f"{i}.png", picture(c * 100 + i, 16, 16, colour=True))
    return root


def test_one_epoch_trains_through_the_loader_and_the_checkpoint_reopens(tmp_path: Path) -> None:
    root = rgb_class_folder(tmp_path / "pets")
    dataset = load_dataset(f"folder:{root}")
    assert (dataset.channels, dataset.image_size) == (3, 16)
    trainer = Trainer(dataset, fast_config(batch_size=8))
    history = RunHistory()
    recorder = HistoryRecorder(history, trainer.model_config)
    for event in trainer.run(TrainingControl()):
        recorder.consume(event)
    assert isinstance(event, TrainingEnded) and trainer.progress.epoch == 1
    path = save_checkpoint(tmp_path / "pets.safetensors", Checkpoint.from_trainer(trainer, history))
    bare = save_checkpoint(tmp_path / "bare.safetensors", Checkpoint.from_trainer(trainer))
    loaded = load_checkpoint(path)
    assert loaded.dataset == f"folder:{root}"
    assert loaded.classes == ("cats", "dogs", "frogs")
    assert (loaded.model_config.channels, loaded.model_config.image_size) == (3, 16)

    notes: list[str] = []
    reopened = opened_run(path, notes.append)
    assert reopened.trainer.dataset.name == loaded.dataset and notes == []
    # read at the model's shape even where the default would differ: the folder grew bigger pictures
    write_png(root / "cats" / "big.png", picture(7, 64, 64, colour=True))
    write_png(root / "cats" / "big2.png", picture(8, 64, 64, colour=True))
    assert load_dataset_for_model(loaded.dataset, loaded.model_config).image_size == 16

    root.rename(tmp_path / "moved")
    # gone: the display images the time-lapse saved stand in, under a name that says so
    shown = opened_run(path, notes.append)
    assert shown.trained_on == loaded.dataset
    assert shown.trainer.dataset.name == f"{loaded.dataset}{SAVED_DISPLAY_SUFFIX}"
    assert np.array_equal(shown.trainer.dataset.train.images.numpy(), history.display.display_images)
    assert len(notes) == 1 and "showing the 48 display images saved in the model" in notes[0]
    with torch.no_grad():
        codes = view_of(shown.trainer.snapshot()).snapshot.codes
    assert codes.shape == (48, 2) and np.isfinite(codes).all()
    # without a time-lapse there is nothing to show: the message says where the images were
    with pytest.raises(DatasetError, match=r"trained on the images in .*pets \(3×16×16 images\).*Put the folder back"):
        opened_run(bare, notes.append)


def run_cli(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), CACHE_DIR_ENV: str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_train_command_trains_on_a_folder_of_rgb_pngs(tmp_path: Path) -> None:
    root = rgb_class_folder(tmp_path / "pets")
    (root / "dogs" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    done = run_cli("train", "--dataset", "folder:pets", "--epochs", "1", "--threads", "1", "--out", "f.safetensors",
                   "--image-size", "12", cwd=tmp_path, cache=tmp_path / "cache")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "1 of 49 image files could not be read and were skipped (dogs/bad.png" in done.stderr
    checkpoint = load_checkpoint(tmp_path / "f.safetensors")
    assert checkpoint.dataset == f"folder:{root}"
    assert checkpoint.classes == ("cats", "dogs", "frogs")
    assert checkpoint.model_config == ModelConfig(2, 3, 12)
    assert checkpoint.progress.epoch == 1
    again = run_cli("train", "--resume", "f.safetensors", "--epochs", "2", "--threads", "1", "--out", "g.safetensors",
                    cwd=tmp_path, cache=tmp_path / "cache")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert load_checkpoint(tmp_path / "g.safetensors").progress.epoch == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--dataset", "folder:missing"], 1, "does not exist"),
        (["--dataset", "folder:"], 2, "folder: needs a path"),
        (["--dataset", "cifar-11"], 2, "or folder:PATH"),
        (["--image-size", "32"], 2, "apply to --dataset folder:PATH only"),
        (["--dataset", "folder:x", "--image-size", "30"], 2, "multiple of 4"),
        (["--dataset", "folder:x", "--colour", "--grey"], 2, "not allowed with argument"),
    ],
)
def test_bad_folder_arguments_get_a_sentence(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    done = run_cli("train", *args, "--epochs", "1", cwd=tmp_path, cache=tmp_path / "cache")
    assert done.returncode == code
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not list(tmp_path.glob("*.safetensors"))


def test_the_bench_figure_loads_its_folder_twice_and_reports_both(monkeypatch, digits) -> None:
    import core.bench.folder_load as folder_load

    monkeypatch.setattr(folder_load, "GREY_COUNT", 60)
    monkeypatch.setattr(folder_load, "COLOUR_COUNT", 20)
    first, cached = folder_load.measure_folder_load(digits, quick=True, say=lambda message: None)
    assert first.unit == "img/s" and first.value > 0 and first.met == (first.value >= folder_load.FIRST_GOAL)
    assert "80 small PNGs" in first.name and "→ uint8 80×3×28×28" in first.detail
    assert cached.unit == "s" and cached.value > 0 and cached.met == (cached.value <= folder_load.CACHED_GOAL_S)


def test_a_new_run_on_a_folder_says_what_was_skipped_and_never_falls_back(tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "shapes")
    notes: list[str] = []
    run = new_run(f"folder:{root}", 2, fast_config(batch_size=8), notes.append)
    assert run.trained_on == f"folder:{root}"
    assert (run.trainer.model_config.channels, run.trainer.model_config.image_size) == (3, 32)
    assert len(notes) == 1 and "could not be read and were skipped" in notes[0]
    with pytest.raises(DatasetError, match="does not exist"):  # the user's choice is not swapped for the digits
        new_run(f"folder:{tmp_path / 'gone'}", 2, fast_config(batch_size=8), notes.append)
    assert len(notes) == 1
