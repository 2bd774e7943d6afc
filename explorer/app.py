"""Application start-up: Qt set-up, style, logging to the per-user log folder, and a last-resort error dialog."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from importlib import resources
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow

from explorer.utils.error_dialog import log_file, show_error

log = logging.getLogger("explorer")


def setup_logging() -> Path:
    """Log warnings and errors (with tracebacks) to a rotating file the user can send us."""
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
    except OSError:
        return path
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == handler.baseFilename for h in root.handlers):
        handler.close()
    else:
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def install_excepthook() -> None:
    """Unexpected exceptions in slots reach the user as a dialog, not as a traceback on a terminal."""

    def hook(kind, value, tb) -> None:
        details = "".join(traceback.format_exception(kind, value, tb))
        app = QApplication.instance()
        if app is None or kind is KeyboardInterrupt:
            sys.__excepthook__(kind, value, tb)
            return
        show_error(app.activeWindow(), "Unexpected error", f"{kind.__name__}: {value}", details)

    sys.excepthook = hook


def configure_pyqtgraph() -> None:
    # The hover decoder coalesces moves itself; pyqtgraph's own rate limit would drop the last position.
    # No global antialiasing: axis-aligned grid lines and axes gain nothing from it and it made every hover repaint
    # of the latent plot cost ~10 ms; the curves that need it ask for it themselves.
    pg.setConfigOptions(antialias=False, background="w", foreground="#333333", mouseRateLimit=0)


def load_style() -> str:
    return resources.files("resources").joinpath("style.qss").read_text(encoding="utf-8")


def app_icon() -> QIcon:
    return QIcon(str(resources.files("resources").joinpath("icons/convae-explorer.svg")))


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("convae-explorer")
    app.setOrganizationName("convae-explorer")
    app.setStyle("Fusion")
    app.setStyleSheet(load_style())
    app.setWindowIcon(app_icon())
    configure_pyqtgraph()
    return app


def run_app(checkpoint: Path | None = None, after_show: Callable[[QMainWindow], None] | None = None) -> int:
    """Open the main window (on a checkpoint if given) and run until it closes; returns the exit code.

    `after_show` runs on the event loop's first turn with the window shown (the bench times start-up with it).
    """
    setup_logging()
    app = create_application()
    install_excepthook()
    from explorer.window.main_window import MainWindow
    from explorer.window.posix_signals import SignalCloser

    window = MainWindow()
    window.show()
    closer = SignalCloser(app, window)
    if after_show is not None:
        QTimer.singleShot(0, lambda: after_show(window))
    if checkpoint is not None:
        QTimer.singleShot(0, lambda: window.open_checkpoint(Path(checkpoint)))
    code = app.exec()
    closer.uninstall()
    window.deleteLater()
    app.processEvents()
    return int(code)
