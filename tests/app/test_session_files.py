"""Sessions in the window: save -> open -> continue equals an uninterrupted run (one run,
compare mode, the training process and the thread worker), a bad file is a dialog and
the current runs go on, Recent sessions, drag-and-drop and ``vdq-gui FILE.vdq``."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from PySide6 import QtCore, QtGui

from vdq_gui.app import session_files
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.dataset import DiscreteData
from vdq_gui.training.loop import RunSpec
from vdq_gui.training.session_file import read_session
from vdq_gui.training.trainer import TrainConfig, Trainer

WAIT_MS = 30000


@pytest.fixture
def isolated_settings(user_folder):
    """Recent sessions go to the test's own settings folder (tests/app/conftest.py), never
    the user's."""
    return user_folder / "settings"


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(4, 0.8, 600), rng.normal(11, 1.5, 400)]).round().clip(0, 15)
    return DiscreteData(values.astype(int), 16, "1d", name="small-bimodal", source="small.csv")


def open_window(qtbot, keep, spec, **options):
    win = keep(MainWindow(spec, ask_before_reset=False, **options))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: all(run.snapshot is not None for run in win.session.runs), timeout=WAIT_MS)
    return win


def step_and_settle(qtbot, win, steps):
    """Train every run ``steps`` more steps and wait until each shows its final state."""
    targets = [run.snapshot.step + steps for run in win.session.runs]
    win.session.step(steps)
    assert win.session.wait_idle(60)
    qtbot.waitUntil(lambda: all(run.snapshot is not None and run.snapshot.step == target
                                for run, target in zip(win.session.runs, targets)), timeout=WAIT_MS)


def uninterrupted(spec, steps):
    trainer = Trainer(spec.data, spec.config)
    trainer.run(steps)
    return trainer


def assert_same_run(replica, reference):
    """The window's trainer (or replica) holds what an uninterrupted run reached."""
    assert replica.step_count == reference.step_count
    assert abs(replica.evaluate()["val_bound_bpd"] - reference.evaluate()["val_bound_bpd"]) <= 1e-5
    assert np.array_equal(replica.log.rows_from(0)[:6], reference.log.rows_from(0)[:6], equal_nan=True)


def same_threads_as_the_training_process():
    """Bit-exact comparisons need the thread count the worker trains with (limit_torch_threads)."""
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))


def test_save_open_continue_equals_uninterrupted_in_the_training_process(qtbot, keep, dialog_log, small, tmp_path):
    spec = RunSpec.of(small, dequantizer="variational", seed=5)
    win = open_window(qtbot, keep, spec)  # the app's default: training in a process of its own
    step_and_settle(qtbot, win, 40)
    path = tmp_path / "lecture.vdq"
    assert win.session_files.save_to(path), dialog_log["errors"]
    assert read_session(path).runs[0].trainer.step_count == 40
    step_and_settle(qtbot, win, 10)  # the window goes on; the file holds step 40
    assert win.session_files.open(path), dialog_log["errors"]
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot is not None and win.session.runs[0].snapshot.step == 40,
                    timeout=WAIT_MS)
    assert win.spec.dequantizer == "variational" and "variational" in win.windowTitle()
    assert len(win.session.timeline) >= 1  # the saved pictures came back
    step_and_settle(qtbot, win, 40)
    same_threads_as_the_training_process()
    assert_same_run(win.worker.trainer, uninterrupted(spec, 80))
    win.close()


def test_compare_mode_saves_and_resumes_every_run(qtbot, keep, dialog_log, small, tmp_path):
    spec = RunSpec.of(small, dequantizer="uniform", seed=2, eval_every=20)
    win = open_window(qtbot, keep, spec, compare=["uniform", "variational"], worker_factory=TrainingWorker)
    step_and_settle(qtbot, win, 30)
    path = tmp_path / "pair.vdq"
    assert win.session_files.save_to(path), dialog_log["errors"]
    step_and_settle(qtbot, win, 10)  # the window goes on; the file holds step 30
    win.set_compare(["none"])  # something else, then back to the file
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot is not None, timeout=WAIT_MS)
    assert win.session_files.open(path), dialog_log["errors"]
    assert [run.name for run in win.session.runs] == ["uniform", "variational"]
    qtbot.waitUntil(lambda: all(r.snapshot is not None and r.snapshot.step == 30 for r in win.session.runs),
                    timeout=WAIT_MS)
    step_and_settle(qtbot, win, 30)
    same_threads_as_the_training_process()
    for run in win.session.runs:
        assert_same_run(run.worker.trainer, uninterrupted(run.spec, 60))
    win.close()


