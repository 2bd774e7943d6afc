"""The empty latent panel's "start here": the three ways in, as buttons, over the plot until there is a model.

A newcomer's first screen was an empty plot, black boxes and placeholder texts, with nothing saying where to begin.
The card names the three first steps a lecture's reader takes (train the lecture's network on the built-in digits,
open a saved model, bring their own images) as clickable actions, the first one the default. It floats over the
plot rather than replacing it, so the panel's layout (and its size) is the same before and after the first run.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QCommandLinkButton, QFrame, QLabel, QVBoxLayout, QWidget

TRAIN_TEXT = "Train the lecture's network"
TRAIN_DETAIL = "L16's autoencoder with a 2-D latent space, on the 5,000 built-in digits: no download needed"
OPEN_TEXT = "Open a model…"
OPEN_DETAIL = "A checkpoint saved here or by the train command (Ctrl+O)"
OWN_TEXT = "Use your own images…"
OWN_DETAIL = "A folder of pictures, one sub-folder per class; then press Train"


class StartHere(QFrame):
    """A card centred over `over` (the latent plot) that offers the first steps; it follows the plot's size."""

    trainRequested = Signal()  # the lecture's network on the built-in digits
    openRequested = Signal()
    ownImagesRequested = Signal()

    def __init__(self, over: QWidget) -> None:
        super().__init__(over)
        self.setObjectName("startHere")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        title = QLabel("<b>Start here</b>")
        title.setObjectName("panelTitle")
        self.train_button = QCommandLinkButton(TRAIN_TEXT, TRAIN_DETAIL)
        self.train_button.setObjectName("startTrain")  # the one to press first: outlined in the accent colour
        self.train_button.setDefault(True)
        self.open_button = QCommandLinkButton(OPEN_TEXT, OPEN_DETAIL)
        self.own_button = QCommandLinkButton(OWN_TEXT, OWN_DETAIL)
        self.train_button.clicked.connect(self.trainRequested)
        self.open_button.clicked.connect(self.openRequested)
        self.own_button.clicked.connect(self.ownImagesRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addWidget(title)
        for button in (self.train_button, self.open_button, self.own_button):
            layout.addWidget(button)
        over.installEventFilter(self)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._place()
        return False

    def _place(self) -> None:
        """Centred on the plot, as wide as its contents want but never wider or taller than the plot."""
        over = self.parentWidget().rect()
        width = min(self.sizeHint().width() + 40, over.width() - 8)
        height = min(self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height(),
                     over.height() - 8)  # fmt: skip
        self.setGeometry(over.center().x() - width // 2, over.center().y() - height // 2, width, height)
        self.raise_()
