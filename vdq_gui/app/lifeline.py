"""When the window disappears without being closed, stop training and end the app.

A window can vanish without a close event: its native window destroyed from outside
(as when the display connection breaks or a window manager kills it), or the widget
deleted by code that holds it.  Then no closeEvent runs, Qt's "last window closed" never
fires, and the training process would go on training for nobody.  This module watches
for both and stops and joins the worker, then ends the event loop with status 1.
"""

from __future__ import annotations

import functools
import sys

from PySide6 import QtCore, QtWidgets

EXIT_WINDOW_GONE = 1


class _SurfaceWatch(QtCore.QObject):
    """Event filter: on the window's first show it starts watching its native surface."""

    def __init__(self, window: QtWidgets.QWidget):
        super().__init__(window)
        self.window = window
        self.watched = None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QtCore.QEvent.Type.Show and watched is self.window and self.watched is None:
            self.watched = self.window.windowHandle()
            if self.watched is not None:
                self.watched.installEventFilter(self)
        elif (kind == QtCore.QEvent.Type.PlatformSurface and watched is self.watched
              and event.surfaceEventType() == event.SurfaceEventType.SurfaceAboutToBeDestroyed):
            # Qt may also re-create a surface on purpose; gone is gone only if, once the
            # event is handled, the window is no longer shown and was not closed by us.
            QtCore.QTimer.singleShot(0, self._check_gone)
        return False

    @QtCore.Slot()
    def _check_gone(self) -> None:
        window = self.window
        if window.isVisible() or getattr(window, "closing", False):
            return
        print("vdq-gui: the window was destroyed from outside (is the display gone?): "
              "training stopped", file=sys.stderr)
        window.shutdown()
        _end_event_loop()


def _on_window_deleted(session, *_) -> None:
    """The window's C++ object is being deleted (its children, the session and its workers
    among them, are still alive at this moment): stop and join every worker before Qt
    deletes them.  A window that was closed first has stopped its workers already; then
    nothing is left to do (and ending an event loop that is not running would upset the
    next one)."""
    if not any(worker.isRunning() for worker in session.workers()):
        return
    session.shutdown()
    _end_event_loop()


def _end_event_loop() -> None:
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.exit(EXIT_WINDOW_GONE)


def install(window) -> None:
    """Watch ``window`` (a MainWindow with ``session`` and ``shutdown``)."""
    window.installEventFilter(_SurfaceWatch(window))
    # No reference to the window in the receiver: it is being destroyed when this runs.
    # The session, not a worker: in compare mode and after a reset the workers change.
    window.destroyed.connect(functools.partial(_on_window_deleted, window.session))
