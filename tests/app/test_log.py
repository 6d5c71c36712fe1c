"""The log file gets warnings and errors from Python, from Qt and from uncaught
exceptions; Help ▸ Show log opens it, or shows its tail when nothing can open it."""

import logging
import sys
import warnings

from PySide6 import QtCore

from vdq_gui.app import log
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec


def read_log() -> str:
    for handler in log.logger.handlers:
        handler.flush()
    return log.log_path().read_text(encoding="utf-8")


def test_the_log_is_in_the_tests_folder(user_folder):
    assert log.install() == user_folder / "log" / log.FILE_NAME


def test_warnings_and_errors_reach_the_file_and_chatter_does_not():
    log.install()
    logging.getLogger("vdq_gui.anything").warning("a warning for the log")
    logging.getLogger("vdq_gui.anything").info("chatter")
    warnings.warn("a Python warning", RuntimeWarning, stacklevel=1)
    QtCore.qWarning("a Qt warning")
    text = read_log()
    assert "WARNING vdq_gui.anything: a warning for the log" in text
    assert "a Python warning" in text and "Qt: a Qt warning" in text
    assert "chatter" not in text


def test_an_uncaught_exception_is_logged_with_its_traceback(monkeypatch):
    passed_on = []
    # (pytest-qt's own hook would fail the test: a recorder stands in for Python's.)
    monkeypatch.setattr(sys, "excepthook", lambda *info: passed_on.append(info[1]))
    log.install()
    try:
        raise ValueError("nobody caught me")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    text = read_log()
    assert "ERROR vdq_gui: uncaught exception" in text and "ValueError: nobody caught me" in text
    assert "Traceback" in text
    assert [str(e) for e in passed_on] == ["nobody caught me"]  # and still handed on


def test_uninstall_puts_everything_back():
    hook = sys.excepthook
    log.install()
    assert sys.excepthook is not hook
    log.uninstall()
    assert sys.excepthook is hook and not log.logger.handlers


def test_show_log_opens_the_file_or_shows_its_tail(qtbot, keep, dialog_log):
    log.install()
    logging.getLogger("vdq_gui").error("the last line")
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    opened = []
    assert log.show_log(win, opener=lambda url: opened.append(url.toLocalFile()) or True) is None
    assert opened == [str(log.log_path())]
    dialog = log.show_log(win, opener=lambda url: False)  # no viewer on this desktop
    keep(dialog)
    assert dialog.isVisible() and dialog.text.toPlainText().splitlines()[-1].endswith("the last line")
    assert "show_log" in win.actions and win.actions["show_log"].statusTip()


def test_training_failures_are_logged(qtbot, keep, dialog_log):
    log.install()
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    log.watch(win)
    win.session.failed.emit("the model exploded")
    win.session.stopped.emit("non-finite loss")
    text = read_log()
    assert "ERROR vdq_gui: training failed: the model exploded" in text
    assert "WARNING vdq_gui: training stopped: non-finite loss" in text


def test_the_file_rotates_instead_of_growing(monkeypatch):
    monkeypatch.setattr(log, "MAX_BYTES", 2000)
    log.install()
    for index in range(200):
        logging.getLogger("vdq_gui").warning("line %d of many, long enough to fill the file", index)
    folder = log.log_path().parent
    assert log.log_path().stat().st_size <= 2000
    assert len(list(folder.glob(log.FILE_NAME + ".*"))) == log.BACKUPS
