"""`export projector --force` never replaces or removes what an earlier export did not write (issue 24, defect 1).

Real folders of the user's own files under the export's names: a `codes.csv` of their own, a folder named
`tensors.tsv`, an edited `metadata.tsv`, a link, a FIFO. A forced export goes into a new sub-folder and says so; an
unforced one is refused with the names; each of the user's files is byte for byte as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config

from core.commands.main import main
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.files.projector import (
    CODES_CSV,
    EXPORT_FILES,
    MARKER,
    METADATA,
    SPRITE,
    SUBFOLDER,
    TENSORS,
    DisplayCodes,
    ExportError,
    plan_export,
    write_projector,
)
from core.settings import ModelConfig
from core.training.engine import Trainer


def _codes(seed: int = 0) -> DisplayCodes:
    rng = np.random.default_rng(seed)
    return DisplayCodes(
        rng.normal(size=(6, 2)).astype(np.float32),
        np.arange(6) % 2,
        ("even", "odd"),
        rng.integers(0, 256, (6, 1, 8, 8), dtype=np.uint8),
    )


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below `folder`, by relative path: a file's bytes, a link's target, a folder's mark."""
    found: dict[str, bytes | str] = {}
    for where, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(where) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                found[key] = f"link → {os.readlink(path)}"
            elif path.is_dir():
                found[key] = "folder"
            elif path.is_file():
                found[key] = path.read_bytes()
            else:
                found[key] = "special"
    return found


@pytest.fixture(scope="module")
def model(tmp_path_factory, digits_subset) -> Path:
    trainer = Trainer(digits_subset(64), fast_config(display_size=30), ModelConfig(2, 1, 28))
    for _ in trainer.run(snapshots=False):
        pass
    return save_checkpoint(tmp_path_factory.mktemp("force") / "model.safetensors", Checkpoint.from_trainer(trainer))


def test_a_forced_export_leaves_the_users_files_of_export_names_and_goes_into_a_sub_folder(
    model, tmp_path, capsys
) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    for name in (CODES_CSV, SPRITE, METADATA):
        (mine / name).write_bytes(f"my own {name}\n".encode())
    (mine / "chapter1.tex").write_text("mine")
    before = _snapshot(mine)

    assert main(["export", "projector", str(model), "--out", str(mine)]) == 1  # unforced: refused, nothing written
    assert "not an earlier export" in capsys.readouterr().err
    assert _snapshot(mine) == before

    assert main(["export", "projector", str(model), "--out", str(mine), "--force"]) == 0
    assert {k: v for k, v in _snapshot(mine).items() if not k.startswith(SUBFOLDER)} == before  # theirs, unchanged
    out = capsys.readouterr().out
    inside = mine / SUBFOLDER
    assert f"to {inside}" in out and "codes.csv, metadata.tsv and sprite.png" in out and "left as they are" in out
    assert f"--logdir {inside}" in out
    assert sorted(p.name for p in inside.iterdir()) == sorted(EXPORT_FILES)

    # forced again: the earlier export in the sub-folder is replaced there, not a third folder made
    assert main(["export", "projector", str(model), "--out", str(mine), "--force"]) == 0
    assert sorted(p.name for p in mine.iterdir()) == sorted([*before, SUBFOLDER])
    assert not list(tmp_path.rglob(".convae-export-*"))


def test_a_folder_bearing_an_export_name_is_never_renamed_away_or_removed(tmp_path) -> None:
    """The issue's case: every entry bears an export name, one of them a folder of the user's files."""
    mine = tmp_path / "data"
    (mine / TENSORS).mkdir(parents=True)
    (mine / TENSORS / "part1.tsv").write_text("1\t2\n")
    (mine / TENSORS / "part2.tsv").write_text("3\t4\n")
    (mine / METADATA).write_text("my labels\n")
    before = _snapshot(mine)

    with pytest.raises(ExportError) as refused:
        write_projector(mine, _codes())
    assert _snapshot(mine) == before

    summary = write_projector(mine, _codes(), force=True)
    assert {k: v for k, v in _snapshot(mine).items() if not k.startswith(SUBFOLDER)} == before  # theirs, unchanged
    assert "metadata.tsv and tensors.tsv, which the earlier export there did not write" in str(refused.value)
    assert summary.folder == mine / SUBFOLDER and "left as they are" in summary.line()
    assert not list(tmp_path.glob(".convae-export-*"))


