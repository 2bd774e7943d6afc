"""File › Open, Save and the exports: the dialogs, and what each writes (off the GUI thread where it can be)."""

from __future__ import annotations

from pathlib import Path

from core.settings import dataset_title


class FileActions:
    """The File menu's jobs for a MainWindow."""

    def __init__(self, window) -> None:
        self.window = window

    def ask_open(self) -> None:
        path = self.window.dialogs.open_checkpoint()
        if path is not None:
            self.window.open_checkpoint(path)

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
        from explorer.latent.plot_export import export_latent_plot

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
            export_latent_plot(self.window.latent, Path(path), title)
        except (OSError, RuntimeError) as error:
            self.window.warn("Could not export", f"{path}: {error}")
            return
        self.window.statusBar().showMessage(f"Exported the latent plot to {path}")

    def ask_export_csv(self) -> None:
        path = self.window.dialogs.save_as("Export loss", "loss.csv", "CSV files (*.csv)", ".csv")
        if path is not None:
            self.export_loss_csv(path)

    def export_loss_csv(self, path: Path) -> None:
        self.window.session.export_losses(Path(path))
