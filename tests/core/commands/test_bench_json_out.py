"""The same class as issue 24's defect 1, in `bench --json`: it replaced any file (not even atomically). It now
refuses a user's own file before minutes of measuring, and replaces only an earlier report."""

from __future__ import annotations

import json

from core.commands.main import main
from core.files.own_output import is_our_bench_json


def test_bench_json_leaves_a_users_file_before_measuring_anything(tmp_path, capsys):
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}\n')
    assert main(["bench", "--no-gui", "--json", str(notes)]) == 1
    assert "is not a bench report this app wrote: it is left as it is" in capsys.readouterr().err
    assert notes.read_text() == '{"mine": true}\n'


def test_an_earlier_report_is_recognised(tmp_path):
    report = tmp_path / "bench.json"
    report.write_text(json.dumps({"machine": {"cpu": "x"}, "figures": []}))
    assert is_our_bench_json(report)
    link = tmp_path / "link.json"
    link.symlink_to(report)
    assert not is_our_bench_json(link)
