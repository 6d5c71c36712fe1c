"""File ▸ Recent files and Recent sessions: newest first, at most MAX, checked when read,
kept in the test's own settings folder, and never written by automation runs."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from tests.app.test_window import WAIT_MS, open_window
from vdq_gui.app import import_dialog, recent, settings
from vdq_gui.app.window import RECENT_FILES_KEY
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec


@pytest.fixture
def window(qtbot, keep, dialog_log):
    data = load_data("builtin:bimodal")
    return open_window(qtbot, keep, RunSpec.of(data, dequantizer="uniform"), worker_factory=TrainingWorker)


def test_newest_first_without_repeats_and_at_most_max(tmp_path, user_folder):
    for i in range(recent.MAX + 3):
        recent.remember("test/recent", tmp_path / f"{i}.csv")
    recent.remember("test/recent", tmp_path / "4.csv")  # again: moves to the front, once
    paths = recent.read("test/recent")
    assert len(paths) == recent.MAX and paths[0] == str((tmp_path / "4.csv").resolve())
    assert len(set(paths)) == len(paths)
    assert list((user_folder / "settings").glob("*.ini"))  # the test's folder, not the user's


def test_a_hand_edited_list_is_read_as_strings_only(user_folder):
    store = settings.open_store()
    store.setValue("test/recent", 42)
    assert recent.read("test/recent") == []
    store.setValue("test/recent", ["a.csv", 7, "", "b.csv"])
    assert recent.read("test/recent") == ["a.csv", "b.csv"]


def test_a_file_opened_is_in_recent_files_and_opens_again_from_there(qtbot, window, tmp_path, monkeypatch):
    menu = window.recent_files
    assert [a.text() for a in menu.actions()] == [recent.NONE_YET]
    assert menu.menuAction() in window.menus["file"].actions()
    path = tmp_path / "grades.csv"
    path.write_text("grade\n" + "\n".join(str(v) for v in np.random.default_rng(0).integers(0, 6, 300)) + "\n")
    monkeypatch.setattr(import_dialog.ImportDialog, "exec", lambda self: QtWidgets.QDialog.DialogCode.Accepted)
    assert window.open_path(str(path))
    menu.aboutToShow.emit()
    (action,) = menu.actions()
    assert action.text() == "grades.csv" and action.statusTip() == f"Open the data {path.resolve()}"
    window.load_source("builtin:counts")  # something else, then back to the file from the menu
    qtbot.waitUntil(lambda: window.spec.data.name == "counts", timeout=WAIT_MS)
    action.trigger()
    qtbot.waitUntil(lambda: window.spec.data.name == "grades", timeout=WAIT_MS)
    window.close()


def test_a_window_that_does_not_remember_leaves_the_lists_alone(qtbot, window, tmp_path, monkeypatch):
    window.remembers = False  # as vdq-gui sets it for --screenshot/--export/--record runs
    path = tmp_path / "values.csv"
    path.write_text("\n".join(str(i % 4) for i in range(100)) + "\n")
    monkeypatch.setattr(import_dialog.ImportDialog, "exec", lambda self: QtWidgets.QDialog.DialogCode.Accepted)
    assert window.open_path(str(path))
    assert recent.read(RECENT_FILES_KEY) == []
    window.close()


def test_a_bad_file_is_not_remembered(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "broken.csv"
    path.write_text("name\nalice\nbob\n")
    assert not window.open_path(str(path))
    assert recent.read(RECENT_FILES_KEY) == []
    window.close()
