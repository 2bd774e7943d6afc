"""File › Export time-lapse (GIF, or MP4 where imageio-ffmpeg is installed) and the shown frame as PNG.

The pictures are core's (core.timelapse.pictures, the same as `convae-explorer render timelapse`), drawn and written
in a background thread from the immutable recorded frames: the window never waits for them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction

from core.settings import dataset_title

GIF_FPS = 8.0
WIDTH = 800


class TimelapseExporter(QObject):
    done = Signal(str)
    failed = Signal(str, str)

    def __init__(self, window, player) -> None:
        super().__init__(window)
        self.window, self.player = window, player
        self.threads: list[threading.Thread] = []
        self.done.connect(window.statusBar().showMessage)
        self.failed.connect(window.warn)

    def title(self) -> str:
        info = self.window.session.info
        if info is None:
            return "convae-explorer"
        data = dataset_title(info.trained_on)
        return f"{data[:1].upper() + data[1:]} · latent size {info.model_config.latent_dim}"

    def ask_animation(self) -> None:
        from core.timelapse.pictures import mp4_available

        kinds = "GIF animations (*.gif)" + (";;MP4 videos (*.mp4)" if mp4_available() else "")
        path = self.window.dialogs.save_as("Export time-lapse", "timelapse.gif", kinds, ".gif")
        if path is not None:
            self.export(path)

    def ask_frame(self) -> None:
        path = self.window.dialogs.save_as("Export frame", "frame.png", "PNG images (*.png)", ".png")
        if path is not None:
            self.export(path, frame=self.player.index)

    def export(self, path: Path, frame: int | None = None) -> threading.Thread | None:
        """Write the whole recording (.gif/.mp4) or one frame (.png; the shown one, else the newest) off the GUI
        thread; the status bar says when it is written, a dialog why not."""
        frames = self.player.frames
        if frames is None or not len(frames):
            self.window.warn("Nothing to export", "This model has no recorded frames yet: train it to record them.")
            return None
        path, title = Path(path), self.title()
        losses = None if self.window.session.history is None else self.window.session.history.values.copy()
        index = len(frames) - 1 if frame is None else frame

        def work() -> None:
            from core.atomic_write import FileWriteError, write_atomically
            from core.timelapse.pictures import frame_images, gif_bytes, mp4_available, mp4_bytes, png_bytes

            suffix = path.suffix.lower()
            try:
                what = f"the time-lapse ({len(frames):,} frames)"
                if suffix == ".png":
                    payload, what = (
                        png_bytes(frame_images(frames, WIDTH, title, losses, [index])[0]),
                        f"frame {index + 1}",
                    )
                elif suffix == ".mp4" and mp4_available():
                    payload = mp4_bytes(frame_images(frames, WIDTH, title, losses), GIF_FPS)
                else:
                    payload = gif_bytes(frame_images(frames, WIDTH, title, losses), GIF_FPS)
                write_atomically(path, payload)
            except (FileWriteError, OSError, ValueError) as error:
                self.failed.emit("Could not export", f"{path}: {error}")
                return
            self.done.emit(f"Exported {what} to {path}")

        self.window.statusBar().showMessage(f"Exporting {path.name}…")
        thread = threading.Thread(target=work, name="timelapse-export", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    @Slot()
    def _ask_animation(self) -> None:
        self.ask_animation()

    @Slot()
    def _ask_frame(self) -> None:
        self.ask_frame()


def add_export_actions(window, player) -> TimelapseExporter:
    """Two File-menu entries after the other exports."""
    exporter = TimelapseExporter(window, player)
    file_menu = window.menuBar().actions()[0].menu()
    before = window.actions_.quit
    for text, slot in (
        ("Export &time-lapse as GIF…", exporter._ask_animation),
        ("Export shown &frame as PNG…", exporter._ask_frame),
    ):
        action = QAction(text, window)
        action.triggered.connect(slot)
        file_menu.insertAction(before, action)
    file_menu.insertSeparator(before)
    player.exporter = exporter
    return exporter