def test_an_earlier_export_is_replaced_but_a_file_edited_since_is_the_users(tmp_path) -> None:
    out = tmp_path / "export"
    write_projector(out, _codes(0))
    write_projector(out, _codes(1))  # an earlier export, untouched: replaced in place
    assert sorted(p.name for p in out.iterdir()) == sorted(EXPORT_FILES)
    assert (out / TENSORS).read_bytes() != b"" and json.loads((out / MARKER).read_text())["files"]

    edited = (out / METADATA).read_text().replace("index\tlabel\tclass", "index\tlabel\tclass\tmy notes")
    (out / METADATA).write_text(edited)  # the user added a column for the Projector
    with pytest.raises(ExportError, match=r"metadata\.tsv, which the earlier export there did not write"):
        write_projector(out, _codes(2))
    assert (out / METADATA).read_text() == edited

    summary = write_projector(out, _codes(2), force=True)
    assert summary.folder == out / SUBFOLDER and (out / METADATA).read_text() == edited


def test_a_forced_export_beside_the_users_files_replaces_only_its_own(tmp_path) -> None:
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("mine")
    first = write_projector(mine, _codes(0), force=True)
    assert first.folder == mine and "beside the other files" in first.line()
    old = (mine / TENSORS).read_bytes()
    second = write_projector(mine, _codes(1), force=True)  # ours beside theirs: ours replaced, theirs kept
    assert second.folder == mine and (mine / TENSORS).read_bytes() != old
    assert (mine / "chapter1.tex").read_text() == "mine"
    assert {p.name for p in mine.iterdir()} == {"chapter1.tex", *EXPORT_FILES}


@pytest.mark.timeout(120)  # a backstop: a FIFO opened for reading would block
def test_links_fifos_and_copied_markers_are_not_taken_for_an_export(tmp_path) -> None:
    out = tmp_path / "export"
    write_projector(out, _codes(0))
    elsewhere = tmp_path / "elsewhere.csv"
    os.replace(out / CODES_CSV, elsewhere)  # the user keeps the CSV elsewhere and links it in
    precious = elsewhere.read_bytes()
    (out / CODES_CSV).symlink_to(elsewhere)  # a link under an export's name: not ours, even to the very bytes
    (out / SPRITE).unlink()
    os.mkfifo(out / SPRITE)  # would block a reader that opens it: the check never does
    assert plan_export(out, force=True).folder == out / SUBFOLDER
    summary = write_projector(out, _codes(1), force=True)
    assert summary.folder == out / SUBFOLDER
    assert elsewhere.read_bytes() == precious and (out / CODES_CSV).is_symlink()
    assert not (out / SPRITE).is_file() and (out / SPRITE).exists()

    # a marker copied into a folder of the user's own files does not make their files ours
    other = tmp_path / "other"
    other.mkdir()
    (other / MARKER).write_bytes((out / MARKER).read_bytes())
    (other / TENSORS).write_text("my tensors\n")
    with pytest.raises(ExportError, match=r"tensors\.tsv"):
        write_projector(other, _codes(0))
    assert write_projector(other, _codes(0), force=True).folder == other / SUBFOLDER
    assert (other / TENSORS).read_text() == "my tensors\n"


def test_an_export_through_a_link_to_an_earlier_export_leaves_no_old_folder_or_link(tmp_path) -> None:
    """The issue's leftover: exporting onto a symlinked earlier export left a `.old` link beside it."""
    real = tmp_path / "real-export"
    write_projector(real, _codes(0))
    link = tmp_path / "export"
    link.symlink_to(real)
    summary = write_projector(link, _codes(1))
    assert summary.folder == link and link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "real-export"]  # nothing renamed away or left
    assert sorted(p.name for p in real.iterdir()) == sorted(EXPORT_FILES)
    fresh = write_projector(tmp_path / "fresh", _codes(1)).folder
    assert (real / TENSORS).read_bytes() == (fresh / TENSORS).read_bytes()  # the new export's, written through


def test_an_export_by_an_earlier_version_cannot_be_checked_so_it_is_kept(tmp_path) -> None:
    """Its marker lists no files: nothing there can be proved as written, so nothing there is replaced."""
    old = tmp_path / "old-export"
    write_projector(old, _codes(0))
    marker = json.loads((old / MARKER).read_text())
    del marker["files"]
    (old / MARKER).write_text(json.dumps(marker))
    before = _snapshot(old)
    with pytest.raises(ExportError, match="an export by an earlier version, whose marker does not list its files"):
        write_projector(old, _codes(1))
    assert write_projector(old, _codes(1), force=True).folder == old / SUBFOLDER
    assert {k: v for k, v in _snapshot(old).items() if not k.startswith(SUBFOLDER)} == before
