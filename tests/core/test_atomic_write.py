"""Atomic writes (core.atomic_write): any name the file system takes, and nothing left behind when a save is
interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.atomic_write import FileWriteError, write_atomically


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


def test_the_longest_name_the_file_system_accepts_can_be_written(tmp_path: Path) -> None:
    """A temporary name built from the target's name would be too long for a 243–255 byte name; ours is short."""
    longest = os.pathconf(tmp_path, "PC_NAME_MAX")
    for length in (longest - 13, longest - 1, longest):  # 13: what ".{name}.XXXXXXXX.tmp" adds to a name
        target = tmp_path / ("n" * (length - len(".safetensors")) + ".safetensors")
        assert len(target.name.encode()) == length
        write_atomically(target, b"first")
        write_atomically(target, b"second")  # over an existing file too
        assert target.read_bytes() == b"second"
    assert temporary_files(tmp_path) == []


def test_a_name_too_long_even_for_the_file_system_is_a_file_write_error(tmp_path: Path) -> None:
    target = tmp_path / ("n" * (os.pathconf(tmp_path, "PC_NAME_MAX") + 1))
    with pytest.raises(FileWriteError, match="could not save"):
        write_atomically(target, b"data")
    assert temporary_files(tmp_path) == []


def test_an_exception_while_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    """Not only OSError: anything raised while the payload is written (here a TypeError) cleans up, then propagates."""
    target = tmp_path / "doc.bin"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomically(target, "text, not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert temporary_files(tmp_path) == []


SAVER = textwrap.dedent(
    """
    import signal
    import sys
    from pathlib import Path
    from core.atomic_write import write_atomically
    # Ctrl+C reaches a program in the foreground; one started from a background job inherits SIGINT ignored, and
    # Python then leaves it so (CI scripts run in one): take the foreground program's handler, as a user's has
    signal.signal(signal.SIGINT, signal.default_int_handler)
    target, size = Path(sys.argv[1]), int(sys.argv[2])
    payload = b"n" * size  # made before the save starts: the temporary file appears just before it is written
    print("ready", flush=True)
    try:
        write_atomically(target, payload)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("saved", flush=True)
    """
)


@pytest.mark.slow
def test_ctrl_c_during_a_big_save_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, subprocess_env: dict
) -> None:
    """A real SIGINT (Ctrl+C) to a process saving a big payload: the old file stays whole, no hidden .tmp is left.

    To know where the signal lands without relying on timing, the saver is frozen (SIGSTOP) as soon as its temporary
    file appears; while frozen with that file still present, it has not yet renamed it over the target, so the
    SIGINT sent then arrives before the rename. Only if the rename slips in between (the freeze landing inside
    os.replace) is the round inconclusive and run again.
    """
    folder = tmp_path / "saves"
    folder.mkdir()
    target = folder / "model.safetensors"
    size = 64 << 20
    outcomes = []
    for _attempt in range(15):  # a round is inconclusive only when the parent is descheduled past a whole save
        target.write_bytes(b"the old checkpoint")
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(target), str(size)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env,
        )  # fmt: skip
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            while not temporary_files(folder) and child.poll() is None:
                time.sleep(0.0002)  # polling for a state (the file's appearance), not waiting a set time
            if child.poll() is not None:
                outcomes.append("inconclusive: the save ended before its temporary file was seen")
                continue
            os.kill(child.pid, signal.SIGSTOP)
            _, status = os.waitpid(child.pid, os.WUNTRACED)  # returns once the child is really stopped
            frozen_before_rename = os.WIFSTOPPED(status) and bool(temporary_files(folder))
            if frozen_before_rename:
                os.kill(child.pid, signal.SIGINT)
            os.kill(child.pid, signal.SIGCONT)
            stdout, stderr = child.communicate(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if not frozen_before_rename:
            outcomes.append("inconclusive: the save finished before the freeze")
            continue
        if target.read_bytes() != b"the old checkpoint":  # frozen inside os.replace, before its syscall: whole too
            outcomes.append("inconclusive: the signal landed as the rename ran")
            continue
        print(f"\nCtrl+C landed mid-save on attempt {_attempt + 1}; the saver said {stdout.strip()!r}")
        assert child.returncode == 3 and stdout.strip() == "interrupted", (child.returncode, stdout, stderr)
        assert temporary_files(folder) == [], "the interrupted save left its temporary file behind"
        assert sorted(p.name for p in folder.iterdir()) == ["model.safetensors"]
        return
    pytest.fail(f"no SIGINT landed before the rename in {len(outcomes)} attempts: {outcomes}")
