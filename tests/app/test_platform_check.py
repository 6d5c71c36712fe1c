"""Start-up on a machine that cannot show the window: a clear message and exit status 2,
never Qt's abort.  The missing libraries are simulated with a patched loader."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vdq_gui.app import main as main_module
from vdq_gui.app import platform_check
from vdq_gui.app.platform_check import GUI_LIBRARIES, XCB_LIBRARIES, check_platform, qt_platform

MISSING = ("libxcb-cursor.so.0", "libxcb-icccm.so.4")


def loader_without(*missing: str, seen: list | None = None):
    def load(name: str) -> None:
        if seen is not None:
            seen.append(name)
        if name in missing:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    return load


def test_missing_xcb_libraries_are_named_with_their_apt_line(capsys):
    status = check_platform(offscreen_ok=False, environ={"DISPLAY": ":0"}, platform="linux",
                            load=loader_without(*MISSING))
    assert status == 2
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in err
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4\n" in err
    assert len(err.strip().splitlines()) <= 5  # one message, not a traceback


def test_vdq_gui_exits_2_before_qt_starts_when_a_library_is_missing(monkeypatch, capsys):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("VDQ_SKIP_PLATFORM_CHECK", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "_load", loader_without("libxcb-keysyms.so.1"))
    assert main_module.main(["no-such-file.csv"]) == 2
    err = capsys.readouterr().err
    assert "no-such-file" not in err  # checked before the data is even read
    assert "missing: libxcb-keysyms.so.1." in err and "apt-get install libxcb-keysyms1" in err


def test_no_display_says_so_and_points_at_offscreen_use(capsys):
    assert check_platform(offscreen_ok=False, environ={}, platform="linux", load=loader_without()) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "--screenshot" in err and "vdq-train" in err


def test_no_display_with_a_screenshot_draws_offscreen(capsys):
    environ: dict[str, str] = {}
    seen: list[str] = []
    assert check_platform(offscreen_ok=True, environ=environ, platform="linux", load=loader_without(seen=seen)) is None
    assert environ["QT_QPA_PLATFORM"] == "offscreen"
    assert "offscreen" in capsys.readouterr().err
    assert not set(seen) & set(XCB_LIBRARIES)  # offscreen needs no xcb library


@pytest.mark.parametrize("environ", [{"QT_QPA_PLATFORM": "offscreen"},
                                     {"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}])
def test_xcb_libraries_are_checked_only_for_xcb(environ):
    seen: list[str] = []
    assert check_platform(offscreen_ok=False, environ=environ, platform="linux",
                          load=loader_without(*XCB_LIBRARIES, seen=seen)) is None
    assert set(seen) <= set(GUI_LIBRARIES)


def test_other_systems_are_not_checked():
    seen: list[str] = []
    assert check_platform(offscreen_ok=False, environ={}, platform="darwin", load=loader_without(seen=seen)) is None
    assert check_platform(offscreen_ok=False, environ={"VDQ_SKIP_PLATFORM_CHECK": "1"}, platform="linux",
                          load=loader_without(seen=seen)) is None
    assert seen == []


def test_which_platform_qt_would_pick():
    assert qt_platform({}) == "xcb"
    assert qt_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert qt_platform({"QT_QPA_PLATFORM": "xcb:nograb;wayland"}) == "xcb"
    wayland = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}
    assert qt_platform(wayland) == "wayland"
    assert qt_platform({**wayland, "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}) == "xcb"  # Qt ignores it on GNOME


def test_the_library_table_covers_what_the_installed_plugin_needs():
    """The table is what `ldd` says the installed PySide6's xcb plugin and QtGui load from
    the system; a PySide6 upgrade that needs another library fails here."""
    pyside = Path(platform_check.importlib.util.find_spec("PySide6").submodule_search_locations[0])
    plugin = pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not shutil.which("ldd") or not plugin.exists():
        pytest.skip("needs ldd and PySide6's xcb plugin (Linux)")
    needed = set()
    for binary in (plugin, pyside / "Qt" / "lib" / "libQt6XcbQpa.so.6", pyside / "Qt" / "lib" / "libQt6Gui.so.6"):
        listing = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30).stdout
        for name, target in re.findall(r"^\s*(\S+) => (.*)$", listing, flags=re.M):
            if str(pyside) not in target and re.match(r"lib(xcb|X11|xkbcommon|GL\b|EGL|fontconfig|freetype|glib|dbus)",
                                                     name):
                needed.add(name)
    assert needed <= set(GUI_LIBRARIES) | set(XCB_LIBRARIES), needed - set(GUI_LIBRARIES) - set(XCB_LIBRARIES)
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"} <= needed
