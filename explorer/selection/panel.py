"""The Selection dock's widgets: the tools that select (worst N, error above t), the count and per-class breakdown,
the tiles, and the per-class mean-error bars.

Widgets only: what they mean for the selection is the feature's (explorer.selection.feature). The tiles live in a
QListView over a TileModel, so thousands scroll smoothly; the bars are a pyqtgraph BarGraphItem whose click says
which class.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core.latent.selection_set import SortBy
from explorer.selection.tiles import INDEX_ROLE, TileModel
from explorer.utils.palette import class_color

SORT_NAMES = {
    SortBy.ERROR: "worst reconstruction first",
    SortBy.LABEL: "class",
    SortBy.DISTANCE: "farthest from the selection's centre",
}


class TileList(QListView):
    """The tiles in rows that wrap; says which tile the mouse is over (None when it leaves) and which was clicked."""

    tileHovered = Signal(object)  # int | None: a display index
    tileClicked = Signal(int)

    def __init__(self, model: TileModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)  # one size for all: the layout never asks every row for its picture
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setSpacing(3)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setMouseTracking(True)
        self.setWordWrap(False)
        self.entered.connect(self._on_entered)
        self.clicked.connect(self._on_clicked)
        self.viewport().installEventFilter(self)
        model.modelReset.connect(self.fit_tiles)
        self.fit_tiles()

    @Slot()
    def fit_tiles(self) -> None:
        size = self.model().tile_size()
        self.setIconSize(size)
        self.setGridSize(QSize(size.width() + 10, size.height() + self.fontMetrics().height() + 8))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Leave:
            self.tileHovered.emit(None)
        return super().eventFilter(watched, event)

    @Slot(QModelIndex)
    def _on_entered(self, index: QModelIndex) -> None:
        self.tileHovered.emit(index.data(INDEX_ROLE) if index.isValid() else None)

    @Slot(QModelIndex)
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.tileClicked.emit(int(index.data(INDEX_ROLE)))


class ErrorBars(pg.PlotWidget):
    """Each class's mean reconstruction error at the shown snapshot; clicking a bar says which class."""

    classClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setMinimumHeight(90)
        self.getAxis("left").enableAutoSIPrefix(False)
        self.setLabel("left", "mean error")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8)
        self.addItem(self.bars)
        self.means = np.zeros(0)
        self.classes: tuple[str, ...] = ()
        self.scene().sigMouseClicked.connect(self._on_click)

    def show_means(self, means: np.ndarray, classes: tuple[str, ...]) -> None:
        self.means, self.classes = np.nan_to_num(np.asarray(means, np.float64)), classes
        x = np.arange(len(self.means))
        brushes = [pg.mkBrush(class_color(i)) for i in x]
        self.bars.setOpts(x=x, height=self.means, width=0.8, brushes=brushes, pen=None)
        self.getAxis("bottom").setTicks([[(i, name[:10]) for i, name in enumerate(classes)]])
        self.setXRange(-0.6, max(len(x) - 0.4, 0.4), padding=0)
        self.setYRange(0, float(self.means.max()) * 1.05 if len(self.means) and self.means.max() > 0 else 1.0)

    def clear_means(self) -> None:
        self.show_means(np.zeros(0), ())

    def bar_at(self, x: float, y: float) -> int | None:
        """The class whose bar holds plane point (x, y) (the space above a bar counts too: short bars are hard to
        hit), or None."""
        column = round(x)
        if 0 <= column < len(self.means) and abs(x - column) <= 0.4 and y >= 0:
            return column
        return None

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        box = self.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = box.mapSceneToView(event.scenePos())
        column = self.bar_at(point.x(), point.y())
        if column is not None:
            self.classClicked.emit(column)


class SelectionPanel(QWidget):
    """The Selection dock's content."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TileModel(self)
        self.tiles = TileList(self.model)
        self.summary = QLabel("Nothing selected. Draw a lasso on the latent space (L), or pick the worst images.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("selectionSummary")
        self.worst_count = QSpinBox()
        self.worst_count.setRange(1, 1_000_000)
        self.worst_count.setValue(100)
        self.worst_button = QPushButton("Select the worst")
        self.worst_button.setToolTip("The images the shown snapshot reconstructs worst")
        self.threshold = QDoubleSpinBox()
        self.threshold.setDecimals(4)
        self.threshold.setRange(0.0, 10.0)
        self.threshold.setSingleStep(0.005)
        self.threshold.setValue(0.05)
        self.threshold_button = QPushButton("Select error above")
        self.threshold_button.setToolTip("The images whose reconstruction error (mean squared pixel error) is above")
        self.clear_button = QPushButton("Clear")
        self.sort = QComboBox()
        for by, name in SORT_NAMES.items():
            self.sort.addItem(name, by)
        self.bars = ErrorBars()
        pick = QGridLayout()
        pick.setContentsMargins(0, 0, 0, 0)
        pick.addWidget(self.worst_button, 0, 0)
        pick.addWidget(self.worst_count, 0, 1)
        pick.addWidget(self.threshold_button, 1, 0)
        pick.addWidget(self.threshold, 1, 1)
        pick.setColumnStretch(1, 1)
        order = QHBoxLayout()
        order.addWidget(QLabel("Sort by"))
        order.addWidget(self.sort, 1)
        order.addWidget(self.clear_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(pick)
        top_layout.addWidget(self.summary)
        top_layout.addLayout(order)
        top_layout.addWidget(self.tiles, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.bars)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    @property
    def sort_by(self) -> SortBy:
        return SortBy(self.sort.currentData())

    def set_errors_known(self, known: bool) -> None:
        """Without errors (a frame recorded before they were kept) the error tools have nothing to work on."""
        for widget in (self.worst_button, self.worst_count, self.threshold_button, self.threshold):
            widget.setEnabled(known)
