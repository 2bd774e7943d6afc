"""File › Export time-lapse (GIF, or MP4 where imageio-ffmpeg is installed) and the shown frame as PNG.

The pictures are core's (core.timelapse.pictures, the same as `convae-explorer render timelapse`), drawn and written
as a background task (explorer.utils.tasks) from the immutable recorded frames: the window never waits for them, a
failure comes back as a warning, and a window closed meanwhile waits for the file instead of leaving half of it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from core.settings import dataset_title
from explorer.utils.file_dialogs import FileDialogs
from explorer.utils.registries import MenuRegistry
from explorer.utils.tasks import BackgroundTasks

if TYPE_CHECKING:
    from core.timelapse.recording import HistoryFrames
    from explorer.timelapse.player import TimelapsePlayer
    from explorer.training.session import RunSession

log = logging.getLogger(__name__)

GIF_FPS = 8.0
WIDTH = 800


def write_timelapse(
    handle: BinaryIO, frames: HistoryFrames, suffix: str, title: str, losses: np.ndarray | None, index: int
) -> str:
    """Write the file (.png: frame `index`; .mp4 where it can be written; else GIF) to `handle`; what it holds.

    The animations are streamed: each frame is drawn when the writer asks for it and dropped once written
    (core.timelapse.gif_stream, write_mp4), so memory holds one frame, not the whole recording (a long history
    drawn into a list reached gigabytes).
    """
    from core.timelapse.gif_stream import write_gif
    from core.timelapse.pictures import drawn_frames, mp4_available, write_mp4

    if suffix == ".png":
        (image,) = drawn_frames(frames, WIDTH, title, losses, [index])
        image.save(handle, format="PNG")
        return f"frame {index + 1}"
    pictures = drawn_frames(frames, WIDTH, title, losses)
    if suffix == ".mp4" and mp4_available():
        write_mp4(handle, pictures, GIF_FPS)
    else:
        write_gif(handle, pictures, GIF_FPS)
    return f"the time-lapse ({len(frames):,} frames)"


class TimelapseExporter(QObject):
    """Two File › Export entries; `status` says what is being written and what was, `warning` why not."""

    status = Signal(str)
    warning = Signal(str, str)  # title, text

    def __init__(
        self,
        session: RunSession,
        player: TimelapsePlayer,
        menus: MenuRegistry,
        dialogs: FileDialogs,
        tasks: BackgroundTasks,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session, self._player, self._dialogs, self._tasks = session, player, dialogs, tasks
        menus.add("file.export", "export-timelapse", "Export &time-lapse as GIF…", self.ask_animation)
        menus.add("file.export", "export-frame", "Export shown &frame as PNG…", self.ask_frame)

    def title(self) -> str:
        info = self._session.info
        if info is None:
            return "convae-explorer"
        data = dataset_title(info.trained_on)
        return f"{data[:1].upper() + data[1:]} · latent size {info.model_config.latent_dim}"

    @Slot()
    def ask_animation(self) -> None:
        from core.timelapse.pictures import mp4_available

        kinds = "GIF animations (*.gif)" + (";;MP4 videos (*.mp4)" if mp4_available() else "")
        path = self._dialogs.save_as("Export time-lapse", "timelapse.gif", kinds, ".gif")
        if path is not None:
            self.export(path)

    @Slot()
    def ask_frame(self) -> None:
        path = self._dialogs.save_as("Export frame", "frame.png", "PNG images (*.png)", ".png")
        if path is not None:
            self.export(path, frame=self._player.index)

    def export(self, path: Path, frame: int | None = None) -> None:
        """Write the whole recording (.gif/.mp4) or one frame (.png; the shown one, else the newest) off the GUI
        thread; `status` says when it is written, `warning` why not."""
        from core.atomic_write import write_atomically_with

        frames = self._player.frames
        if frames is None or not len(frames):
            self.warning.emit("Nothing to export", "This model has no recorded frames yet: train it to record them.")
            return
        path, title = Path(path), self.title()
        history = self._session.history
        losses = None if history is None else history.values.copy()
        index = len(frames) - 1 if frame is None else frame

        def write() -> str:
            said: list[str] = []  # what the file holds, in words, as write_timelapse says it

            def stream(handle: BinaryIO) -> None:
                said.append(write_timelapse(handle, frames, path.suffix.lower(), title, losses, index))

            write_atomically_with(path, stream)
            return said[0]

        self.status.emit(f"Exporting {path.name}…")
        self._tasks.run(
            f"export {path.name}",
            write,
            done=lambda what: self.status.emit(f"Exported {what} to {path}"),
            failed=lambda error: self._failed(path, error),
        )

    def _failed(self, path: Path, error: BaseException) -> None:
        from core.atomic_write import FileWriteError

        if not isinstance(error, FileWriteError | OSError | ValueError):  # a surprise: its traceback goes to the log
            log.error("Exporting %s failed", path, exc_info=error)
        self.warning.emit("Could not export", f"{path}: {error}")
