"""File › Open, Save and the exports: the dialogs, and what each writes.

The files are written as the window's background tasks (explorer.utils.tasks): a slow disk never stalls the window,
a failure comes back as a warning instead of a status left at "Exporting…", and the window's close waits for a
write under way instead of leaving half a file. The latent plot is drawn on the GUI thread (it renders the plot's
own scene); only its bytes are written in the background.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence

from core.settings import dataset_title
from core.training.loss_history import LossHistory

if TYPE_CHECKING:
    from explorer.utils.registries import MenuRegistry

log = logging.getLogger(__name__)


class FileActions:
    """The File menu's jobs for a MainWindow (untyped here: main_window.py imports this module)."""

    def __init__(self, window) -> None:
        self.window = window

    def add_to(self, menus: MenuRegistry) -> None:
        """Open, Save and the window's own exports, by id, with today's texts and keys."""
        std = QKeySequence.StandardKey
        menus.add("file.open", "open", "&Open checkpoint…", self.ask_open, std.Open)
        menus.add("file.open", "open-own-model", "Open your own &model…", self.ask_open_own)
        menus.add("file.save", "save", "&Save checkpoint…", self.ask_save, std.Save)
        menus.add("file.export", "export-plot-png", "Export latent plot as &PNG…", self.ask_export_plot)
        menus.add("file.export", "export-plot-svg", "Export latent plot as S&VG…", self.ask_export_svg)
        menus.add("file.export", "export-loss-csv", "Export loss as &CSV…", self.ask_export_csv)

    def ask_open(self) -> None:
        path = self.window.dialogs.open_checkpoint()
        if path is not None:
            self.window.open_checkpoint(path)

    def ask_open_own(self) -> None:
        """The dialog, then the question before the user's code runs (once per file content), then the open."""
        chosen = self._ask_own_model(for_training=False)
        if chosen is not None:
            source, choice = chosen
            self.window.session.open_own(source, choice.weights, choice.dataset)

    def ask_own_for_training(self) -> None:
        """The training form's "Your own model…": which module (the same dialog without weights and data set, and
        the same question), kept by the form for the next Train; cancelled, the form shows its model as before."""
        chosen = self._ask_own_model(for_training=True)
        self.window.controls.set_own_model(None if chosen is None else chosen[0])

    def _ask_own_model(self, for_training: bool):
        """(the model's source, the dialog's choice) once the user chose a module and agreed to run its file; None
        when they cancelled, said no, or the file cannot be read (said in a message)."""
        from explorer.window.own_model_dialog import (
            TRUSTED_KEY,
            OwnModelDialog,
            code_digest,
            is_trusted,
            source_for,
            trust_question,
        )

        window = self.window
        dialog = OwnModelDialog(window, window.dialogs.last_folder(), for_training=for_training)
        self.own_model_dialog = dialog  # reachable while it is open (tests drive it like a user)
        if dialog.exec() != OwnModelDialog.DialogCode.Accepted or (choice := dialog.choice()) is None:
            return None
        try:
            digest, text = code_digest(choice.code)
        except OSError as error:
            window.warn("Cannot open your model", f"{choice.code}: {error.strerror or error}")
            return None
        settings = window.settings
        if not is_trusted(settings, digest):
            question = trust_question(window, choice.code, digest, text)
            self.trust_question = question
            if question.exec() != question.StandardButton.Yes:
                return None
            settings.setValue(f"{TRUSTED_KEY}/{digest}", str(choice.code))
        return source_for(choice, digest), choice

    def code_may_run(self, checkpoint: Path) -> bool:
        """A checkpoint of the user's own module runs their code when it opens: ask first, once per file content,
        as *Open your own model…* does (a yes there or a --model-code counts)."""
        from explorer.window.own_model_dialog import TRUSTED_KEY, code_to_ask_about, is_trusted, trust_question

        found = code_to_ask_about(checkpoint)
        if found is None:
            return True
        code, digest, text = found
        settings = self.window.settings
        if is_trusted(settings, digest):
            return True
        question = trust_question(self.window, code, digest, text)
        self.trust_question = question  # reachable while it is open (tests answer it like a user)
        if question.exec() != question.StandardButton.Yes:
            self.window._on_status(f"Not opened: {checkpoint} would run {code}")
            return False
        settings.setValue(f"{TRUSTED_KEY}/{digest}", str(code))
        return True

    def ask_save(self) -> None:
        if self.window.session.model is None and not self.window.session.training:
            self.window.warn("Nothing to save", "Train a model or open a checkpoint first.")
            return
        path = self.ask_checkpoint_path()
        if path is not None:
            self.window.save_checkpoint_to(path)

    def ask_checkpoint_path(self) -> Path | None:
        return self.window.dialogs.save_as(
            "Save checkpoint", "convae.safetensors", "Checkpoints (*.safetensors)", ".safetensors"
        )

    def ask_export_plot(self) -> None:
        path = self.window.dialogs.save_as("Export latent plot", "latent-space.png", "PNG images (*.png)", ".png")
        if path is not None:
            self.export_latent_png(path)

    def ask_export_svg(self) -> None:
        path = self.window.dialogs.save_as("Export latent plot", "latent-space.svg", "SVG drawings (*.svg)", ".svg")
        if path is not None:
            self.export_latent_png(path)

    def export_latent_png(self, path: Path) -> None:
        """The plot with its title and legend, as PNG (or SVG when `path` ends in .svg)."""
        from explorer.latent.plot_export import latent_plot_bytes

        path = Path(path)
        info, view = self.window.session.info, self.window.session.view
        title = "Latent space"
        if info is not None and view is not None:
            data = dataset_title(info.trained_on)
            title = (
                f"{data[:1].upper() + data[1:]} · {info.model_config.describe()} · "
                f"latent size {info.model_config.latent_dim} · "
                f"step {view.snapshot.step:,} · epoch {view.snapshot.epoch:.2f}"
            )
        try:
            payload = latent_plot_bytes(self.window.latent, title, svg=path.suffix.lower() == ".svg")
        except (OSError, RuntimeError) as error:
            self.window.warn("Could not export", f"{path}: {error}")
            return
        self._write(path, lambda: payload, f"Exporting {path.name}…", f"Exported the latent plot to {path}")

    def ask_export_csv(self) -> None:
        path = self.window.dialogs.save_as("Export loss", "loss.csv", "CSV files (*.csv)", ".csv")
        if path is not None:
            self.export_loss_csv(path)

    def export_loss_csv(self, path: Path) -> None:
        """The loss history as CSV, its first lines naming the run's settings."""
        session, path = self.window.session, Path(path)
        info, history = session.info, session.history
        comments = []
        if info is not None:
            c = info.config
            comments = [
                f"convae-explorer loss history: {info.trained_on}, latent size {info.model_config.latent_dim}",
                f"epochs {c.epochs}, batch size {c.batch_size}, learning rate {c.lr:g}, seed {c.seed}",
            ]
        losses = LossHistory(history.values.copy())  # training may go on appending to the session's
        per_epoch, count = info.batches_per_epoch if info else 1, len(losses)
        self._write(
            path,
            lambda: losses.to_csv(per_epoch, comments).encode(),
            f"Exporting {count:,} losses…",
            f"Exported {count:,} losses to {path}",
        )

    def _write(self, path: Path, payload: Callable[[], bytes], saying: str, done: str) -> None:
        """Write what `payload()` makes to `path` in the background, `saying` meanwhile and `done` once written."""
        from core.atomic_write import write_atomically

        status = self.window.statusBar()
        status.showMessage(saying)
        self.window.tasks.run(
            f"write {path.name}",
            lambda: write_atomically(path, payload()),
            done=lambda _: status.showMessage(done),
            failed=lambda error: self._failed(path, error),
        )

    def _failed(self, path: Path, error: BaseException) -> None:
        from core.atomic_write import FileWriteError

        if not isinstance(error, FileWriteError | OSError):  # a surprise: its traceback goes to the log too
            log.error("Writing %s failed", path, exc_info=error)
        self.window.warn("Could not export", f"{path}: {error}")
