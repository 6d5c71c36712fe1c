"""Can Qt open a window here?  Checked before Qt is asked for a platform (no Qt import).

On Linux, Qt's X11 platform plugin (``libqxcb.so``) loads a dozen system libraries that
PySide6 does not ship.  When one is missing Qt aborts with "Could not load the Qt platform
plugin "xcb" ... Reinstalling the application may fix this problem", which names neither
the library nor the fix (reinstalling does not help).  Many fresh Ubuntu/Debian desktops
lack ``libxcb-cursor0`` (needed since Qt 6.5).  So before creating the QApplication we
load each library ourselves and, if any is missing, say which and the ``apt-get`` line.

With no display at all Qt cannot open a window either; then we say so and point at the
offscreen uses (``--screenshot``, ``vdq-train``).  VDQ_SKIP_PLATFORM_CHECK=1 skips all this.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
from pathlib import Path
from typing import Callable, Mapping

EXIT_STATUS = 2

# soname -> Debian/Ubuntu package.  From `ldd` on PySide6's Qt/lib/libQt6Gui.so.6 and
# Qt/plugins/platforms/libqxcb.so (PySide6 6.x; tests/app/test_platform_check.py compares
# this table with ldd's list on the installed PySide6).
GUI_LIBRARIES = {  # QtGui itself, whatever the platform (offscreen too)
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
}
XCB_LIBRARIES = {  # the xcb platform plugin on top
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}


def qt_platform(environ: Mapping[str, str]) -> str:
    """The platform plugin Qt will pick on Linux (as QGuiApplication decides it): the first
    of QT_QPA_PLATFORM, else wayland in a Wayland session that is not GNOME, else xcb."""
    chosen = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    desktop = (environ.get("XDG_CURRENT_DESKTOP", "") + environ.get("XDG_SESSION_DESKTOP", "")).lower()
    if environ.get("XDG_SESSION_TYPE") == "wayland" and environ.get("WAYLAND_DISPLAY") and "gnome" not in desktop:
        return "wayland"
    return "xcb"


def _load(name: str) -> None:
    ctypes.CDLL(name)


def _bundled_libraries() -> set[str]:
    """Libraries PySide6 ships itself (Qt/lib): found by Qt without the system's help."""
    spec = importlib.util.find_spec("PySide6")
    folders = spec.submodule_search_locations if spec else None
    names: set[str] = set()
    for folder in folders or ():
        lib = Path(folder) / "Qt" / "lib"
        if lib.is_dir():
            names.update(entry.name for entry in lib.iterdir())
    return names


def missing_libraries(platform: str, load: Callable[[str], None] | None = None) -> dict[str, str]:
    """soname -> package of every library Qt needs for ``platform`` that cannot be loaded."""
    load = load or _load
    needed = dict(GUI_LIBRARIES)
    if platform == "xcb":
        needed.update(XCB_LIBRARIES)
    bundled = _bundled_libraries()
    missing = {}
    for name, package in needed.items():
        if name in bundled:
            continue
        try:
            load(name)
        except OSError:
            missing[name] = package
    return missing


def missing_libraries_message(missing: Mapping[str, str], platform: str) -> str:
    where = "open a window on this X11 display" if platform == "xcb" else f"start (platform {platform!r})"
    packages = " ".join(sorted(set(missing.values())))
    return (f"vdq-gui: Qt cannot {where}: these system libraries are missing: {', '.join(missing)}.\n"
            f"Install them (Debian/Ubuntu):\n    sudo apt-get install {packages}\n"
            "(other distributions: the packages that provide these files; the README's Install "
            "section lists them).  Reinstalling vdq-gui does not help.")


NO_DISPLAY_MESSAGE = (
    "vdq-gui: no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so there is nowhere to open "
    "the window.\nWithout a screen, vdq-gui can still draw offscreen, e.g.\n"
    "    vdq-gui builtin:digits --auto-start --after-steps 500 --screenshot digits.png\n"
    "(a PNG of the window; QT_QPA_PLATFORM=offscreen), and vdq-train trains and writes metrics headless.")


def check_platform(*, offscreen_ok: bool, environ=None, platform: str | None = None,
                   load: Callable[[str], None] | None = None, err=None) -> int | None:
    """None if Qt can start here (after choosing offscreen when there is no display and the
    run only makes a picture: ``offscreen_ok``); otherwise print why and return the exit status."""
    environ = os.environ if environ is None else environ
    err = err or sys.stderr
    if (platform or sys.platform) != "linux" or environ.get("VDQ_SKIP_PLATFORM_CHECK"):
        return None
    chosen = qt_platform(environ)
    if chosen in ("xcb", "wayland") and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        if not offscreen_ok:
            print(NO_DISPLAY_MESSAGE, file=err)
            return EXIT_STATUS
        print("vdq-gui: no display: drawing offscreen (QT_QPA_PLATFORM=offscreen) for the screenshot", file=err)
        environ["QT_QPA_PLATFORM"] = chosen = "offscreen"
    missing = missing_libraries(chosen, load)
    if missing:
        print(missing_libraries_message(missing, chosen), file=err)
        return EXIT_STATUS
    return None
