"""A second run beside the first (AE vs VAE, β 1 vs β 4, latent 2 vs 8) with one cursor for both.

The comparison is a second RunView (explorer.latent.run_view) with its own RunSession (so it trains or opens while
the first run trains or is explored) on the panel here. One cursor: both RunViews share the window's SharedCursor,
so a hover in either latent panel decodes that same plane position with both runs' decoders and shows both
previews, and the crosshair follows in the other panel. Each panel keeps its own snapshot, legend and caption.
This feature adds the panel's dock, its menu entries, and what only a comparison has: its title, KL bars and stop
button. It reports through its own signals; it never sees the first run.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QPushButton, QScrollArea, QVBoxLayout, QWidget

from core.training.progress import plural
from explorer.latent.latent_panel import LatentPanel
from explorer.latent.preview_panel import PreviewPanel
from explorer.utils.wrapped_label import WrappedLabel
from explorer.vae.kl_panel import KlPanel

if TYPE_CHECKING:
    from core.latent.view import SnapshotView
    from core.runs.records import RunInfo
    from explorer.latent.run_view import RunView
    from explorer.training.controls_panel import ControlsPanel
    from explorer.utils.file_dialogs import FileDialogs
    from explorer.utils.registries import CloseHooks, DockRegistry, MenuRegistry

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
        self.title = WrappedLabel("No comparison run")
        self.title.setObjectName("panelTitle")
        self.latent = LatentPanel()
        self.latent.set_caption(PLACEHOLDER)
        self.latent.plot.setMinimumWidth(200)  # with its legend, it fits the dock of a 1024-pixel window
        self.preview = PreviewPanel()
        self.kl = KlPanel()  # the comparison's own KL bars and collapse warning (the KL dock shows the first run's)
        self.kl.setMaximumHeight(150)
        self.kl.hide()  # shown for a VAE only: an autoencoder has no KL
        self.stop_button = QPushButton("Stop comparison run")
        self.stop_button.setEnabled(False)
        space = QVBoxLayout()  # the KL bars under the latent space: the preview beside sets the height needed
        space.addWidget(self.latent, 1)
        space.addWidget(self.kl)
        self.row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        row.addLayout(space, 3)
        row.addWidget(self.preview, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addLayout(row, 1)
        layout.addWidget(self.stop_button)

    def side_by_side_width(self) -> int:
        """The least width that holds the latent space and the preview side by side."""
        space = max(self.latent.minimumSizeHint().width(), self.kl.minimumSizeHint().width())
        # the preview's own least width, not its size hint: laid out under the latent space its texts take the
        # panel's whole width, and its hint with them, so the panel never went back to side by side
        return space + self.row.spacing() + self.preview.minimumWidth()

    def set_side_by_side(self, beside: bool) -> None:
        """The preview beside the latent space, or under it where the dock is too narrow for both."""
        direction = QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom
        if self.row.direction() != direction:
            self.row.setDirection(direction)


class ComparisonScroller(QScrollArea):
    """The comparison panel in the dock: it scrolls rather than asking the window for room.

    The panel needs some 590×440 pixels with its preview beside its latent space; as a dock that was the dock's
    minimum, so opening a comparison grew a 1024×700 window to 1224×760, past the screen, and where the window
    manager kept the window on the screen the central latent plot was squeezed to a third of its width. Here the
    dock takes the room the window has: the preview goes under the latent space when the dock is narrower than both
    side by side, and the panel scrolls when it is still too small.
    """

    def __init__(self, panel: ComparisonPanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.setFrameShape(QFrame.Shape.NoFrame)
        # sized here, not by widgetResizable: that asks a panel of wrapped texts for its height for its width, and
        # the layout answers with the plots' preferred heights (1,181 pixels), never the room the dock has
        self.setWidget(panel)
        panel.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.panel and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self.fit_panel)  # a text or a part shown or hidden: its least size may differ
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_panel()

    def fit_panel(self) -> None:
        """The panel as wide as the dock, the preview beside the latent space or under it, and as tall as the dock
        or as its parts need (then it scrolls)."""
        width = self.viewport().width()
        self.panel.set_side_by_side(width >= self.panel.side_by_side_width())
        least = self.panel.minimumSizeHint()
        self.panel.resize(max(width, least.width()), max(self.viewport().height(), least.height()))


class Comparison(QObject):
    """The comparison run's dock, menu entries and title; `run` is its RunView (session, panels, cursor)."""

    status = Signal(str)  # for the status bar, "Comparison: …"
    warning = Signal(str, str)  # title, text
    error = Signal(str, str, str)  # title, message, details

    def __init__(
        self,
        run: RunView,
        panel: ComparisonPanel,
        controls: ControlsPanel,
        docks: DockRegistry,
        menus: MenuRegistry,
        close_hooks: CloseHooks,
        dialogs: FileDialogs,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.run, self.panel, self.controls, self.dialogs = run, panel, controls, dialogs
        self.session = run.session
        # a tab beside the training form: shown, it leaves the first run's latent space and preview where they are,
        # and (in its scroll area) it never grows the window (beside them both it would need some 1,500 pixels).
        # Hidden until a comparison run is opened or trained.
        area = Qt.DockWidgetArea.LeftDockWidgetArea
        self.scroller = ComparisonScroller(panel)
        self.docks = docks
        self.dock = docks.add("comparison", "Comparison run", self.scroller, area, tab_with="training", visible=False)
        menus.add("file.open", "open-comparison", "Open for &comparison…", self.ask_open, "Ctrl+Shift+O")
        menus.add("training.compare", "train-comparison", "Train co&mparison run (these settings)", self.train)
        run.title = "comparison run"
        session = self.session
        session.runReady.connect(self._on_run_ready)
        session.viewChanged.connect(self._on_view)
        session.busyChanged.connect(self._on_busy)
        session.status.connect(self._on_status)
        session.notice.connect(self._on_status)
        session.collapseChanged.connect(lambda text: text and self._on_status(text))
        session.warning.connect(self.warning)
        session.error.connect(self.error)
        panel.stop_button.clicked.connect(session.stop)
        close_hooks.add("comparison run", session.shutdown)  # its worker autosaves what it trained, as the first's

    # ----- starting -------------------------------------------------------------------------------------------
    def ask_open(self) -> None:
        path = self.dialogs.open_checkpoint()
        if path is not None:
            self.open(path)

    def open(self, path: Path) -> bool:
        """Show a saved model beside the current one (read in the comparison's own worker thread)."""
        self.dialogs.remember(path)
        self.show_dock()
        return self.session.open(Path(path))

    def train(self) -> None:
        """A new comparison run with the settings in the training form (the first run is left as it is)."""
        controls = self.controls
        try:
            config = controls.train_config()
        except ValueError as error:
            self.warning.emit("Invalid setting", str(error))
            return
        if self.session.running:
            self.warning.emit("Comparison run in progress", "Stop the comparison run before starting another.")
            return
        self.show_dock()
        self.session.start_new(controls.dataset_name, controls.latent_dim.value(), config, controls.model_choice())

    def show_dock(self) -> None:
        """The dock in front of the training form it shares a tab with, as wide as the window can spare for the
        preview beside the latent space (the window itself never grows for it)."""
        self.dock.show()
        self.dock.raise_()
        scrollbar = self.scroller.verticalScrollBar().sizeHint().width()
        self.docks.widen("comparison", self.panel.side_by_side_width() + scrollbar + 12)

    # ----- from the session -----------------------------------------------------------------------------------
    @Slot(object)
    def _on_run_ready(self, info: RunInfo) -> None:
        self.run.title = describe(info)
        action = "Training" if self.session.training else "Opened"
        self.panel.title.setText(f"Comparison: {self.run.title} ({action.lower()})")
        self.panel.kl.clear()

    @Slot(object)
    def _on_view(self, view: SnapshotView) -> None:
        self.panel.kl.show_view(view)
        self.panel.kl.setVisible(view.variational)

    @Slot(bool)
    def _on_busy(self, busy: bool) -> None:
        self.panel.stop_button.setEnabled(busy and self.session.training)
        info = self.session.info
        if not busy and info is not None:
            steps = len(self.session.losses)
            self.panel.title.setText(f"Comparison: {self.run.title}, {plural(steps, 'step')}")

    @Slot(str)
    def _on_status(self, text: str) -> None:
        self.status.emit(f"Comparison: {text}")
