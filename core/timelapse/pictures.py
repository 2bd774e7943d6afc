"""The time-lapse as pictures, headless (Pillow): one image per recorded frame, with fixed axes over the history.

Each image shows the frame's display codes on its (aligned) view plane, coloured by class, a legend, what the frame
is (step, epoch, loss) and a strip of the loss curve with a cursor at the frame's step. The axes are the same for
every frame, so the points move and the axes do not; their ticks are at round plane values. The loss strip's label
has a band of its own above the curve, so the curve never crosses it. The window's export and
`convae-explorer render timelapse` both draw through here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from core.timelapse.recording import HistoryFrames
from core.training.loss_history import running_average

#: Tableau 10, as the window's palette (explorer.utils.palette): the same class has the same colour everywhere.
CLASS_COLORS = (
    (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0x2C, 0xA0, 0x2C), (0xD6, 0x27, 0x28), (0x94, 0x67, 0xBD),
    (0x8C, 0x56, 0x4B), (0xE3, 0x77, 0xC2), (0x7F, 0x7F, 0x7F), (0xBC, 0xBD, 0x22), (0x17, 0xBE, 0xCF),
)  # fmt: skip
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
FAINT = (170, 170, 170)


def class_rgb(index: int) -> tuple[int, int, int]:
    if index < len(CLASS_COLORS):
        return CLASS_COLORS[index]
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(((index - len(CLASS_COLORS)) * 0.618034) % 1.0, 0.65, 0.85)
    return round(r * 255), round(g * 255), round(b * 255)


@dataclass(frozen=True)
class Layout:
    """Where things go on a width×height image: the plot box (pixels) and the data range it shows."""

    width: int
    height: int
    plot: tuple[int, int, int, int]  # left, top, right, bottom (exclusive)
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1 in plane coordinates
    strip: tuple[int, int, int, int]  # the loss strip's box: its label band on top, the curve below it
    font_size: int

    @property
    def strip_label_height(self) -> int:
        """The band at the strip's top that holds its label; the curve is drawn below it."""
        return round(1.5 * self.font_size)  # the label font is smaller; its descenders need the rest

    def ticks(self) -> tuple[list[float], list[float]]:
        """Round plane values (1, 2 or 5 × a power of ten apart) to mark on the x and y axes."""
        x0, x1, y0, y1 = self.bounds
        return nice_ticks(x0, x1), nice_ticks(y0, y1)

    def to_pixels(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel columns and rows of plane positions (y grows upwards on the plot, downwards in the image)."""
        left, top, right, bottom = self.plot
        x0, x1, y0, y1 = self.bounds
        px = left + (np.asarray(xy[:, 0], np.float64) - x0) / (x1 - x0) * (right - 1 - left)
        py = bottom - 1 - (np.asarray(xy[:, 1], np.float64) - y0) / (y1 - y0) * (bottom - 1 - top)
        return np.round(px).astype(np.int64), np.round(py).astype(np.int64)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """At most `most` round values inside [low, high], evenly spaced by 1, 2 or 5 × a power of ten."""
    span = high - low
    if not np.isfinite(span) or span <= 0:
        return []
    raw = span / max(most - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = np.ceil(low / step) * step
    values = first + step * np.arange(int(np.floor((high - first) / step)) + 1)
    return [round(float(v), 12) + 0.0 for v in values if low <= v <= high]  # + 0.0: no "-0"


def tick_text(value: float) -> str:
    """A tick's label: short, no trailing zeros, a plain minus (Pillow's font has no "−")."""
    return f"{value:.4g}"


def layout_for(frames: HistoryFrames, width: int) -> Layout:
    width = int(width)
    height = round(width * 0.75)
    font_size = max(10, width // 50)
    legend = 5 * font_size + 20
    title = 2 * font_size + 14
    strip_height = max(30, height // 9) + round(1.5 * font_size)  # room for the label band above the curve
    ticks_left = 3 * font_size + 8  # the y axis's tick labels
    ticks_below = font_size + 8  # the x axis's tick labels
    plot = (ticks_left, title, width - legend, height - strip_height - 16 - ticks_below)
    strip = (ticks_left, height - strip_height - 6, width - legend, height - 6)
    x0, x1, y0, y1 = frames.bounds()
    pad_x, pad_y = 0.04 * ((x1 - x0) or 1.0), 0.04 * ((y1 - y0) or 1.0)
    if frames.display.model_config.latent_dim == 1:  # a line of points, on a band in the middle
        y0, y1, pad_y = -1.0, 1.0, 0.0
    return Layout(width, height, plot, (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y), strip, font_size)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1 has one bitmap size
        return ImageFont.load_default()


_PLAIN_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
#: A point's pixels, its centre last: every point's centre then shows its own colour (or a later point's on it).
_DISK = [(dx, dy) for dy in range(-3, 4) for dx in range(-3, 4) if 0 < dx * dx + dy * dy <= 2.6 * 2.6] + [(0, 0)]


def draw_frame(
    frames: HistoryFrames, index: int, layout: Layout, title: str = "", losses: np.ndarray | None = None
) -> Image.Image:
    """Frame `index` as an RGB image laid out by `layout`."""
    frame, display = frames.frames[index], frames.display
    pixels = np.full((layout.height, layout.width, 3), BACKGROUND, np.uint8)
    left, top, right, bottom = layout.plot
    px, py = layout.to_pixels(frame.xy)
    colours = np.array([class_rgb(i) for i in range(max(len(display.classes), 1))], np.uint8)
    rgb = colours[np.asarray(display.labels) % len(colours)]
    order = np.random.default_rng(0).permutation(len(px))  # the window's fixed shuffled order: no class on top
    px, py, rgb = px[order], py[order], rgb[order]
    for dx, dy in _DISK:  # later points win, as in the window
        x, y = px + dx, py + dy
        inside = (x >= left) & (x < right) & (y >= top) & (y < bottom)
        pixels[y[inside], x[inside]] = rgb[inside]
    image = Image.fromarray(pixels, "RGB")
    draw = ImageDraw.Draw(image)
    font, small = _font(layout.font_size), _font(max(9, layout.font_size - 2))
    draw.rectangle((left - 1, top - 1, right, bottom), outline=FAINT)
    _draw_ticks(draw, layout, small)
    loss = "n/a" if np.isnan(frame.loss) else f"{frame.loss:.4f}"  # Pillow's font has no dash
    draw.text((left, 4), title, fill=INK, font=font)
    draw.text(
        (left, 6 + layout.font_size),
        f"step {frame.step:,} · epoch {frame.epoch:.2f} · loss {loss} · frame {index + 1} of {len(frames)}",
        fill=INK,
        font=font,
    )
    axes = [t.translate(_PLAIN_DIGITS) for t in frame.plane.axis_titles]  # Pillow's font has no subscripts
    draw.text((left + 4, bottom - layout.font_size - 4), axes[0][:60], fill=FAINT, font=small)
    draw.text((left + 4, top + 2), axes[1][:60], fill=FAINT, font=small)
    _draw_legend(draw, display.classes, layout, font)
    _draw_loss_strip(draw, frames, index, layout, losses, small)
    return image


#: How far a tick mark reaches out of the plot's box, in pixels.
TICK_LENGTH = 4


def _draw_ticks(draw: ImageDraw.ImageDraw, layout: Layout, font) -> None:
    """Tick marks outside the plot's box at round plane values, each with its value."""
    left, _, _, bottom = layout.plot
    xs, ys = layout.ticks()
    columns, _ = layout.to_pixels(np.array([[x, layout.bounds[2]] for x in xs]).reshape(-1, 2))
    _, rows = layout.to_pixels(np.array([[layout.bounds[0], y] for y in ys]).reshape(-1, 2))
    for value, x in zip(xs, columns.tolist(), strict=True):
        draw.line([(x, bottom), (x, bottom + TICK_LENGTH - 1)], fill=INK)
        text = tick_text(value)
        x0, _, x1, _ = draw.textbbox((0, 0), text, font=font)  # centred under its mark (no anchors: old Pillows)
        draw.text((x - (x1 - x0) // 2, bottom + TICK_LENGTH + 1), text, fill=INK, font=font)
    for value, y in zip(ys, rows.tolist(), strict=True):
        draw.line([(left - TICK_LENGTH - 1, y), (left - 2, y)], fill=INK)
        text = tick_text(value)
        x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)  # right-aligned left of its mark, centred on it
        draw.text((left - TICK_LENGTH - 3 - (x1 - x0), y - (y1 + y0) // 2), text, fill=INK, font=font)


def _draw_legend(draw: ImageDraw.ImageDraw, classes: Sequence[str], layout: Layout, font) -> None:
    x = layout.plot[2] + 10
    y = layout.plot[1]
    size = layout.font_size
    for i, name in enumerate(classes):
        draw.rectangle((x, y + 2, x + size - 2, y + size), fill=class_rgb(i))
        draw.text((x + size + 4, y), str(name)[:14], fill=INK, font=font)
        y += size + 6


def _draw_loss_strip(
    draw: ImageDraw.ImageDraw, frames: HistoryFrames, index: int, layout: Layout, losses: np.ndarray | None, font
) -> None:
    """The loss curve (running average of every step when known, else the frames' losses) with a cursor, below the
    strip's label band."""
    left, box_top, right, bottom = layout.strip
    draw.rectangle((left - 1, box_top - 1, right, bottom), outline=FAINT)
    draw.text((left + 4, box_top + 1), "loss (running average)", fill=FAINT, font=font)
    top = box_top + layout.strip_label_height
    last_step = max(1, frames.frames[-1].step)
    if losses is not None and len(losses):
        steps, values = np.arange(1, len(losses) + 1), running_average(np.asarray(losses, np.float64))
        last_step = max(last_step, len(losses))
    else:
        known = [(f.step, f.loss) for f in frames.frames if np.isfinite(f.loss)]
        steps = np.array([s for s, _ in known], np.float64)
        values = np.array([v for _, v in known], np.float64)
    if len(values) >= 2:
        skip = min(len(values) // 10, 50)
        top_value = float(np.percentile(values[skip:], 99)) * 1.1 or 1.0
        xs = left + steps / last_step * (right - 1 - left)
        ys = bottom - 2 - np.clip(values / top_value, 0, 1) * (bottom - top - 4)
        picks = np.unique(np.linspace(0, len(xs) - 1, min(len(xs), 2 * (right - left))).astype(int))
        draw.line(list(zip(xs[picks].tolist(), ys[picks].tolist(), strict=True)), fill=(214, 39, 40), width=1)
    cursor = left + frames.frames[index].step / last_step * (right - 1 - left)
    draw.line([(cursor, top), (cursor, bottom - 1)], fill=INK, width=2)


def frame_images(
    frames: HistoryFrames,
    width: int,
    title: str = "",
    losses: np.ndarray | None = None,
    indices: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    layout = layout_for(frames, width)
    chosen = list(range(len(frames))) if indices is None else list(indices)
    images = []
    for done, i in enumerate(chosen):
        images.append(draw_frame(frames, i, layout, title, losses))
        if progress is not None:
            progress(done + 1, len(chosen))
    return images


def gif_bytes(images: Sequence[Image.Image], fps: float) -> bytes:
    """An animated GIF that loops; the last frame is held a second so the end can be seen."""
    duration = max(20, round(1000 / fps))
    durations = [duration] * len(images)
    durations[-1] = max(duration, 1000)
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, format="GIF", save_all=True, append_images=rest, duration=durations, loop=0, optimize=False)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def mp4_available() -> bool:
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def mp4_bytes(images: Sequence[Image.Image], fps: float) -> bytes:
    """An H.264 MP4 through imageio-ffmpeg (only where it is installed: see mp4_available)."""
    import os
    import tempfile

    import imageio_ffmpeg

    width, height = images[0].size
    width, height = width - width % 2, height - height % 2  # H.264 wants even sizes
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, "out.mp4")
        writer = imageio_ffmpeg.write_frames(target, (width, height), fps=fps, macro_block_size=1)
        writer.send(None)
        for image in images:
            writer.send(np.ascontiguousarray(np.asarray(image.convert("RGB"))[:height, :width]))
        writer.close()
        with open(target, "rb") as handle:
            return handle.read()
