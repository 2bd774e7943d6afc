"""Can the window open here? Asked before Qt is imported, because Qt's answer is an abort.

Without a display, or with the xcb platform plugin's system libraries missing, Qt prints a hint and aborts the process
(exit 134); the hint named `xcb-cursor0` while the libraries really missing were libxcb-icccm4 and libxcb-keysyms1.
So the window's entry (explorer.__main__) asks here first and exits 2 with what is wrong and how to fix it. No Qt
here: this runs where Qt cannot.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

#: The libraries Qt's xcb platform plugin loads (each soname), with the Debian/Ubuntu package that holds it.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}

#: The README's line, which installs all of them (and a font).
APT_LINE = (
    "sudo apt-get install libgl1 libegl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 "
    "libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 fonts-dejavu-core"
)

#: Platforms that need no display server (tests, VNC, a framebuffer): nothing to check.
NO_SERVER_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay"})

HEADLESS_HINT = (
    "The headless commands need no display: convae-explorer train, render, export, bench --no-gui. To see the window "
    "on a server, use ssh -X, or a virtual display: xvfb-run convae-explorer."
)


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds and loads `soname`, as Qt's plugin will."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(libraries: Mapping[str, str] = XCB_LIBRARIES) -> dict[str, str]:
    """The sonames of `libraries` that cannot be loaded, each with its package."""
    return {soname: package for soname, package in libraries.items() if not loadable(soname)}


def x_display_reachable(display: str) -> bool:
    """Whether an X server answers at `display` (through libxcb, as Qt's xcb plugin connects)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # cannot tell without libxcb: its absence is reported as a missing library
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)  # also frees the error object xcb returns on failure


def chosen_platform(environ: Mapping[str, str]) -> str:
    """The Qt platform plugin the window will use on Linux: QT_QPA_PLATFORM's first choice, else what Qt 6 picks
    (wayland in a Wayland session that has a Wayland display, xcb otherwise)."""
    asked = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if asked:
        return asked
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return "wayland"
    return "xcb"


def display_problem(
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    libraries: Mapping[str, str] = XCB_LIBRARIES,
) -> str | None:
    """Why the window cannot open here, in words with the fix; None when nothing stands in the way (or this is not
    Linux, where Qt's own platforms need no system libraries of ours). `libraries`: what the xcb plugin needs."""
    environ = os.environ if environ is None else environ
    if (platform or sys.platform) != "linux":
        return None
    qt_platform = chosen_platform(environ)
    if qt_platform in NO_SERVER_PLATFORMS:
        return None
    if qt_platform == "wayland":
        if not environ.get("WAYLAND_DISPLAY"):
            return f"no display: QT_QPA_PLATFORM asks for wayland, but WAYLAND_DISPLAY is not set. {HEADLESS_HINT}"
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return (
            f"no display: DISPLAY (and WAYLAND_DISPLAY) is not set, so the window has nowhere to open. {HEADLESS_HINT}"
        )
    missing = missing_libraries(libraries)
    if missing:
        return (
            f"the window's Qt platform plugin (xcb) needs system libraries that are missing here: "
            f"{', '.join(f'{soname} (package {package})' for soname, package in missing.items())}. "
            f"On Debian or Ubuntu install them with the README's line:\n  {APT_LINE}"
        )
    if not x_display_reachable(display):
        return f"cannot reach the X display {display!r}: no X server answers there. {HEADLESS_HINT}"
    return None
