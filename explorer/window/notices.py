"""The banner above the latent space: notices by kind, so one kind can change or clear without touching the rest.

A verdict judged afresh at every snapshot (a VAE's posterior collapse, every image decoding to the same picture)
must be able to take its words back when it changes, while a notice that stays until the next run (the data set
that was used instead, the last model kept) stays. Each source writes under its own kind; the banner shows the
newest notice still standing, and hides when none is left.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


class NoticeBanner:
    """Notices by kind on one label (the window's `notice`), the newest shown."""

    def __init__(self, label: QLabel) -> None:
        self.label = label
        self._notices: dict[str, str] = {}  # kind → text, oldest first

    def show(self, kind: str, text: str) -> None:
        self._notices.pop(kind, None)
        self._notices[kind] = text
        self._refresh()

    def clear(self, kind: str) -> None:
        if self._notices.pop(kind, None) is not None:
            self._refresh()

    def clear_all(self) -> None:
        self._notices.clear()
        self._refresh()

    def text_of(self, kind: str) -> str | None:
        return self._notices.get(kind)

    def _refresh(self) -> None:
        if self._notices:
            self.label.setText(next(reversed(self._notices.values())))
        self.label.setVisible(bool(self._notices))
