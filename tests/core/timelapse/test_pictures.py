"""`render timelapse`: a GIF of every kept frame, frames that differ, and points drawn where their codes are."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from core_testkit import recorded_run
from PIL import Image

from core.commands.main import main
from core.data.datasets import ImageDataset
from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from core.timelapse.pictures import class_rgb, layout_for

Subset = Callable[[int], ImageDataset]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory: pytest.TempPathFactory, digits_subset: Subset) -> Path:
    trainer, history, _ = recorded_run(digits_subset(96), latent=2, epochs=3)
    return save_checkpoint(tmp_path_factory.mktemp("run") / "r.safetensors", Checkpoint.from_trainer(trainer, history))


def test_gif_has_one_frame_per_kept_snapshot_and_they_differ(tmp_path: Path, run_file: Path, capsys) -> None:
    out = tmp_path / "r.gif"
    assert main(["render", "timelapse", str(run_file), "--out", str(out), "--fps", "12", "--width", "400"]) == 0
    history = load_checkpoint(run_file).history
    with Image.open(out) as gif:
        assert gif.n_frames == len(history) >= 4
        assert gif.size == (400, 300)
        pictures = []
        for i in range(gif.n_frames):
            gif.seek(i)
            pictures.append(np.asarray(gif.convert("RGB")).astype(int))
    for a, b in itertools.pairwise(pictures):
        assert np.abs(a - b).sum(axis=2).astype(bool).sum() > 50, "two frames look the same"
    assert "frames at 12 fps" in capsys.readouterr().out


def test_a_png_frame_draws_each_point_at_its_code_in_its_class_colour(tmp_path: Path, run_file: Path) -> None:
    out = tmp_path / "f.png"
    assert main(["render", "timelapse", str(run_file), "--out", str(out), "--frame", "3", "--width", "500"]) == 0
    frames = load_checkpoint(run_file).history.frozen()
    frame = frames.frames[2]
    layout = layout_for(frames, 500)
    px, py = layout.to_pixels(frame.xy)
    pixels = np.asarray(Image.open(out).convert("RGB"))
    labels = frames.display.labels
    last = int(np.random.default_rng(0).permutation(len(labels))[-1])  # drawn last: nothing covers its centre
    assert tuple(pixels[py[last], px[last]]) == class_rgb(int(labels[last]))
    palette = {class_rgb(i) for i in range(10)}
    assert all(tuple(pixels[y, x]) in palette for x, y in zip(px, py, strict=True))
    # and nowhere else in the plot is a class colour farther than a point's radius from a point
    left, top, right, bottom = layout.plot
    mask = np.zeros(pixels.shape[:2], bool)
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            mask[np.clip(py + dy, 0, pixels.shape[0] - 1), np.clip(px + dx, 0, pixels.shape[1] - 1)] = True
    plot = pixels[top + 20 : bottom - 20, left + 40 : right - 40]
    coloured = np.array([[tuple(p) in palette for p in row] for row in plot])
    assert not (coloured & ~mask[top + 20 : bottom - 20, left + 40 : right - 40]).any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.mp4"], "MP4 needs the imageio-ffmpeg package"),
        (["--out", "x.bmp"], "--out must end in .gif, .mp4 or .png"),
        (["--out", "x.png", "--frame", "99"], "--frame must be from 1 to"),
    ],
)
def test_bad_requests_get_a_clear_message(
    tmp_path: Path, run_file: Path, capsys, args: list[str], message: str
) -> None:
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    assert main(["render", "timelapse", str(run_file), *args]) != 0
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_not_replaced_without_force(tmp_path: Path, run_file: Path, capsys) -> None:
    out = tmp_path / "keep.gif"
    out.write_bytes(b"mine")
    assert main(["render", "timelapse", str(run_file), "--out", str(out)]) == 1
    assert out.read_bytes() == b"mine" and "--force" in capsys.readouterr().err
    assert main(["render", "timelapse", str(run_file), "--out", str(out), "--force"]) == 0
    assert out.read_bytes()[:6] == b"GIF89a"


def test_a_checkpoint_without_history_is_refused_clearly(tmp_path: Path, digits_subset: Subset, capsys) -> None:
    trainer, _, _ = recorded_run(digits_subset(64), epochs=1)
    path = save_checkpoint(tmp_path / "old.safetensors", Checkpoint.from_trainer(trainer))
    assert main(["render", "timelapse", str(path), "--out", str(tmp_path / "o.gif")]) == 1
    assert "holds no run history" in capsys.readouterr().err


LOSS_RED = (214, 39, 40)


def test_the_loss_label_is_clear_of_its_curve_and_the_axes_have_ticks(tmp_path: Path, run_file: Path) -> None:
    """Issue 25, defect 13: the loss strip's label was struck through by its curve, and the plot's axes had no ticks."""
    from PIL import ImageDraw

    from core.timelapse.pictures import INK, TICK_LENGTH, _font, tick_text

    frames = load_checkpoint(run_file).history.frozen()
    for width, frame in ((400, 1), (640, len(frames))):
        out = tmp_path / f"f{width}.png"
        assert main(["render", "timelapse", str(run_file), "--out", str(out), "--frame", str(frame),
                     "--width", str(width)]) == 0  # fmt: skip
        pixels = np.asarray(Image.open(out).convert("RGB"))
        layout = layout_for(frames, width)
        left, top, right, bottom = layout.strip
        red = (pixels == LOSS_RED).all(axis=2)
        assert red[top:bottom, left:right].sum() > (right - left) // 2  # the curve is drawn
        small = _font(max(9, layout.font_size - 2))
        x0, y0, x1, y1 = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox(
            (left + 4, top + 1), "loss (running average)", font=small
        )
        assert not red[y0 : y1 + 1, x0 : x1 + 1].any(), "the curve crosses the label"
        assert y1 < top + layout.strip_label_height  # the label sits in its band, the curve below it

        plot_left, _, _, plot_bottom = layout.plot
        xs, ys = layout.ticks()
        assert len(xs) >= 3 and len(ys) >= 3
        columns, _ = layout.to_pixels(np.array([[x, 0.0] for x in xs]))
        _, rows = layout.to_pixels(np.array([[0.0, y] for y in ys]))
        ink = (pixels == INK).all(axis=2)
        dark = pixels.astype(int).sum(axis=2) < 3 * 128  # text is antialiased: its strokes are dark, not all INK
        for x in columns:  # a mark below the box at each tick's column, and its value under it
            assert ink[plot_bottom : plot_bottom + TICK_LENGTH, x].all()
            assert dark[plot_bottom + TICK_LENGTH + 1 : plot_bottom + TICK_LENGTH + layout.font_size + 2,
                       x - 12 : x + 13].any()  # fmt: skip
        for y in rows:  # a mark left of the box at each tick's row, and its value left of it
            assert ink[y, plot_left - TICK_LENGTH - 1 : plot_left - 1].all()
            assert dark[y - 5 : y + 6, : plot_left - TICK_LENGTH - 2].any()
        between = (columns[0] + columns[1]) // 2  # no mark between two ticks
        assert not ink[plot_bottom : plot_bottom + TICK_LENGTH, between].any()
        assert tick_text(-0.5) == "-0.5" and tick_text(2.0) == "2"
