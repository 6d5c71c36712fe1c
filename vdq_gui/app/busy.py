"""Slow file work (reading or writing a session) off the GUI thread, with the window alive.

``run_busy(parent, text, fn)`` runs ``fn`` in a thread of its own and waits for it in a
nested event loop, so the window keeps painting (the frame timer, the live plots) and the
caller still gets ``fn``'s result, or its exception, as from a plain call.  If it takes
longer than ``SHOW_AFTER_MS``, a modal busy dialog says what is happening (and keeps a
tired lecturer's clicks from starting something else meanwhile).  Joined before it returns:
no thread is left behind.
"""

from __future__ import annotations

import threading
from typing import Callable

from PySide6 import QtCore, QtWidgets

SHOW_AFTER_MS = 300  # quicker than this, and a dialog would only flicker
POLL_MS = 15


def run_busy(parent: QtWidgets.QWidget | None, text: str, fn: Callable, *args):
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as error:  # handed to the caller, raised there
            outcome["error"] = error

    thread = threading.Thread(target=work, name="vdq-busy", daemon=True)
    thread.start()
    dialog = _dialog(parent, text)
    loop = QtCore.QEventLoop()
    poll = QtCore.QTimer()
    poll.setInterval(POLL_MS)
    # A worker thread may not quit another thread's event loop: the loop looks instead.
    poll.timeout.connect(lambda: loop.quit() if not thread.is_alive() else None)
    show = QtCore.QTimer()
    show.setSingleShot(True)
    show.timeout.connect(dialog.show)
    poll.start()
    show.start(SHOW_AFTER_MS)
    if thread.is_alive():
        loop.exec()
    poll.stop()
    show.stop()
    thread.join()
    dialog.hide()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _dialog(parent, text: str) -> QtWidgets.QDialog:
    """A label and an indeterminate bar; no Cancel: a file half read or written is no use.
    A plain QDialog, because QProgressDialog shows itself on its own timer."""
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle("vdq-gui")
    dialog.setModal(True)
    layout = QtWidgets.QVBoxLayout(dialog)
    layout.addWidget(QtWidgets.QLabel(text))
    bar = QtWidgets.QProgressBar()
    bar.setRange(0, 0)  # busy: how far along is not known
    layout.addWidget(bar)
    return dialog
