"""The Qt binding must not leak or drop references on plain calls: PySide6 6.12.0 under Python 3.11 dropped a
reference to None on every void call, and the app aborted with "none_dealloc" after a few thousand of them.

From Python 3.12 None is immortal (PEP 683): its reference count is fixed, a dropped reference can no longer abort
the app, and this check could not fail, so it runs only where it can."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QLabel


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12: nothing to drop")
def test_void_qt_calls_keep_none_alive(qapp):
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(1_000):
        label.setText("x")
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -100
