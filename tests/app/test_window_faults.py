"""Faults in the window, each with the real training process: divergence, a killed
training process, frantic clicking, switching data while training, and every way of
ending (closing while training, right after start, with the import dialog open, the
native window destroyed from outside, the widget deleted).  The session fixture
(tests/conftest.py) fails any of them that leaves a thread or a process behind."""

import warnings

import numpy as np
import pytest
import shiboken6
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import lifeline
from vdq_gui.app.window import MainWindow
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec

WAIT_MS = 30000



@pytest.fixture(scope="module")
def bimodal():
    return load_data("builtin:bimodal")


def open_window(qtbot, keep, spec):
    win = keep(MainWindow(spec))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.last_snapshot is not None, timeout=WAIT_MS)
    return win


def settle(qtbot, win):
    assert win.worker.wait_idle(15)
    qtbot.waitUntil(lambda: win.last_snapshot.step == win.worker.trainer.step_count
                    and win.worker.take_snapshot() is None, timeout=WAIT_MS)


def _finite_picture(snapshot):
    for name, value in vars(snapshot).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and name not in ("gap_per_bin",) \
                and name != "history":
            assert np.isfinite(value).all(), name


def test_divergence_goes_back_pauses_with_a_banner_and_a_smaller_rate_trains_on(qtbot, keep, dialog_log, bimodal):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # e.g. "All-NaN slice" while drawing
        win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="variational", learning_rate=100.0))
        assert win.controls.learning_rate.value() == 100.0  # the box shows what the run uses
        win.actions["play"].setChecked(True)
        qtbot.waitUntil(lambda: "went back to step 0" in win.banner.text() and win.banner.isVisible(),
                        timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not win.actions["play"].isChecked(), timeout=WAIT_MS)
        assert "smaller learning rate (now 100)" in win.banner.text()
        settle(qtbot, win)
        shown = win.last_snapshot
        assert shown.step == 0 and shown.is_bound
        _finite_picture(shown)
        assert np.isfinite(shown.gap_per_bin).all() and shown.model_pmf.max() < 0.5
        # The advice works: a smaller rate, then Play, trains past where it stopped.
        win.controls.learning_rate.setValue(0.01)
        win.actions["play"].setChecked(True)
        qtbot.waitUntil(lambda: win.last_snapshot.step > 60, timeout=WAIT_MS)
        assert not win.banner.isVisible()
        win.actions["play"].setChecked(False)
        settle(qtbot, win)
        assert not dialog_log["errors"]
        win.close()


def test_a_killed_training_process_is_reported_and_reset_recovers(qtbot, keep, dialog_log, bimodal):
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="uniform"))
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > 5, timeout=WAIT_MS)
    win.worker.process.kill()
    qtbot.waitUntil(lambda: bool(dialog_log["errors"]), timeout=WAIT_MS)
    assert "ended unexpectedly" in dialog_log["errors"][0][1]
    assert not win.actions["play"].isChecked() and not win.worker.is_running
    # Play and Step now say that nothing can train, instead of showing "Pause" over nothing.
    win.actions["play"].setChecked(True)
    assert not win.actions["play"].isChecked() and "Pause" not in win.actions["play"].text()
    win.actions["step"].trigger()
    assert [e for e in dialog_log["errors"] if "Nothing can train" in e[1]].__len__() == 2
    assert "Press Reset" in win.banner.text()
    win.actions["reset"].trigger()  # asks first (answered yes), then a new process
    qtbot.waitUntil(lambda: win.worker.process is not None and win.worker.process.is_alive(), timeout=WAIT_MS)
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot is not None and win.last_snapshot.step > 5, timeout=WAIT_MS)
    assert win.worker.is_running
    win.close()


def test_play_pause_toggled_hundreds_of_times(qtbot, keep, dialog_log, bimodal):
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="uniform"))
    play = win.actions["play"]
    for i in range(400):
        play.toggle()
        if i % 50 == 0:
            QtWidgets.QApplication.processEvents()
    assert not play.isChecked()  # an even number of toggles
    settle(qtbot, win)
    assert not win.worker.is_running and "Play" in play.text()
    step = win.last_snapshot.step
    play.setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > step + 5, timeout=WAIT_MS)
    play.setChecked(False)
    settle(qtbot, win)
    assert not dialog_log["errors"]
    win.close()


def test_dataset_and_dequantizer_changed_while_training(qtbot, keep, dialog_log, bimodal):
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="variational"))
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > 3, timeout=WAIT_MS)
    assert win.load_source("builtin:counts")
    win.actions["play"].setChecked(True)
    win._on_dequantizer_requested("uniform")
    win.actions["play"].setChecked(True)
    assert win.load_source("builtin:digits")
    win._on_dequantizer_requested("none")
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot is not None and win.last_snapshot.step > 2, timeout=WAIT_MS)
    shown = win.last_snapshot
    assert shown.kind == "images" and shown.levels == 17 and shown.dequantizer == "none"
    win.actions["play"].setChecked(False)
    settle(qtbot, win)
    assert not dialog_log["errors"]
    win.close()


def test_closing_right_after_start(qtbot, keep, dialog_log, bimodal):
    win = keep(MainWindow(RunSpec.of(bimodal)))
    win.show()
    win.start()
    win.actions["play"].setChecked(True)
    win.close()
    assert not win.worker.isRunning()
    assert win.worker.process is None or not win.worker.process.is_alive()


def test_closing_while_the_import_dialog_is_open(qtbot, keep, dialog_log, bimodal, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("v\n" + "\n".join(str(i % 7) for i in range(200)))
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="uniform"))
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > 3, timeout=WAIT_MS)
    seen = []

    def close_under_the_dialog():
        seen.append([d for d in win.findChildren(QtWidgets.QDialog) if d.isVisible()])
        win.close()

    QtCore.QTimer.singleShot(500, close_under_the_dialog)
    assert win.open_path(path) is False  # the dialog closed with the window: nothing loads
    assert seen and seen[0], "the import dialog was not open when the window closed"
    assert not win.worker.isRunning()
    assert win.spec.data is bimodal


def test_a_window_whose_native_window_is_destroyed_stops_training(qtbot, keep, dialog_log, bimodal, monkeypatch):
    ended = []
    monkeypatch.setattr(lifeline, "_end_event_loop", lambda: ended.append(True))
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="uniform"))
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > 3, timeout=WAIT_MS)
    process = win.worker.process
    win.windowHandle().destroy()  # what a broken display connection does to it
    qtbot.waitUntil(lambda: bool(ended), timeout=WAIT_MS)
    assert not win.worker.isRunning() and not process.is_alive()


def test_a_window_deleted_from_outside_stops_and_joins_the_worker(qtbot, dialog_log, bimodal, monkeypatch):
    ended = []
    monkeypatch.setattr(lifeline, "_end_event_loop", lambda: ended.append(True))
    win = MainWindow(RunSpec.of(bimodal, dequantizer="uniform"))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.last_snapshot is not None, timeout=WAIT_MS)
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.last_snapshot.step > 3, timeout=WAIT_MS)
    process = win.worker.process
    shiboken6.delete(win)  # no closeEvent: the C++ window and its children are gone
    assert ended and not process.is_alive()
