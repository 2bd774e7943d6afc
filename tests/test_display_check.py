"""The window's entry says why it cannot open before Qt aborts (issue 25, defect 11): no display, an X display that
does not answer, or the xcb plugin's missing libraries, each with the fix, and exit 2 instead of Qt's abort (134)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from shutil import which

import pytest

from explorer.utils.display import APT_LINE, XCB_LIBRARIES, display_problem, missing_libraries

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the xcb check is Linux's")


def launch(env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "explorer"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_without_a_display_the_window_says_so_and_exits_2(tmp_path: Path, subprocess_env: dict) -> None:
    env = {k: v for k, v in subprocess_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = launch(env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "no display: DISPLAY (and WAYLAND_DISPLAY) is not set" in done.stderr
    assert "convae-explorer train, render, export" in done.stderr and "xvfb-run convae-explorer" in done.stderr
    assert "xcb-cursor0" not in done.stderr and "Aborted" not in done.stderr


def test_an_x_display_nobody_answers_is_named(tmp_path: Path, subprocess_env: dict) -> None:
    free = next(n for n in range(917, 999) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    env = {**{k: v for k, v in subprocess_env.items() if k != "QT_QPA_PLATFORM"}, "DISPLAY": f":{free}"}
    done = launch(env, tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the X display ':{free}'" in done.stderr


def test_missing_xcb_libraries_are_named_with_their_packages_and_the_readme_line() -> None:
    """The loader really is asked: a library no system has is missing, the real ones here are not."""
    libraries = {**XCB_LIBRARIES, "libxcb-never-shipped.so.9": "libxcb-never-shipped9"}
    present = {soname for soname in XCB_LIBRARIES if soname not in missing_libraries()}
    assert missing_libraries(libraries).keys() - set(XCB_LIBRARIES) == {"libxcb-never-shipped.so.9"}
    problem = display_problem({"DISPLAY": ":0"}, "linux", libraries)
    assert "libxcb-never-shipped.so.9 (package libxcb-never-shipped9)" in problem and APT_LINE in problem
    assert not any(f"{soname} (package" in problem for soname in present)
    assert APT_LINE in Path(__file__).parents[1].joinpath("README.md").read_text().replace(" \\\n  ", " ")


def test_platforms_without_a_server_and_other_systems_are_left_to_qt() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "darwin") is None
    assert "WAYLAND_DISPLAY is not set" in display_problem({"QT_QPA_PLATFORM": "wayland"}, "linux")


@pytest.mark.skipif(which("Xvfb") is None, reason="needs Xvfb")
def test_a_running_x_server_passes(tmp_path: Path) -> None:
    number = next(n for n in range(917, 999) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "640x480x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the server's socket to appear, not a fixed sleep before a check
        problem = None
        while time.monotonic() < deadline:
            problem = display_problem({"DISPLAY": f":{number}"}, "linux")
            if problem is None:
                break
        assert problem is None and not missing_libraries()
    finally:
        server.terminate()
        server.wait(timeout=30)
