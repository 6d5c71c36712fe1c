"""Slow file work runs off the GUI thread: the window keeps processing events, the caller
gets the result or the exception, a busy dialog appears only for slow work, and no thread
is left behind."""

import threading
import time

import pytest
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import busy


def test_the_result_comes_back_and_the_event_loop_runs_meanwhile(qtbot):
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    gui_thread = threading.current_thread()
    worker_threads = []

    def slow(x):
        worker_threads.append(threading.current_thread())
        time.sleep(0.2)
        return x * 2

    assert busy.run_busy(None, "working…", slow, 21) == 42
    timer.stop()
    assert len(ticks) >= 5  # the GUI thread went on handling events during the 0.2 s
    assert worker_threads[0] is not gui_thread and not worker_threads[0].is_alive()


def test_an_exception_is_raised_in_the_caller(qtbot):
    def fails():
        raise ValueError("broken file")

    with pytest.raises(ValueError, match="broken file"):
        busy.run_busy(None, "working…", fails)


def test_the_busy_dialog_shows_only_for_slow_work(qtbot, monkeypatch):
    shown = []
    original = busy._dialog

    def recording_dialog(parent, text):
        dialog = original(parent, text)
        dialog.showEvent = lambda event: shown.append(text)
        return dialog

    monkeypatch.setattr(busy, "_dialog", recording_dialog)
    busy.run_busy(None, "quick", lambda: None)
    assert shown == []
    monkeypatch.setattr(busy, "SHOW_AFTER_MS", 30)
    busy.run_busy(None, "slow", time.sleep, 0.3)
    assert shown == ["slow"]
    QtWidgets.QApplication.processEvents()
