"""The import dialog: previews and loads run off the GUI thread, with Cancel; bad input is
said in the dialog; nothing is left running."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import import_dialog
from vdq_gui.app.import_dialog import ImportDialog, parse_step

Accepted = QtWidgets.QDialog.DialogCode.Accepted


def opened(qtbot, keep, path) -> ImportDialog:
    dialog = keep(ImportDialog(path))
    qtbot.waitUntil(lambda: dialog.preview is not None or dialog.error is not None, timeout=10_000)
    return dialog


def load(qtbot, dialog: ImportDialog) -> None:
    dialog.load_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)


@pytest.fixture
def reals(tmp_path):
    path = tmp_path / "reals.csv"
    path.write_text("x\n" + "\n".join(f"{i / 10:.1f}" for i in range(30)))
    return path


def test_preview_and_load_run_off_the_gui_thread(qtbot, keep, reals, monkeypatch):
    threads = []

    def recording(function):
        def wrapper(*args, **kwargs):
            threads.append(threading.current_thread() is threading.main_thread())
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(import_dialog, "preview_file", recording(import_dialog.preview_file))
    monkeypatch.setattr(import_dialog, "load_data", recording(import_dialog.load_data))
    dialog = opened(qtbot, keep, reals)
    assert dialog.preview.real_valued and "inferred 0.1" in dialog.step.placeholderText()
    load(qtbot, dialog)
    assert dialog.result() == Accepted and dialog.data.levels == 30
    assert threads == [False, False]  # one preview, one load, neither on the GUI thread


def test_one_row_of_a_million_values(qtbot, keep, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(str(i % 10) for i in range(10**6)) + "\n")
    dialog = opened(qtbot, keep, path)
    assert dialog.preview.levels == 10 and dialog.column.count() == 0  # not 10^6 columns in a combo
    assert len(dialog.rows_view.toPlainText()) < 300
    assert "one row" in dialog.notes.text()
    load(qtbot, dialog)
    assert dialog.data.count == 10**6 and dialog.data.levels == 10
    assert not any("only one level" in n for n in dialog.data.notes)


@pytest.mark.parametrize("text", ["1e", ".", "0,1", "-1", "nan", "abc"])
def test_bad_step_is_said_in_the_dialog(qtbot, keep, reals, text):
    dialog = opened(qtbot, keep, reals)
    dialog.step.setText(text)
    dialog.load_button.click()  # before: an uncaught ValueError in the slot, and nothing loaded
    assert not dialog.busy and dialog.result() != Accepted and dialog.data is None
    assert "step" in dialog.notes.text() and repr(text) in dialog.notes.text()
    dialog.step.setText("0.2")
    load(qtbot, dialog)
    assert dialog.data.step == pytest.approx(0.2)


def test_parse_step():
    assert parse_step("") is None and parse_step(" 0.5 ") == 0.5 and parse_step("1e-3") == 1e-3
    with pytest.raises(ValueError, match="comma"):
        parse_step("0,1")
    with pytest.raises(ValueError, match="positive"):
        parse_step("0")


def test_a_failed_load_is_said_in_the_dialog_and_it_stays_open(qtbot, keep, tmp_path):
    path = tmp_path / "ints.csv"
    path.write_text("\n".join(str(i) for i in range(10)))
    dialog = opened(qtbot, keep, path)
    dialog.levels.setValue(3)
    load(qtbot, dialog)
    assert dialog.result() != Accepted and "does not cover" in dialog.notes.text()
    dialog.levels.setValue(0)
    load(qtbot, dialog)
    assert dialog.result() == Accepted and dialog.data.levels == 10


@pytest.mark.parametrize(("write", "word"), [
    (lambda p: p.with_suffix(".npy"), "file not found"),
    (lambda p: (np.save(p.with_suffix(".npy"), np.zeros((4, 0, 8))), p.with_suffix(".npy"))[1], "no values"),
    (lambda p: (p.with_suffix(".npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8',\n"),
                p.with_suffix(".npy"))[1], "header is corrupt"),
])
def test_unreadable_files_close_with_a_true_reason(qtbot, keep, tmp_path, write, word):
    path = write(tmp_path / "bad")
    dialog = opened(qtbot, keep, path)
    assert dialog.preview is None and word in str(dialog.error) and path.name in str(dialog.error)
    assert dialog.exec() != Accepted  # returns at once: never a modal loop over nothing


class Gate:
    """A reading function that blocks until released (a slow file, made on demand)."""

    def __init__(self, function):
        self.function, self.entered, self.release = function, threading.Event(), threading.Event()

    def __call__(self, *args, **kwargs):
        self.entered.set()
        self.release.wait(10)
        return self.function(*args, **kwargs)


def test_cancel_a_slow_load_keeps_the_dialog_usable(qtbot, keep, reals, monkeypatch):
    dialog = opened(qtbot, keep, reals)
    gate = Gate(import_dialog.load_data)
    monkeypatch.setattr(import_dialog, "load_data", gate)
    dialog.load_button.click()
    assert gate.entered.wait(5) and dialog.busy and dialog.progress.isVisibleTo(dialog)
    assert not dialog.load_button.isEnabled()
    dialog.stop_button.click()
    assert not dialog.busy and dialog.load_button.isEnabled() and "stopped" in dialog.notes.text()
    gate.release.set()
    qtbot.waitUntil(lambda: not import_dialog.running_jobs(), timeout=5_000)
    QtCore.QCoreApplication.processEvents()
    assert dialog.data is None and dialog.result() != Accepted  # the abandoned result was dropped


def test_closing_while_previewing_leaves_nothing_running(qtbot, keep, reals, monkeypatch):
    gate = Gate(import_dialog.preview_file)
    monkeypatch.setattr(import_dialog, "preview_file", gate)
    dialog = keep(ImportDialog(reals))
    assert gate.entered.wait(5)
    dialog.stop_button.click()  # Cancel before any preview: the dialog closes
    assert dialog.result() != Accepted and not dialog.busy
    gate.release.set()
    import_dialog.wait_for_jobs(5_000)
    assert not import_dialog.running_jobs()
    QtCore.QCoreApplication.processEvents()
    assert dialog.preview is None


def test_another_column_is_previewed_again(qtbot, keep, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("a,b\n" + "\n".join(f"{i % 5},{i % 3}" for i in range(50)))
    dialog = opened(qtbot, keep, path)
    assert dialog.preview.levels == 5
    dialog.column.setCurrentText("b")
    qtbot.waitUntil(lambda: dialog.preview.levels == 3 and not dialog.busy, timeout=10_000)
    assert dialog.options() == {"column": "b"}


@settings(max_examples=15, deadline=5000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["x.csv", "x.npy", "x.npz", "x.png", "x-idx1-ubyte"]),
       body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_any_file_gives_a_preview_or_a_reason(qtbot, tmp_path, name, body):
    path = tmp_path / name
    path.write_bytes(body)
    dialog = ImportDialog(path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None or dialog.error is not None, timeout=5_000)
    assert dialog.preview is not None or path.name in str(dialog.error)
    import_dialog.wait_for_jobs(5_000)
