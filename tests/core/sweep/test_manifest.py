"""The sweep's manifest: what the driver writes is what the gallery and `render sweep` read, and a bad file fails
with a message that names it instead of a KeyError in a drawing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.sweep.manifest import SweepFileError, SweepManifest, SweepRun, read_manifest, write_manifest


def _manifest() -> SweepManifest:
    return SweepManifest(
        axes={"beta": [0.5, 2.0], "latent-dim": [2]},
        fixed={"epochs": 1, "model": "vae"},
        runs=(
            SweepRun(
                "r000", {"beta": 0.5, "latent-dim": 2}, "done", "runs/r000/model.safetensors", None, 0.5, 3.0, 2, 1.0
            ),
            SweepRun(
                "r001", {"beta": 2.0, "latent-dim": 2}, "failed", None, "ValueError: boom", None, None, None, 0.25
            ),
        ),
    )


def test_round_trip(tmp_path: Path) -> None:
    manifest = _manifest()
    write_manifest(tmp_path, manifest)
    assert read_manifest(tmp_path) == manifest
    assert manifest.checkpoint_path(tmp_path, manifest.runs[0]) == tmp_path / "runs/r000/model.safetensors"
    assert manifest.checkpoint_path(tmp_path, manifest.runs[1]) is None


def test_non_finite_loss_is_written_as_null(tmp_path: Path) -> None:
    run = SweepRun("r000", {"lr": 1.0}, "done", final_loss=float("nan"))
    write_manifest(tmp_path, SweepManifest({"lr": [1.0]}, {}, (run,)))
    assert read_manifest(tmp_path).runs[0].final_loss is None


def test_missing_folder_and_file(tmp_path: Path) -> None:
    with pytest.raises(SweepFileError, match="no such directory"):
        read_manifest(tmp_path / "absent")
    with pytest.raises(SweepFileError, match=r"has no sweep\.json"):
        read_manifest(tmp_path)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "not a sweep's manifest"),
        ("[]", "top level"),
        ('{"format_version": 99, "axes": {}, "fixed": {}, "runs": []}', "format_version"),
        (
            '{"format_version": 1, "axes": {}, "fixed": {}, "runs": [{"run_id": "a", "settings": {}, "state": "x"}]}',
            "state",
        ),
        (
            '{"format_version": 1, "axes": {}, "fixed": {}, "runs": [{"run_id": "a", "settings": {}, "state": "done", '
            '"checkpoint": "../../etc/passwd"}]}',
            "inside the sweep's folder",
        ),
        (
            '{"format_version": 1, "axes": {}, "fixed": {}, "runs": [{"run_id": "a", "settings": {}, "state": "done", '
            '"checkpoint": "/etc/passwd"}]}',
            "inside the sweep's folder",
        ),
    ],
)
def test_bad_files_say_why(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "sweep.json").write_text(text)
    with pytest.raises(SweepFileError, match=reason):
        read_manifest(tmp_path)


def test_write_is_plain_json(tmp_path: Path) -> None:
    write_manifest(tmp_path, _manifest())
    document = json.loads((tmp_path / "sweep.json").read_text())
    assert document["runs"][0]["checkpoint"] == "runs/r000/model.safetensors"
    assert document["axes"] == {"beta": [0.5, 2.0], "latent-dim": [2]}
