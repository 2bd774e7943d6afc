"""The classes and their colours, beside the plot rather than on top of its points.

A plain Qt widget: it never covers data, wraps long class names (MNIST's "0 - zero", Fashion-MNIST's
"T-shirt/top"), and scrolls when there are many classes. Clicking a class focuses it (that class in colour, the
others dimmed); clicking it again shows all classes. Ctrl+click selects the class's images (Ctrl+Shift+click adds
them to the selection, Ctrl+Alt+click removes them).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QWidget

from core.latent.selection_set import Combine
from explorer.utils.palette import class_color


def _swatch(color: QColor) -> QLabel:
    pixmap = QPixmap(10, 10)
    pixmap.fill(color)
    label = QLabel()
    label.setPixmap(pixmap)
    return label


class ClassLegend(QScrollArea):
    classClicked = Signal(int)  # the class whose name or swatch was clicked
    classSelected = Signal(int, object)  # Ctrl+click: select that class's images (Combine: with Shift or Alt)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classLegend")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(112)
        self.classes: tuple[str, ...] = ()
        self.focus: int | None = None
        self._rows: dict[QObject, int] = {}
        self.setWidget(QWidget())

    def set_classes(self, classes: tuple[str, ...]) -> None:
        if classes == self.classes:
            return
        self.classes = classes
        content = QWidget()
        grid = QGridLayout(content)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.setHorizontalSpacing(5)
        grid.setVerticalSpacing(2)
        for row, name in enumerate(classes):
            grid.addWidget(_swatch(class_color(row)), row, 0, Qt.AlignmentFlag.AlignTop)
            text = QLabel(name)
            text.setObjectName("legendText")
            text.setWordWrap(True)
            grid.addWidget(text, row, 1)
        grid.setRowStretch(len(classes), 1)
        grid.setColumnStretch(1, 1)
        self.setWidget(content)
        self._rows = {}
        for row in range(len(classes)):
            for column in (0, 1):
                label = grid.itemAtPosition(row, column).widget()
                label.setCursor(QCursor(Qt.CursorShape.PointingHandCursor))
                label.setToolTip(
                    "Click to show this class alone (click again for all).\n"
                    "Ctrl+click selects its images (with Shift: adds them, with Alt: removes them)."
                )
                label.installEventFilter(self)
                self._rows[label] = row
        self.set_focus(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        release = event.type() == QEvent.Type.MouseButtonRelease
        if release and watched in self._rows and event.button() == Qt.MouseButton.LeftButton:
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.ControlModifier:
                how = Combine.REPLACE
                if modifiers & Qt.KeyboardModifier.ShiftModifier:
                    how = Combine.ADD
                elif modifiers & Qt.KeyboardModifier.AltModifier:
                    how = Combine.REMOVE
                self.classSelected.emit(self._rows[watched], how)
            else:
                self.classClicked.emit(self._rows[watched])
            return True
        return super().eventFilter(watched, event)

    def set_focus(self, index: int | None) -> None:
        """Draw class `index` as the focus (bold) and the others greyed; None: all as usual."""
        self.focus = index
        labels = self.widget().findChildren(QLabel, "legendText")
        for row, label in enumerate(labels):
            if index is None:
                label.setStyleSheet("")
            else:
                label.setStyleSheet("font-weight: bold;" if row == index else "color: #9a9a9a;")

    def names(self) -> list[str]:
        labels = self.widget().findChildren(QLabel, "legendText")
        return [label.text() for label in labels]
