"""File ▸ Recent files and File ▸ Recent sessions: the paths last opened, newest first.

Each list is one QSettings value in the app's settings store (``settings.open_store``, so
tests and ``$VDQ_GUI_SETTINGS_DIR`` move it with the rest).  What is read back is checked
(strings only, at most ``MAX`` of them): a hand-edited file cannot put anything else in
the menu.  A window that does not remember (automation runs: ``--screenshot`` and the
like) still shows the lists but never writes them, so a scripted run leaves the user's
menu as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import settings

MAX = 8
NONE_YET = "(none yet)"


def read(key: str) -> list[str]:
    value = settings.open_store().value(key, [])
    if isinstance(value, str):  # QSettings gives a one-element list back as a string
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    return [path for path in value if isinstance(path, str) and path][:MAX]


def remember(key: str, path) -> None:
    path = str(Path(path).resolve())
    kept = [path] + [p for p in read(key) if p != path]
    store = settings.open_store()
    store.setValue(key, kept[:MAX])
    store.sync()


class RecentMenu(QtWidgets.QMenu):
    """A submenu of the paths under ``key``; choosing one calls ``open_path(path)``."""

    def __init__(self, title: str, key: str, open_path: Callable[[str], object], window, what: str):
        super().__init__(title, window)
        self.key, self.window, self.what = key, window, what
        self._open_path = open_path
        self.setToolTipsVisible(True)
        self.aboutToShow.connect(self.refill)
        self.triggered.connect(self._on_triggered)
        self.refill()

    def remember(self, path) -> None:
        if getattr(self.window, "remembers", True):
            remember(self.key, path)
        self.refill()

    def paths(self) -> list[str]:
        return read(self.key)

    @QtCore.Slot()
    def refill(self) -> None:
        self.clear()
        paths = self.paths()
        for path in paths:
            action = self.addAction(Path(path).name)
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(f"Open the {self.what} {path}")
        if not paths:
            empty = self.addAction(NONE_YET)
            empty.setEnabled(False)
            empty.setStatusTip(f"The {self.what}s you open appear here")

    @QtCore.Slot(QtGui.QAction)
    def _on_triggered(self, action: QtGui.QAction) -> None:
        if action.data():
            self._open_path(action.data())
