"""A selection as CSV and a CSV of indices read back: rows equal the snapshot, bad files refused, users' files kept."""

from __future__ import annotations

import csv
import os
import threading

import numpy as np
import pytest
from core_testkit import fast_config

from core.files.selection import SelectionFileError, read_selection_indices, write_selection_csv
from core.settings import ModelConfig
from core.training.engine import Trainer


@pytest.fixture(scope="module")
def snapshot(digits_subset):
    return Trainer(digits_subset(200), fast_config(display_size=50), ModelConfig(3, 1, 28)).snapshot()


def test_rows_equal_the_snapshot_in_the_selections_order(snapshot, tmp_path):
    chosen = [7, 3, 41]
    out = tmp_path / "selection.csv"
    write_selection_csv(out, snapshot, chosen)
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["index", "data_index", "label", "class", "error", "z0", "z1", "z2"]
    assert len(rows) == 1 + len(chosen)
    for row, i in zip(rows[1:], chosen, strict=True):
        assert int(row[0]) == i
        assert int(row[1]) == int(snapshot.data_indices[i])
        assert int(row[2]) == int(snapshot.labels[i])
        assert row[3] == snapshot.classes[int(snapshot.labels[i])]
        assert np.float32(row[4]) == snapshot.errors[i]  # 9 significant digits: every float32 back exactly
        assert np.array_equal(np.array(row[5:], np.float32), snapshot.codes[i])


def test_a_written_selection_reads_back_as_the_same_indices(snapshot, tmp_path):
    out = tmp_path / "selection.csv"
    write_selection_csv(out, snapshot, [12, 0, 49, 5])
    assert read_selection_indices(out, len(snapshot.codes)).tolist() == [12, 0, 49, 5]
    errors_only = tmp_path / "errors.csv"
    write_selection_csv(errors_only, snapshot, np.arange(50), codes=False)
    assert read_selection_indices(errors_only, 50).tolist() == list(range(50))


def test_bare_indices_and_a_spreadsheets_columns_are_read(tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_text("3\n17, 4\n\n3\n")
    assert read_selection_indices(bare, 20).tolist() == [3, 17, 4]  # each once, in file order
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('\ufeffclass,Index,note\ncat,2,"a, b"\ndog,9,x\n')
    assert read_selection_indices(sheet, 10).tolist() == [2, 9]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("index,label\n", "no rows below its header"),
        ("index\n1\ntwo\n", "line 3: 'two' is not a display-image index"),
        ("index\n1\n2.5\n", "line 3: '2.5' is not"),
        ("4\n50\n", "line 2: index 50 is not in the display set, which holds images 0 to 49"),
        ("-1\n", "index -1 is not in the display set"),
        ("index,label\n1,2\n,3\n", "line 3: an empty cell"),
    ],
)
def test_a_file_that_is_not_a_list_of_indices_is_refused_with_its_line(tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    with pytest.raises(SelectionFileError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read_selection_indices(bad, 50)


def test_binary_files_folders_missing_files_and_fifos_are_refused_without_blocking(tmp_path):
    binary = tmp_path / "picture.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(SelectionFileError, match="not a text file"):
        read_selection_indices(binary, 10)
    with pytest.raises(SelectionFileError, match="does not exist"):
        read_selection_indices(tmp_path / "missing.csv", 10)
    with pytest.raises(SelectionFileError):
        read_selection_indices(tmp_path, 10)
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_selection_indices(fifo, 10)
        except SelectionFileError as error:
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    assert not reader.is_alive() and len(outcome) == 1


def test_a_users_own_file_is_never_replaced_and_an_earlier_export_is(snapshot, tmp_path):
    mine = tmp_path / "mine.csv"
    mine.write_text("my,spreadsheet\n1,2\n")
    with pytest.raises(SelectionFileError, match="is left as it is"):
        write_selection_csv(mine, snapshot, [1, 2])
    assert mine.read_text() == "my,spreadsheet\n1,2\n"
    write_selection_csv(mine, snapshot, [1, 2], force=True)  # a save dialog that asked
    assert read_selection_indices(mine, 50).tolist() == [1, 2]
    write_selection_csv(mine, snapshot, [3])  # now ours: replaced
    assert read_selection_indices(mine, 50).tolist() == [3]
    with pytest.raises(SelectionFileError, match="is not in the display set"):
        write_selection_csv(tmp_path / "x.csv", snapshot, [50])
    assert not (tmp_path / "x.csv").exists()
