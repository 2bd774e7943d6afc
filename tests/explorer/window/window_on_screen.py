"""Opens the main window on the screen Qt was given and prints where it and its parts landed, as one JSON line.

    python window_on_screen.py SETTINGS_FILE [W H] [--your-image]

A child process, because the offscreen platform's screen size is fixed when Qt starts. With W H, the window is
resized to W×H (and moved to 0,0) after it opens, and its geometry saved to SETTINGS_FILE as the app does on close.
With --your-image, View › Your image is chosen before the report.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QWidget

from explorer.app import create_application
from explorer.window.main_window import MainWindow
from explorer.window.state import save_window


def global_rect(widget: QWidget) -> list[int]:
    return list(QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size()).getRect())


def main() -> None:
    app = create_application([])
    your_image = "--your-image" in sys.argv
    sys.argv = [arg for arg in sys.argv if arg != "--your-image"]
    settings = QSettings(sys.argv[1], QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=Path(tempfile.mkdtemp()) / "autosave")
    window.show()
    for _ in range(20):
        app.processEvents()
    if len(sys.argv) > 2:
        window.move(0, 0)
        window.resize(int(sys.argv[2]), int(sys.argv[3]))
        app.processEvents()
        save_window(window)
    if your_image:
        window.menus.action("dock-ownImage").trigger()
        for _ in range(20):
            app.processEvents()
    report = {
        "available": list(window.screen().availableGeometry().getRect()),
        "frame": list(window.frameGeometry().getRect()),
        "status": global_rect(window.statusBar()),
        "docks": {
            name: {
                "rect": global_rect(dock),
                "shown": dock.isVisible() and not dock.visibleRegion().isEmpty(),
                "tabbed": bool(window.tabifiedDockWidgets(dock)),
            }
            for name, dock in window.docks.items()
            if not dock.isHidden()
        },
    }
    print(json.dumps(report))
    window.close()


if __name__ == "__main__":
    main()
