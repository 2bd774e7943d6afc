"""An animated GIF written one frame at a time, so a time-lapse of any length and width holds one frame in memory.

Pillow's GIF writer keeps every frame it is given until it writes the file (it compares each with the one before),
so `render timelapse --width 4000` held all 160 frames (10.4 GB) and a 1,000-frame history ended in MemoryError.
Here each frame is encoded alone by Pillow as a one-frame GIF, and its image block (with its palette as a local
colour table) is copied into the animation behind a graphic control block that sets its duration: the frames keep
their own palettes, as Pillow's writer gives them, and none is held once written.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from typing import BinaryIO

from PIL import Image

_LOOP_FOREVER = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"


def _skip_sub_blocks(data: bytes, at: int) -> int:
    """The index just past a chain of GIF data sub-blocks (each a length byte and that many bytes, 0 ends it)."""
    while data[at]:
        at += data[at] + 1
    return at + 1


def _image_block(frame: Image.Image) -> tuple[bytes, tuple[int, int]]:
    """The frame encoded by Pillow as a one-frame GIF, cut down to its image block with a local colour table."""
    buffer = io.BytesIO()
    frame.save(buffer, format="GIF", optimize=False)
    data = buffer.getvalue()
    width, height, packed = struct.unpack_from("<HHB", data, 6)
    at = 13
    table = b""
    if packed & 0x80:  # the global colour table becomes the frame's local one
        table = data[at : at + 3 * 2 ** ((packed & 7) + 1)]
        at += len(table)
    while data[at] == 0x21:  # extensions Pillow wrote (comments, its own control block): replaced by ours
        at = _skip_sub_blocks(data, at + 2)
    if data[at] != 0x2C:
        raise ValueError("Pillow wrote a GIF without an image block")
    left, top, w, h, local = struct.unpack_from("<HHHHB", data, at + 1)
    at += 10
    if local & 0x80:  # the frame has its own table already
        table = data[at : at + 3 * 2 ** ((local & 7) + 1)]
        at += len(table)
        size_bits = local & 7
    else:
        size_bits = packed & 7
    end = _skip_sub_blocks(data, at + 1)  # after the LZW minimum code size
    flags = (local & 0x40) | ((0x80 | size_bits) if table else 0)  # keep the interlace flag Pillow set
    descriptor = struct.pack("<BHHHHB", 0x2C, left, top, w, h, flags)
    return descriptor + table + data[at:end], (width, height)


def write_gif(handle: BinaryIO, frames: Iterable[Image.Image], fps: float, hold_last_s: float = 1.0) -> int:
    """Write the frames to `handle` as a GIF that loops, the last one held `hold_last_s`; return the frame count.

    Each frame is drawn (by the iterable), encoded and written before the next one is asked for.
    """
    delay = max(2, round(100 / fps))  # hundredths of a second, as GIF counts
    count = 0
    pending: bytes | None = None  # each block waits for the next frame: the last one gets the longer delay

    def control(centiseconds: int) -> bytes:
        return struct.pack("<4BHBB", 0x21, 0xF9, 4, 0x04, centiseconds, 0, 0)  # disposal 1: leave the frame

    for frame in frames:
        block, (width, height) = _image_block(frame)
        if count == 0:
            handle.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + _LOOP_FOREVER)
        if pending is not None:
            handle.write(control(delay) + pending)
        pending = block
        count += 1
    if pending is None:
        raise ValueError("a GIF needs at least one frame")
    handle.write(control(max(delay, round(100 * hold_last_s))) + pending + b"\x3b")
    return count
