"""A second run beside the first (AE vs VAE, β 1 vs β 4, latent 2 vs 8) with one cursor for both.

The comparison has its own RunSession (so it trains or opens while the first run trains or is explored), its own
LatentPanel and PreviewPanel, used as they are through their public signals and methods. One cursor: a hover in
either latent panel decodes that same plane position with both runs' decoders and shows both previews; the
crosshair follows in the other panel. Each panel keeps its own snapshot, legend and caption.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from core.training.progress import plural
from explorer.latent.hover import HoverDecoder
from explorer.latent.latent_panel import LatentPanel
from explorer.latent.preview_panel import PreviewPanel
from explorer.training.session import RunSession
from explorer.utils.error_dialog import show_error
from explorer.vae.kl_panel import KlPanel
from explorer.vae.views import SigmaEllipse

if TYPE_CHECKING:
    import numpy as np
    from PySide6.QtWidgets import QDockWidget

    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo

PLACEHOLDER = (
    "Open a checkpoint for comparison (File › Open for comparison…) or train one with the settings on the left "
    "(Training › Train comparison run). Hovering either latent space then decodes the same position in both."
)


def describe(info: RunInfo) -> str:
    """'variational autoencoder (β 4), latent 2, MNIST': what a run is, as the comparison's title says it."""
    return f"{info.model_config.describe()}, latent {info.model_config.latent_dim}, {info.trained_on}"


class ComparisonPanel(QWidget):
    """The second run's latent space beside its own preview, under a title naming the run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No comparison run")
        self.title.setObjectName("panelTitle")
        self.title.setWordWrap(True)
        self.latent = LatentPanel()
        self.latent.set_caption(PLACEHOLDER)
        self.preview = PreviewPanel()
        self.kl = KlPanel()  # the comparison's own KL bars and collapse warning (the KL dock shows the first run's)
        self.kl.setMaximumHeight(150)
        self.kl.hide()  # shown for a VAE only: an autoencoder has no KL
        self.stop_button = QPushButton("Stop comparison run")
        self.stop_button.setEnabled(False)
        space = QVBoxLayout()  # the KL bars under the latent space: the preview beside sets the height needed
        space.addWidget(self.latent, 1)
        space.addWidget(self.kl)
        row = QHBoxLayout()
        row.addLayout(space, 3)
        row.addWidget(self.preview, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(row, 1)
        layout.addWidget(self.stop_button)


class Comparison(QObject):
    """The comparison run's session and panel, and the link that gives the two latent panels one cursor."""

    def __init__(self, window, panel: ComparisonPanel, dock: QDockWidget) -> None:
        super().__init__(window)
        self.window, self.panel, self.dock = window, panel, dock
        self.session = RunSession(window.session.autosave_dir, self)
        self.hover = HoverDecoder(self)
        self.latent, self.preview = panel.latent, panel.preview
        self.ellipse = SigmaEllipse(panel.latent)  # a VAE point's σ under the mouse, as in the first panel
        self._describe = "comparison run"
        session = self.session
        session.runReady.connect(self._on_run_ready)
        session.viewChanged.connect(self._on_view)
        session.busyChanged.connect(self._on_busy)
        session.status.connect(self._on_status)
        session.notice.connect(self._on_status)
        session.warning.connect(window.warn)
        session.error.connect(lambda title, message, details: show_error(window, title, message, details))
        self.hover.decoded.connect(self._on_decoded)
        self.latent.pointClicked.connect(self._show_point)
        panel.stop_button.clicked.connect(session.stop)
        # one cursor: each panel's hover decodes in both, and moves the other panel's crosshair
        window.latent.hovered.connect(self._on_main_hovered)
        self.latent.hovered.connect(self._on_own_hovered)
        window.installEventFilter(self)  # the window closing stops this run's thread too

    # ----- starting -------------------------------------------------------------------------------------------
    def ask_open(self) -> None:
        path = self.window.dialogs.open_checkpoint()
        if path is not None:
            self.open(path)

    def open(self, path: Path) -> bool:
        """Show a saved model beside the current one (read in the comparison's own worker thread)."""
        self.window.dialogs.remember(path)
        self.show_dock()
        return self.session.open(Path(path))

    def train(self) -> None:
        """A new comparison run with the settings in the training form (the first run is left as it is)."""
        controls = self.window.controls
        try:
            config = controls.train_config()
        except ValueError as error:
            self.window.warn("Invalid setting", str(error))
            return
        if self.session.running:
            self.window.warn("Comparison run in progress", "Stop the comparison run before starting another.")
            return
        self.show_dock()
        self.session.start_new(controls.dataset_name, controls.latent_dim.value(), config, controls.model_choice())

    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()  # in front of the training form it shares a tab with

    # ----- from the session -----------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        self._describe = describe(info)
        action = "Training" if self.session.training else "Opened"
        self.panel.title.setText(f"Comparison: {self._describe} ({action.lower()})")
        self.latent.reset_view()
        self.latent.mark(None)
        self.preview.clear_picked()
        self.preview.clear_decoded()
        self.panel.kl.clear()
        self.ellipse.hide()

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        snapshot = view.snapshot
        self.latent.show_points(view.xy, snapshot.labels, snapshot.classes, view.plane)
        self.hover.set_view(view)
        pca = " — first two principal components" if view.plane.is_pca else ""
        self.latent.set_caption(f"{self._describe}: {len(view.xy):,} images encoded at {view.where}{pca}.")
        self.preview.show_snapshot_info(f"Comparison decoder from {view.where}")
        self.panel.kl.show_view(view)
        self.panel.kl.setVisible(view.variational)
        self.ellipse.hide()

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.panel.stop_button.setEnabled(busy and self.session.training)
        info = self.session.info
        if not busy and info is not None:
            steps = len(self.session.losses)
            self.panel.title.setText(f"Comparison: {self._describe}, {plural(steps, 'step')}")

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.window.statusBar().showMessage(f"Comparison: {text}")

    # ----- one cursor -----------------------------------------------------------------------------------------
    @Slot(float, float)
    def _on_main_hovered(self, x: float, y: float) -> None:
        if self.session.view is None:
            return
        self._crosshair(self.latent, x, y)
        self.hover.request(x, y)

    @Slot(float, float)
    def _on_own_hovered(self, x: float, y: float) -> None:
        self.hover.request(x, y)
        self.ellipse.show_near(self.session.view, x, y)
        if self.window.session.view is not None:
            self._crosshair(self.window.latent, x, y)
            self.window.hover.request(x, y)  # the first run's preview, through its own decoder and signal

    @staticmethod
    def _crosshair(panel: LatentPanel, x: float, y: float) -> None:
        """Show the shared cursor in the panel the mouse is not over (its crosshair lines, moved, not rebuilt)."""
        for line, position in ((panel.v_line, x), (panel.h_line, y)):
            line.setPos(position)
            line.setVisible(True)

    @Slot(object, float, float, object)
    def _on_decoded(self, image: np.ndarray, x: float, y: float, latent: np.ndarray) -> None:
        view = self.session.view
        self.preview.show_decoded(image, (x, y), latent, view is not None and view.plane.is_pca)

    @Slot(int)
    def _show_point(self, index: int) -> None:
        view = self.session.view
        if view is None or index >= len(view.xy):
            return
        self.latent.mark(index, view.xy[index])
        self.preview.show_picked(
            view.snapshot.display_images[index], view.reconstruct(index), f"Label: {view.label_of(index)}"
        )

    # ----- lifecycle ------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.session.shutdown()  # its worker autosaves what it trained, as the first run's does
        return False
