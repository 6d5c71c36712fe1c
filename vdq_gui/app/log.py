"""The log file: warnings and errors of the window (Python's, Qt's and uncaught
exceptions) in the platform's log folder, so that what went wrong in a lecture can be
read afterwards; Help ▸ Show log opens it.

The folder is ``platformdirs.user_log_dir("vdq-gui")``, or ``$VDQ_GUI_LOG_DIR`` (tests
point it at a temporary folder).  The file rotates at ``MAX_BYTES`` (``BACKUPS`` old ones
kept), so it never grows without bound.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

LOG_DIR_VARIABLE = "VDQ_GUI_LOG_DIR"
FILE_NAME = "vdq-gui.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
TAIL_LINES = 300
logger = logging.getLogger("vdq_gui")

_installed: dict = {}  # what install() replaced, for uninstall()
_QT_LEVELS = {
    QtCore.QtMsgType.QtDebugMsg: None, QtCore.QtMsgType.QtInfoMsg: None,  # too chatty to keep
    QtCore.QtMsgType.QtWarningMsg: logging.WARNING, QtCore.QtMsgType.QtCriticalMsg: logging.ERROR,
    QtCore.QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def log_dir() -> Path:
    given = os.environ.get(LOG_DIR_VARIABLE)
    if given:
        return Path(given)
    import platformdirs

    return Path(platformdirs.user_log_dir("vdq-gui", appauthor=False))


def log_path() -> Path:
    return log_dir() / FILE_NAME


def install() -> Path | None:
    """Send warnings and errors to the log file (idempotent).  Returns the file, or None
    when the folder cannot be made (a read-only home): the app then runs without a log."""
    if _installed:
        return _installed["path"]
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError as error:
        print(f"vdq-gui: no log file ({path}: {error})", file=sys.stderr)
        return None
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logging.captureWarnings(True)  # warnings.warn(...) of numpy, pyqtgraph and ours
    logging.getLogger("py.warnings").addHandler(handler)
    _installed.update(path=path, handler=handler, excepthook=sys.excepthook,
                      qt_handler=QtCore.qInstallMessageHandler(_qt_message))
    sys.excepthook = _log_uncaught
    return path


def uninstall() -> None:
    """Undo install() (tests; a second window in one process keeps the first's log)."""
    if not _installed:
        return
    handler = _installed["handler"]
    logger.removeHandler(handler)
    logging.getLogger("py.warnings").removeHandler(handler)
    logging.captureWarnings(False)
    handler.close()
    QtCore.qInstallMessageHandler(_installed["qt_handler"])
    if sys.excepthook is _log_uncaught:
        sys.excepthook = _installed["excepthook"]
    _installed.clear()


def _qt_message(kind, context, message: str) -> None:
    level = _QT_LEVELS.get(kind)
    if level is not None:
        where = f" ({context.file}:{context.line})" if context is not None and context.file else ""
        logger.log(level, "Qt: %s%s", message, where)
    previous = _installed.get("qt_handler")
    if previous is not None:
        previous(kind, context, message)
    elif level is not None:
        print(message, file=sys.stderr)  # what Qt would have done without a handler


def _log_uncaught(kind, value, traceback) -> None:
    if not issubclass(kind, KeyboardInterrupt):
        logger.error("uncaught exception", exc_info=(kind, value, traceback))
    previous = _installed.get("excepthook") or sys.__excepthook__
    previous(kind, value, traceback)


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    """The last ``lines`` lines of the log (reads at most the last 256 KiB)."""
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 256 * 1024))
            text = file.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return "(no warnings or errors logged yet)"
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(no warnings or errors logged yet)"


def show_log(parent: QtWidgets.QWidget, opener=QtGui.QDesktopServices.openUrl):
    """Open the log file in the desktop's viewer; if there is none (or no file yet), show
    its tail in a dialog.  Returns the dialog, or None when the viewer took it."""
    path = _installed.get("path") or log_path()
    for handler in logger.handlers:
        handler.flush()
    if path.exists() and opener(QtCore.QUrl.fromLocalFile(str(path))):
        return None
    dialog = LogDialog(path, parent)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


class LogDialog(QtWidgets.QDialog):
    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Log: {path}")
        self.text = QtWidgets.QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setPlainText(tail(path))
        self.text.moveCursor(QtGui.QTextCursor.MoveOperation.End)
        where = QtWidgets.QLabel(f"The last {TAIL_LINES} lines of {path}")
        where.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(820, 480)


def watch(window) -> None:
    """Training errors and early stops go to the log too (they are shown in the window,
    but a lecturer reads the log after class)."""
    window.session.failed.connect(_LOG_RELAY.failed)
    window.session.stopped.connect(_LOG_RELAY.stopped)


class _Relay(QtCore.QObject):
    @QtCore.Slot(str)
    def failed(self, message: str) -> None:
        logger.error("training failed: %s", message)

    @QtCore.Slot(str)
    def stopped(self, reason: str) -> None:
        logger.warning("training stopped: %s", reason)


_LOG_RELAY = _Relay()
