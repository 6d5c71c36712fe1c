"""The window remembers its look, geometry and last settings; the command line wins over
them; automation runs neither read nor write them; a broken file is ignored value by value."""

import os
import subprocess
import sys

import pytest
from PySide6 import QtCore, QtGui

from vdq_gui.app import settings
from vdq_gui.app.main import build_parser
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec


def make_window(keep, source="builtin:bimodal", **spec):
    win = keep(MainWindow(RunSpec.of(load_data(source), **spec), worker_factory=TrainingWorker))
    win.show()
    return win


def launch(*argv):
    args = build_parser().parse_args(list(argv))
    return settings.Launch(args, settings.given_options(build_parser(), list(argv)))


def test_settings_live_in_the_tests_folder(user_folder):
    assert settings.open_store().fileName() == str(user_folder / "settings" / settings.FILE_NAME)


def test_settings_round_trip_through_a_close(qtbot, keep, dialog_log, user_folder):
    win = make_window(keep, "builtin:counts", dequantizer="uniform")
    launch().restore(win)  # nothing remembered yet: defaults; saves at close
    win.appearance.set_theme("dark")
    win.appearance.set_presentation(True)
    win.controls.learning_rate.setValue(0.004)
    win.controls.batch_size.setValue(64)
    win.controls.speed.setValue(3)
    win.close()
    assert (user_folder / "settings" / settings.FILE_NAME).exists()

    got = settings.read()
    assert (got.theme, got.presentation, got.dequantizer, got.data, got.speed) == (
        "dark", True, "uniform", "builtin:counts", 3)
    kind = load_data("builtin:counts").kind
    assert got.learning_rate == {kind: pytest.approx(0.004)} and got.batch_size == {kind: 64}

    again = launch()
    assert (again.args.data, again.args.dequantizer) == ("builtin:counts", "uniform")
    again.fill_training(kind)
    assert (again.args.learning_rate, again.args.batch_size) == (pytest.approx(0.004), 64)
    other = "images" if kind == "1d" else "1d"
    fresh = launch()
    fresh.fill_training(other)
    assert fresh.args.learning_rate is None  # 1-D settings are not an image run's
    second = make_window(keep, again.args.data, dequantizer=again.args.dequantizer)
    again.restore(second)
    assert second.appearance.look.theme == "dark" and second.appearance.look.presentation
    assert second.controls.speed.value() == 3
    second.appearance.set_theme("light")
    second.appearance.set_presentation(False)


def test_the_window_comes_back_where_and_as_large_as_it_was(qtbot, keep, dialog_log):
    win = make_window(keep)
    launch().restore(win)
    # Within the offscreen screen (800 x 600): restoreGeometry keeps windows on screen.
    win.setGeometry(20, 30, 760, 540)
    win.close()
    second = make_window(keep)
    launch().restore(second)
    assert (second.width(), second.height()) == (760, 540)
    third = make_window(keep)
    launch("--size", "700x500").restore(third)  # --size given: it wins
    assert third.width() != 760


def test_the_command_line_wins_over_what_was_remembered(qtbot, keep, dialog_log):
    store = settings.open_store()
    for key, value in {"view/theme": "dark", "view/presentation": True, "training/dequantizer": "none",
                       "data/source": "builtin:counts", "training/1d/learning_rate": 0.5}.items():
        store.setValue(key, value)
    store.sync()
    given = launch("builtin:bimodal", "--dequantizer", "uniform", "--theme", "light", "--lr", "0.02")
    assert (given.args.data, given.args.dequantizer) == ("builtin:bimodal", "uniform")
    given.fill_training("1d")
    assert given.args.learning_rate == 0.02
    win = make_window(keep)
    given.restore(win)
    assert win.appearance.look.theme == "light"
    assert win.appearance.look.presentation  # not given: remembered
    win.appearance.set_presentation(False)


def test_automation_runs_neither_read_nor_write(qtbot, keep, dialog_log, user_folder, tmp_path):
    store = settings.open_store()
    store.setValue("view/theme", "dark")
    store.setValue("training/dequantizer", "none")
    store.sync()
    path = user_folder / "settings" / settings.FILE_NAME
    before = path.read_bytes()
    run = launch("--screenshot", str(tmp_path / "x.png"))
    assert not run.enabled and run.args.dequantizer != "none"
    win = make_window(keep)
    run.restore(win)
    assert win.appearance.look.theme == "light"
    win.appearance.set_presentation(True)
    win.close()
    assert path.read_bytes() == before


def test_a_screenshot_run_ignores_and_keeps_the_users_settings(user_folder, tmp_path):
    """The real entry point, in its own process: remembered dark theme and presentation mode
    do not reach the picture, and the file is not rewritten."""
    store = settings.open_store()
    store.setValue("view/theme", "dark")
    store.setValue("view/presentation", True)
    store.sync()
    path = user_folder / "settings" / settings.FILE_NAME
    before = path.read_bytes()
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "vdq_gui.app.main", "--worker", "thread", "--auto-start",
                             "--after-steps", "3", "--screenshot", str(shot)], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes() == before
    image = QtGui.QImage(str(shot))
    # The status bar's colour is the palette's window colour: light, not the remembered dark.
    assert QtGui.QColor(image.pixel(5, image.height() - 3)).lightness() > 180


def test_broken_values_are_ignored_one_by_one():
    store = settings.open_store()
    for key, value in {"view/theme": "purple", "view/presentation": "maybe", "training/speed": "fast",
                       "training/dequantizer": "pickle", "data/source": "/no/such/file.csv",
                       "training/1d/learning_rate": "nan", "training/1d/batch_size": 4096,
                       "window/geometry": "not bytes"}.items():
        store.setValue(key, value)
    store.sync()
    got = settings.read()
    assert (got.theme, got.presentation, got.speed, got.dequantizer, got.data, got.geometry) == (None,) * 6
    assert got.learning_rate == {} and got.batch_size == {"1d": 4096}


def test_remembered_data_that_no_longer_loads_falls_back(tmp_path):
    data = tmp_path / "gone.csv"
    data.write_text("1\n2\n3\n")
    store = settings.open_store()
    store.setValue("data/source", str(data))
    store.sync()
    run = launch()
    assert run.args.data == str(data)
    data.write_text("word\nhello\n")  # now unreadable as numbers
    loaded = run.load(load_data, {}, "builtin:bimodal")
    assert loaded.name == load_data("builtin:bimodal").name and run.args.data == "builtin:bimodal"


def test_only_explicit_options_count_as_given():
    parser = build_parser()
    assert settings.given_options(parser, []) == set()
    assert settings.given_options(parser, ["x.csv", "--lr", "0.1", "--theme", "dark"]) == {
        "data", "learning_rate", "theme"}
    assert parser.parse_args([]).data == "builtin:bimodal"  # defaults are put back
