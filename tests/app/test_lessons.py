"""Lessons in the window: every lesson opens from the Lessons menu and trains; it sets the
runs, the selected bin, the speed and shows its caption; its pace follows training until
the user takes the slider; changing the data ends it; ``vdq-gui --lesson`` screenshots."""

import math
import os
import subprocess
import sys

import pytest
from PySide6 import QtGui, QtWidgets

from vdq_gui import lessons
from vdq_gui.app import style
from vdq_gui.app.controls import SPEEDS
from vdq_gui.app.lesson_runner import slider_position
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec

WAIT_MS = 60000
STEPS = 3


@pytest.fixture
def window(qtbot, keep, dialog_log):
    """Training in threads of this process: torch is imported once for every lesson."""
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.last_snapshot is not None, timeout=WAIT_MS)
    yield win
    win.close()


def menu_action(win, name):
    menu = win.lessons.menu
    assert menu in [a.menu() for a in win.menuBar().actions()]
    return next(a for a in menu.actions() if a.data() == name)


def settle(qtbot, win, step):
    assert win.session.wait_idle(30)
    qtbot.waitUntil(lambda: win.plots.last_moment is not None
                    and len(win.plots.last_moment.snapshots) == len(win.session.runs)
                    and all(s.step == step for s in win.plots.last_moment.snapshots), timeout=WAIT_MS)


def test_every_speed_of_every_lesson_is_a_slider_position():
    for lesson in lessons.LESSONS.values():
        for _, speed in lesson.pace:
            assert speed in SPEEDS, (lesson.name, speed)
    assert SPEEDS[slider_position(math.inf)] == math.inf and slider_position(7) == SPEEDS.index(5)


def test_every_lesson_opens_from_the_menu_and_trains(qtbot, window):
    assert len(window.lessons.menu.actions()) == len(lessons.LESSONS)
    for lesson in lessons.LESSONS.values():
        menu_action(window, lesson.name).trigger()
        assert window.lessons.lesson is lesson, lesson.name
        assert [run.name for run in window.session.runs] == list(lesson.runs)
        assert window.spec.data.source == lesson.data and window.spec.seed == lesson.seed
        assert window.controls.speed_steps_per_s() == lesson.speed_at(0)
        assert window.lessons.caption.isVisible() and lesson.title in window.lessons.caption.text.text()
        window.session.step(STEPS)
        settle(qtbot, window, STEPS)
        snapshot = window.plots.last_moment.snapshots[0]
        assert snapshot.kind == ("images" if lesson.data == "builtin:digits" else "1d")
        assert snapshot.levels == load_data(lesson.data, **lesson.options).levels
        if lesson.selected_bin is not None:
            qtbot.waitUntil(lambda: window.selected_bin == lesson.selected_bin, timeout=5000)
        assert window.lessons.lesson is lesson  # still on after training


def test_the_pace_follows_training_until_the_user_takes_the_slider(qtbot, window):
    lesson = lessons.LESSONS["uniform"]
    assert window.lessons.open(lesson)
    later = lesson.pace[1][0]
    window.lessons._on_frame(later)
    assert window.controls.speed_steps_per_s() == lesson.speed_at(later) != lesson.speed_at(0)
    assert window.session.speed == lesson.speed_at(later)  # the slider told the session
    window.controls.speed.triggerAction(QtWidgets.QAbstractSlider.SliderAction.SliderSingleStepSub)  # the user
    chosen = window.controls.speed_steps_per_s()
    window.lessons._on_frame(10**6)
    assert window.controls.speed_steps_per_s() == chosen and not window.lessons.pacing


def test_a_lesson_adopted_at_start_selects_its_bin_at_the_first_picture(qtbot, keep, dialog_log):
    """What ``vdq-gui --lesson coarse`` does: the window is built from the lesson's spec."""
    lesson = lessons.LESSONS["coarse"]
    spec = RunSpec.of(load_data(lesson.data, **lesson.options), dequantizer=lesson.runs[0])
    win = keep(MainWindow(spec, compare=list(lesson.runs), worker_factory=TrainingWorker))
    before = win.controls.speed_steps_per_s()
    win.lessons.adopt(lesson, pace=False)  # a screenshot run: the speed is left alone
    assert win.controls.speed_steps_per_s() == before and win.lessons.caption.isVisibleTo(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.last_snapshot is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: win.selected_bin == lesson.selected_bin, timeout=5000)
    assert win.lessons.lesson is lesson
    win.close()


def test_changing_the_data_ends_the_lesson(qtbot, window):
    assert window.lessons.open(lessons.LESSONS["variational"])
    assert window.lessons.caption.isVisible()
    assert window.load_source("builtin:counts")
    qtbot.waitUntil(lambda: window.lessons.lesson is None, timeout=WAIT_MS)
    assert not window.lessons.caption.isVisible()


def test_closing_the_caption_ends_the_lesson_and_keeps_the_runs(qtbot, window):
    assert window.lessons.open(lessons.LESSONS["compare"])
    window.explain.show()
    assert "Lesson:" in window.explain.notes.toPlainText()
    qtbot.waitUntil(lambda: lessons.LESSONS["compare"].caption not in window.lessons.caption.text.text())
    assert lessons.LESSONS["compare"].title in window.lessons.caption.text.text()
    assert lessons.LESSONS["compare"].caption in window.explain.notes.toPlainText()
    window.explain.hide()  # closed: the strip has the caption again
    assert lessons.LESSONS["compare"].caption in window.lessons.caption.text.text()
    window.explain.show()
    window.lessons.caption.close_button.click()
    assert window.lessons.lesson is None and not window.lessons.caption.isVisible()
    assert "Lesson:" not in window.explain.notes.toPlainText()
    assert [run.name for run in window.session.runs] == ["none", "uniform", "variational"]


def test_declining_to_discard_the_run_keeps_it(qtbot, window, dialog_log):
    window.session.step(2)
    settle(qtbot, window, 2)
    dialog_log["answer"] = False
    assert not window.lessons.open(lessons.LESSONS["spikes"])
    assert dialog_log["confirms"] and window.lessons.lesson is None
    assert [run.name for run in window.session.runs] == ["variational"]


def test_lesson_screenshot_from_the_command_line(tmp_path):
    shot = tmp_path / "coarse.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-m", "vdq_gui.app.main", "--lesson", "coarse", "--explanations",
                             "--auto-start", "--after-steps", "5", "--screenshot", str(shot), "--size", "1280x720"],
                            capture_output=True, text=True, timeout=240, env=env)
    assert result.returncode == 0, result.stderr
    assert "(step 5)" in result.stdout
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 720)


def test_the_caption_strip_follows_the_dark_theme(qtbot, keep, dialog_log):
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    win.show()
    caption = win.lessons.caption
    assert "#fff4d6" in caption.styleSheet()
    win.actions["theme_dark"].trigger()
    # Dark box, light text (the close button too: it was light on cream).
    assert "#fff4d6" not in caption.styleSheet()
    assert style.themed("#fff4d6", fill=True, in_theme="dark") in caption.styleSheet()
    assert "QToolButton" in caption.styleSheet() and style.themed("#3d2f00", in_theme="dark") in caption.styleSheet()
    win.actions["theme_light"].trigger()
    assert "#fff4d6" in caption.styleSheet()
    win.close()
