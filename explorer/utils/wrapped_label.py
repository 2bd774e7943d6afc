"""A word-wrapped label whose minimum height is the height its text needs at its width.

Qt's main-window layout places its central widget and docks without height-for-width: a plain word-wrapped QLabel counts
as one line there, so when its text wraps onto a second or third line the layout hands out less height than the
panel needs and squeezes the widget above it (a latent plot's axis drawn over its caption, the path strip's caption
over the z₁ label). This label says what it needs, so the window reserves the room or refuses to shrink further.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

WRAP = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def hasHeightForWidth(self) -> bool:
        """No: the minimum height says it. (A scroll area asking its panel for a height for its width got the plots'
        preferred heights, 1,181 pixels for the comparison.)"""
        return False

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The minimum height for the text at the present width (unchanged: no new layout request)."""
        margins = self.contentsMargins()
        width = max(1, self.width() - margins.left() - margins.right() - 2 * self.margin())
        bounds = self.fontMetrics().boundingRect(QRect(0, 0, width, 100_000), WRAP, self.text())
        # QLabel's own heightForWidth never answers less than the minimum height: it could only ever grow
        frame = margins.top() + margins.bottom() + 2 * self.margin()
        height = max(bounds.height(), self.fontMetrics().height()) + frame
        if height != self.minimumHeight():
            self.setMinimumHeight(height)
