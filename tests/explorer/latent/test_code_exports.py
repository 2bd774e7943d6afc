"""File › Export › For the Embedding Projector… and Codes as CSV…: the shown snapshot's codes, written off the GUI
thread through the real menu actions (found by their ids) and file dialogs."""

from __future__ import annotations

import csv
import math

import numpy as np
from gui_testkit import start_small_run, wait_for_snapshot, wait_until_idle
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog


def _action(window, action_id: str) -> QAction:
    action = window.findChild(QAction, action_id)
    assert action is not None and action.parent().title() == "E&xport", action_id  # in File › Export
    return action


def test_the_projector_export_writes_the_shown_snapshots_codes(qtbot, window, tiny_mnist, tmp_path, monkeypatch):
    start_small_run(window, epochs=1)
    wait_for_snapshot(qtbot, window)
    window.stop_training()
    wait_until_idle(qtbot, window)
    snapshot = window.session.view.snapshot
    out = tmp_path / "for-projector"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(out))
    _action(window, "export-projector").trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Wrote"), timeout=60_000)
    assert f"from step {snapshot.step:,}" in window.statusBar().currentMessage()

    rows = np.loadtxt(out / "tensors.tsv", delimiter="\t", dtype=np.float32, ndmin=2)
    assert np.array_equal(rows, snapshot.codes)
    meta = (out / "metadata.tsv").read_text().splitlines()
    assert meta[0] == "index\tlabel\tclass" and len(meta) == len(snapshot.codes) + 1
    side = math.ceil(math.sqrt(len(snapshot.codes)))
    sprite = np.asarray(Image.open(out / "sprite.png"))
    assert sprite.shape == (side * 28, side * 28)
    assert np.array_equal(sprite[:28, 28:56], snapshot.display_images[1, 0])

    # the same folder again (an earlier export) is replaced; a folder of other files gets a new folder inside it
    (out / "tensors.tsv").unlink()  # an edited file would be the user's (tests/core/files/test_projector_force.py)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "notes.txt").write_text("mine")
    for chosen, written in ((out, out), (documents, documents / "convae-projector")):
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, c=chosen, **k: str(c))
        window.statusBar().clearMessage()
        _action(window, "export-projector").trigger()
        qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Wrote"), timeout=60_000)
        assert np.array_equal(np.loadtxt(written / "tensors.tsv", delimiter="\t", dtype=np.float32), snapshot.codes)
    assert (documents / "notes.txt").read_text() == "mine"


def test_codes_as_csv_and_nothing_to_export_before_a_model(qtbot, window, tiny_mnist, tmp_path, monkeypatch):
    _action(window, "export-codes-csv").trigger()  # no model yet: said, nothing asked
    assert window.statusBar().currentMessage().startswith("Nothing to export")

    start_small_run(window, epochs=1)
    wait_for_snapshot(qtbot, window)
    window.stop_training()
    wait_until_idle(qtbot, window)
    snapshot = window.session.view.snapshot
    out = tmp_path / "codes"  # typed without the suffix: it gains .csv
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV files (*.csv)"))
    _action(window, "export-codes-csv").trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Exported"), timeout=60_000)
    with open(tmp_path / "codes.csv", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:3] == ["index", "label", "class"] and len(table) == len(snapshot.codes) + 1
    assert np.array_equal(np.array([r[3:] for r in table[1:]], dtype=np.float32), snapshot.codes)
    assert [r[2] for r in table[1:]] == [snapshot.classes[label] for label in snapshot.labels]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "a-file" / "x.csv"), ""))
    (tmp_path / "a-file").write_text("x")
    _action(window, "export-codes-csv").trigger()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Could not export"), timeout=30_000)