def test_saving_while_playing_does_not_pause(qtbot, keep, dialog_log, small, tmp_path):
    win = open_window(qtbot, keep, RunSpec.of(small, dequantizer="uniform"), worker_factory=TrainingWorker)
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot.step > 20, timeout=WAIT_MS)
    assert win.session_files.save_to(tmp_path / "live.vdq"), dialog_log["errors"]
    assert win.session.is_running  # still training
    saved = read_session(tmp_path / "live.vdq").runs[0].trainer.step_count
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot.step > saved + 20, timeout=WAIT_MS)
    win.actions["play"].setChecked(False)
    win.close()


def test_saving_compare_mode_while_playing_saves_every_run_at_one_step(qtbot, keep, dialog_log, small, tmp_path):
    win = open_window(qtbot, keep, RunSpec.of(small, dequantizer="uniform"), compare=["uniform", "variational"],
                      worker_factory=TrainingWorker)
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: min(run.snapshot.step for run in win.session.runs) > 20, timeout=WAIT_MS)
    assert win.session_files.save_to(tmp_path / "pair.vdq"), dialog_log["errors"]
    assert win.session.lockstep.playing  # Play goes on after the save
    steps = [run.trainer.step_count for run in read_session(tmp_path / "pair.vdq").runs]
    assert steps[0] == steps[1] > 20  # in lockstep: they resume in lockstep
    win.actions["play"].setChecked(False)
    assert win.session.wait_idle(30)
    win.close()


def test_a_bad_file_is_a_dialog_and_the_runs_go_on(qtbot, keep, dialog_log, small, tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    bad = tmp_path / "evil.vdq"
    bad.write_bytes(pickle.dumps(Payload()))
    win = open_window(qtbot, keep, RunSpec.of(small, dequantizer="uniform"), worker_factory=TrainingWorker)
    step_and_settle(qtbot, win, 10)
    worker, trainer = win.worker, win.worker.trainer
    assert not win.session_files.open(bad)
    assert dialog_log["errors"] and str(bad) in dialog_log["errors"][-1][1]
    assert "not a vdq session file" in dialog_log["errors"][-1][1]
    assert win.worker is worker and win.worker.trainer is trainer and trainer.step_count == 10
    assert not marker.exists()
    step_and_settle(qtbot, win, 5)  # and it trains on
    assert trainer.step_count == 15
    win.close()


def test_recent_sessions_menu_and_drag_and_drop(qtbot, keep, dialog_log, small, tmp_path, isolated_settings):
    win = open_window(qtbot, keep, RunSpec.of(small, dequantizer="uniform", seed=1), worker_factory=TrainingWorker)
    step_and_settle(qtbot, win, 7)
    path = tmp_path / "recent.vdq"
    assert win.session_files.save_to(path)
    assert session_files.recent_sessions() == [str(path.resolve())]
    assert list(isolated_settings.rglob("*.ini"))  # written to the isolated folder
    win.session_files.recent_menu.aboutToShow.emit()
    actions = win.session_files.recent_menu.actions()
    assert [a.text() for a in actions] == ["recent.vdq"]
    win.set_compare(["variational"])
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot is not None, timeout=WAIT_MS)
    actions[0].trigger()  # File > Recent sessions > recent.vdq
    qtbot.waitUntil(lambda: win.session.runs[0].snapshot is not None and win.session.runs[0].snapshot.step == 7
                    and win.spec.dequantizer == "uniform", timeout=WAIT_MS)
    # Drop the file on the window: opens it the same way.
    win.set_compare(["variational"])
    qtbot.waitUntil(lambda: win.spec.dequantizer == "variational" and win.session.runs[0].snapshot is not None,
                    timeout=WAIT_MS)
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    drop = QtGui.QDropEvent(QtCore.QPointF(50, 50), QtCore.Qt.DropAction.CopyAction, mime,
                            QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    qtbot.waitUntil(lambda: win.spec.dequantizer == "uniform" and win.session.runs[0].snapshot is not None
                    and win.session.runs[0].snapshot.step == 7, timeout=WAIT_MS)
    assert not dialog_log["errors"]
    assert win.actions["save_session"].shortcut().toString() == "Ctrl+S"
    win.close()


def run_app(*args, timeout=180):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "vdq_gui.app.main", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_vdq_gui_refuses_a_bad_session_file_with_status_2(tmp_path, capsys):
    from vdq_gui.app.main import main

    bad = tmp_path / "bad.vdq"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    assert main([str(bad), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert f"{bad}: not a vdq session file" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_vdq_gui_continues_a_session_file(tmp_path, small):
    from vdq_gui.training.session_file import save_trainers

    trainer = Trainer(small, TrainConfig(dequantizer="uniform"))
    trainer.run(20)
    good = tmp_path / "good.vdq"
    save_trainers(good, [trainer])
    shot = tmp_path / "resumed.png"
    result = run_app(str(good), "--auto-start", "--after-steps", "10", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert "step 30" in result.stdout  # 20 saved + 10 more
    assert QtGui.QImage(str(shot)).width() == 1280
