"""The classes and their colours, beside the plot rather than on top of its points.

A plain Qt widget: it never covers data, wraps long class names (MNIST's "0 - zero", Fashion-MNIST's
"T-shirt/top"), and scrolls when there are many classes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QWidget

from explorer.palette import class_color


def _swatch(color: QColor) -> QLabel:
    pixmap = QPixmap(10, 10)
    pixmap.fill(color)
    label = QLabel()
    label.setPixmap(pixmap)
    return label


class ClassLegend(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("classLegend")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(112)
        self.classes: tuple[str, ...] = ()
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

    def names(self) -> list[str]:
        labels = self.widget().findChildren(QLabel, "legendText")
        return [label.text() for label in labels]
