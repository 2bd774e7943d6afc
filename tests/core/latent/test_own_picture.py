"""Your own picture made into one of the data's images (core.latent.own_picture), and snapshots that can encode it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config, recorded_run
from PIL import Image, ImageDraw

from core.data.datasets import ImageDataset
from core.latent.own_picture import ImageFormat, PictureError, centre_of_mass, read_picture, to_dataset_format
from core.latent.pinned_image import as_network_input, pin_image
from core.latent.view import view_of
from core.model.autoencoder import ModelConfig
from core.training.engine import Trainer

Subset = Callable[[int], ImageDataset]
DIGITS_FORMAT = ImageFormat(1, 28, True, 20, (14.0, 14.0))


def stroke(size: tuple[int, int], line: list[tuple[int, int]], ink: int = 255, paper: int = 0, width: int = 18):
    picture = Image.new("L", size, paper)
    ImageDraw.Draw(picture).line(line, fill=ink, width=width)
    return np.asarray(picture)


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows = np.nonzero(image.max(axis=1) >= 0.2 * image.max())[0]
    columns = np.nonzero(image.max(axis=0) >= 0.2 * image.max())[0]
    return int(rows[-1] - rows[0] + 1), int(columns[-1] - columns[0] + 1)


def test_the_format_is_read_from_the_digits_own_images(digits: ImageDataset) -> None:
    form = ImageFormat.of_images(digits.train.images.numpy())
    assert (form.channels, form.size, form.dark_background, form.box) == (1, 28, True, 20)
    assert form.centre == pytest.approx((14.0, 14.0), abs=0.3)  # MNIST puts the centre of mass mid-field


def test_full_frame_and_photo_like_data_are_not_framed_like_digits() -> None:
    rng = np.random.default_rng(0)
    full = np.zeros((50, 1, 28, 28), np.uint8)
    full[:, :, 1:27, 1:27] = 200  # items that fill the frame, on black (Fashion-MNIST's way)
    form = ImageFormat.of_images(full)
    assert form.dark_background and form.box is None
    photos = rng.integers(0, 256, (50, 3, 32, 32), dtype=np.uint8)
    assert ImageFormat.of_images(photos) == ImageFormat(3, 32, False)


def test_a_small_stroke_in_a_corner_is_framed_and_centred_like_mnist() -> None:
    drawing = stroke((224, 224), [(30, 20), (30, 80)])  # a short "1" in the top-left corner
    image = to_dataset_format(drawing, DIGITS_FORMAT)
    assert image.shape == (1, 28, 28) and image.dtype == np.uint8
    height, width = ink_box(image[0].astype(float))
    assert height == 20 and width < 12  # the longer side spans MNIST's 20-pixel box, the aspect is kept
    assert centre_of_mass(image[0].astype(float)) == pytest.approx((14.0, 14.0), abs=0.6)
    # the same stroke twice as large in the middle of the canvas becomes the same image: where and how large it
    # was drawn does not matter, as for MNIST's writers
    big = to_dataset_format(stroke((224, 224), [(112, 60), (112, 180)], width=36), DIGITS_FORMAT)
    assert np.abs(big.astype(int) - image.astype(int)).mean() < 4


def test_dark_ink_on_light_paper_is_inverted_for_a_white_on_black_data_set() -> None:
    white_on_black = to_dataset_format(stroke((100, 100), [(50, 10), (50, 90)], width=8), DIGITS_FORMAT)
    paper = stroke((100, 100), [(50, 10), (50, 90)], ink=10, paper=240, width=8)
    inverted = to_dataset_format(paper, DIGITS_FORMAT)
    assert inverted[0, 0].max() == 0 and inverted.max() > 200
    assert np.abs(inverted.astype(int) - white_on_black.astype(int)).max() <= 40
    # a colour photo of it (RGB, not square) on a grey data set: one channel, still inverted
    rgb = np.stack([paper, paper, np.clip(paper.astype(int) + 10, 0, 255).astype(np.uint8)], axis=-1)[:, 10:90]
    assert np.abs(to_dataset_format(rgb, DIGITS_FORMAT).astype(int) - inverted.astype(int)).max() <= 40


def test_channels_and_sizes_follow_the_format() -> None:
    drawing = stroke((224, 224), [(112, 30), (112, 190)])
    colour = to_dataset_format(drawing, ImageFormat(3, 32, True, None, (15.5, 15.5)))
    assert colour.shape == (3, 32, 32)
    assert np.array_equal(colour[0], colour[1]) and np.array_equal(colour[1], colour[2])  # white on black in all three
    assert colour[:, 16, 16].min() > 200 and colour[:, 16, 2].max() == 0
    photo = np.zeros((60, 90, 3), np.uint8)
    photo[..., 0] = 250  # a red, wide photo on a colour data set of photos: centre square, resized, not inverted
    photo[:, :15] = (0, 0, 250)  # a blue band that the square crop cuts off
    converted = to_dataset_format(photo, ImageFormat(3, 16, False))
    assert converted.shape == (3, 16, 16)
    assert converted[0].min() > 240 and converted[2].max() < 10
    floats = to_dataset_format(photo.astype(np.float32) / 255, ImageFormat(1, 12, False))  # floats 0–1, grey
    assert floats.shape == (1, 12, 12) and abs(int(floats.mean()) - round(250 / 3)) <= 2


def test_transparent_sheets_and_blank_drawings() -> None:
    ink = np.zeros((64, 64, 4), np.uint8)
    ink[10:54, 28:36] = (0, 0, 0, 255)  # black ink on a transparent sheet: it goes on white, then is inverted
    image = to_dataset_format(ink, DIGITS_FORMAT)
    assert image.max() > 200 and image[0, 0].max() == 0
    blank = to_dataset_format(np.zeros((224, 224), np.uint8), DIGITS_FORMAT)
    assert blank.shape == (1, 28, 28) and blank.max() == 0


def test_files_that_are_not_pictures_are_refused_in_words(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(PictureError, match=r"notes\.png is not a picture"):
        read_picture(text)
    with pytest.raises(PictureError, match=r"missing\.png does not exist"):
        read_picture(tmp_path / "missing.png")
    truncated = tmp_path / "cut.png"
    Image.new("RGB", (300, 300), "white").save(tmp_path / "whole.png")
    truncated.write_bytes((tmp_path / "whole.png").read_bytes()[:200])
    with pytest.raises(PictureError, match=r"cut\.png"):
        read_picture(truncated)
    assert read_picture(tmp_path / "whole.png").size == (300, 300)


@pytest.mark.parametrize("kind", ["autoencoder", "variational"])
def test_a_snapshot_encodes_like_its_own_codes(digits_subset: Subset, kind: str) -> None:
    trainer = Trainer(digits_subset(96), fast_config(), ModelConfig(latent_dim=3, kind=kind))
    view = view_of(trainer.snapshot())
    assert view.can_encode
    codes = view.encode(view.snapshot.display_images)
    np.testing.assert_allclose(codes, view.snapshot.codes, atol=1e-4)  # the same weights as the points (μ for a VAE)
    pinned = pin_image(view, view.snapshot.display_images[5])
    assert pinned.nearest[0] == 5 and pinned.xy == pytest.approx(tuple(view.xy[5]), abs=1e-4)
    assert pinned.reconstruction.shape == (1, 28, 28)


def test_recorded_frames_keep_their_encoder(digits_subset: Subset) -> None:
    _trainer, history, snapshots = recorded_run(digits_subset(96), epochs=1)
    frames = history.frozen()
    first, last = frames.view(0), frames.view(len(frames) - 1)
    assert first.can_encode and last.can_encode
    picture = stroke((224, 224), [(112, 30), (112, 190)])
    early, late = (pin_image(v, as_network_input(v, picture)) for v in (first, last))
    assert not np.allclose(early.code, late.code)  # each frame encodes with its own weights
    live = view_of(snapshots[-1])
    np.testing.assert_allclose(
        late.code, pin_image(live, as_network_input(live, picture)).code, atol=2e-2
    )  # float16-stored weights
    assert early.step == first.snapshot.step
