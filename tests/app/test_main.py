"""The ``vdq-gui`` entry point: argument parsing, bad files, the headless screenshot run,
and a first paint that does not wait for torch."""

import os
import subprocess
import sys

import pytest
from PySide6 import QtGui

from vdq_gui.app.main import data_options, main, parse_args


def test_arguments_map_onto_load_data_options():
    args = parse_args(["data.csv", "--column", "2", "--levels", "16", "--as", "pixels", "--seed", "3",
                       "--dequantizer", "uniform"])
    assert args.data == "data.csv" and args.seed == 3 and args.dequantizer == "uniform"
    given = {k: v for k, v in data_options(args).items() if v is not None}
    assert given == {"column": 2, "levels": 16, "as_": "pixels", "patch": 8}
    assert parse_args([]).data == "builtin:bimodal"
    assert data_options(parse_args(["x.png", "--as", "patches", "--patch", "4"]))["patch"] == 4


def test_a_bad_file_exits_2_and_names_it(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("word\nhello\n")
    assert main([str(path)]) == 2
    assert "bad.csv" in capsys.readouterr().err


def run_app(*args, timeout=120):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "vdq_gui.app.main", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_screenshot_run_trains_saves_and_exits_0(tmp_path):
    shot = tmp_path / "window.png"
    result = run_app("--auto-start", "--after-steps", "40", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert "step 40" in result.stdout
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 720)


def test_window_modules_do_not_import_torch():
    code = ("import sys; import vdq_gui.app.main, vdq_gui.app.window, vdq_gui.app.worker; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, "torch would hold back the first paint"


@pytest.mark.parametrize("dequantizer", ["none"])
def test_screenshot_run_accepts_options(tmp_path, dequantizer):
    shot = tmp_path / "none.png"
    result = run_app("builtin:counts", "--dequantizer", dequantizer, "--seed", "2", "--auto-start",
                     "--after-steps", "10", "--screenshot", str(shot), "--size", "1024x640")
    assert result.returncode == 0, result.stderr
    assert QtGui.QImage(str(shot)).width() == 1024


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
@pytest.mark.parametrize("worker", ["process", "thread"])
def test_ctrl_c_while_training_closes_cleanly(worker):
    """Ctrl+C reaches the whole process group, the training process included: the window
    must stop it in order, not report it as a crash, and exit 0."""
    import signal
    import time

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app = subprocess.Popen([sys.executable, "-m", "vdq_gui.app.main", "--auto-start", "--worker", worker],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                           start_new_session=True)
    try:
        time.sleep(8)  # torch imported, model built, training
        assert app.poll() is None, app.communicate()[1]
        os.killpg(app.pid, signal.SIGINT)
        _out, err = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
    assert app.returncode == 0, err
    assert "unexpectedly" not in err and "Traceback" not in err, err


def test_a_diverging_screenshot_run_ends_promptly_with_the_banner_on_the_picture(tmp_path):
    shot = tmp_path / "diverged.png"
    result = run_app("--lr", "100", "--auto-start", "--after-steps", "50", "--screenshot", str(shot), timeout=90)
    assert result.returncode == 0, result.stderr  # it went back to a finite state (step 0)
    assert shot.stat().st_size > 10_000
    assert "saved" in result.stdout and "(step 0)" in result.stdout
    assert "training stopped early: non-finite loss" in result.stderr and "went back to step 0" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["--size", "abc"], "--size"), (["--size", "10x10"], "--size"), (["--lr", "1000"], "--lr"),
    (["--lr", "nan"], "--lr"), (["--batch-size", "0"], "--batch-size"), (["--seed", "-1"], "--seed"),
    (["--after-steps", "-3"], "--after-steps"), (["--bits", "99"], "--bits"),
])
def test_bad_window_arguments_are_refused_without_a_traceback(capsys, args, words):
    with pytest.raises(SystemExit) as ended:
        parse_args(args)
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_the_window_argument_ranges_are_the_boxes_ranges():
    from vdq_gui.app import controls, main as main_module

    assert main_module.LEARNING_RATE_RANGE == controls.LEARNING_RATE_RANGE
    assert main_module.BATCH_SIZE_MAX == controls.BATCH_SIZE_MAX
    assert main_module.SEED_MAX == controls.SEED_MAX


def test_the_process_started_before_qt_is_handed_once_to_the_run_it_builds(qtbot):
    from vdq_gui.app.main import worker_factory
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.loop import RunSpec

    spec = RunSpec.of(load_data("builtin:bimodal"), dequantizer="variational")
    make = worker_factory("process", spec)
    other = make(spec.with_changes(dequantizer="uniform"))  # another run: spawns its own later
    mine = make(spec.with_changes())  # the window's copy of the same run (as in compare mode)
    again = make(spec)
    try:
        assert other._started is None and again._started is None
        assert mine._started is not None and mine._started.process.is_alive()
    finally:
        mine._started.close()
    for worker in (other, mine, again):
        worker.deleteLater()


def test_a_bad_data_file_leaves_no_training_process_behind(tmp_path, capsys):
    """The training process starts before the data is read; an error ends it too."""
    import multiprocessing

    from vdq_gui.app.main import main

    bad = tmp_path / "bad.csv"
    bad.write_text("name\nalice\n")
    assert main([str(bad), "--screenshot", str(tmp_path / "x.png")]) == 2
    assert "bad.csv" in capsys.readouterr().err
    assert not multiprocessing.active_children()
