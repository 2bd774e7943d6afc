"""A status bar whose message is elided in the middle, never cut, with the whole text in its tooltip.

Qt's QStatusBar draws a message in the room left of its permanent widgets (here the progress text and bar) and cuts
what does not fit, so "Autosaved to /home/…/model.safetensors" lost its file name at every width a laptop gives.
This bar draws the same message elided in the middle (the start says what happened, the end names the file) and
puts the whole text in the tooltip when it does not fit. currentMessage() stays the whole text.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QStatusBar, QWidget

#: Room between the message and the first permanent widget, and before the message (Qt's own margins).
GAP = 6


class ElidingStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(self._on_message)

    def message_rect(self) -> QRect:
        """Where the message is drawn: from the left margin to the first permanent widget shown."""
        shown = [child for child in self.findChildren(QWidget) if child.parentWidget() is self and child.isVisible()]
        right = min((child.geometry().left() for child in shown), default=self.width()) - GAP
        return QRect(GAP, 0, max(0, right - GAP), self.height())

    def fits(self, text: str) -> bool:
        return self.fontMetrics().horizontalAdvance(text) <= self.message_rect().width()

    def _on_message(self, text: str) -> None:
        self.setToolTip("" if not text or self.fits(text) else text)
        self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._on_message(self.currentMessage())

    def paintEvent(self, event: QPaintEvent) -> None:
        text = self.currentMessage()
        if not text:
            super().paintEvent(event)
            return
        rect = self.message_rect()
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        elided = self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, rect.width())
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter, elided)
