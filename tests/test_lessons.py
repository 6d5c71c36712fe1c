"""The lessons as data (vdq_gui.lessons, no Qt, no torch) and ``vdq-gui --list-lessons`` /
``--lesson NAME`` on the command line."""

import argparse
import math
import os
import subprocess
import sys

import pytest

from vdq_gui import lessons
from vdq_gui.data.loaders import load_data
from vdq_gui.models.names import DEQUANTIZERS

REQUIRED = {"spikes": ("none",), "uniform": ("uniform",), "variational": ("variational",),
            "compare": ("none", "uniform", "variational")}


def test_the_lessons_the_issue_asks_for():
    for name, runs in REQUIRED.items():
        assert lessons.LESSONS[name].runs == runs
    coarse = lessons.LESSONS["coarse"]
    assert load_data(coarse.data, **coarse.options).levels == 8  # 3 bits
    assert lessons.LESSONS["digits"].data == "builtin:digits"


@pytest.mark.parametrize("name", list(lessons.LESSONS))
def test_every_lesson_is_complete_and_its_data_loads(name):
    lesson = lessons.LESSONS[name]
    assert lesson.name == name and lesson.title and len(lesson.caption) > 40
    assert all(run in DEQUANTIZERS for run in lesson.runs) and 1 <= len(lesson.runs) <= 3
    data = load_data(lesson.data, **lesson.options)
    if lesson.selected_bin is not None:
        assert 0 <= lesson.selected_bin < data.levels
        assert data.histogram()[lesson.selected_bin] > 0  # a bin with data in it
    # Slow at the start: the first speed is the slowest of the first stretch, and the pace
    # ends as fast as possible.
    starts = [start for start, _ in lesson.pace]
    assert starts[0] == 0 and starts == sorted(starts)
    assert lesson.speed_at(0) <= 10 and math.isinf(lesson.pace[-1][1])
    assert lesson.speed_at(0) < lesson.speed_at(starts[1])


def test_speed_at_follows_the_pace():
    lesson = lessons.Lesson("x", "X", "caption", pace=((0, 5.0), (10, 50.0), (100, math.inf)))
    assert [lesson.speed_at(s) for s in (0, 9, 10, 99, 100, 10**6)] == [5, 5, 50, 50, math.inf, math.inf]


def test_an_unknown_lesson_names_the_lessons():
    with pytest.raises(ValueError) as error:
        lessons.lesson_named("nope")
    assert "nope" in str(error.value) and all(name in str(error.value) for name in lessons.LESSONS)


def test_lesson_arguments_set_the_data_and_runs_and_refuse_conflicts():
    def args(**given):
        values = dict(data="builtin:bimodal", compare=None, dequantizer="variational", seed=5, bits=None,
                      lesson=lessons.LESSONS["coarse"])
        values.update(given)
        return argparse.Namespace(**values)

    parsed = args()
    assert lessons.apply_lesson_arguments(parsed, "builtin:bimodal") is None
    assert parsed.bits == 3 and parsed.compare == ["uniform", "variational"] and parsed.seed == 0
    assert parsed.dequantizer == "uniform"
    assert "leave out DATA" in lessons.apply_lesson_arguments(args(data="x.csv"), "builtin:bimodal")
    assert lessons.apply_lesson_arguments(args(lesson=None), "builtin:bimodal") is None


def run_gui(*arguments, timeout=60):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "vdq_gui.app.main", *arguments], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_list_lessons_prints_one_a_line_name_first_without_qt_or_torch():
    result = run_gui("--list-lessons")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == list(lessons.LESSONS)
    for line, lesson in zip(lines, lessons.LESSONS.values()):
        assert line.split(None, 1)[1] == lesson.title
    code = ("import sys; from vdq_gui.app.main import main; code = main(['--list-lessons']); "
            "sys.exit(10 if 'torch' in sys.modules or 'PySide6' in sys.modules else code)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_an_unknown_lesson_exits_2_listing_the_names():
    result = run_gui("--lesson", "nope")
    assert result.returncode == 2
    assert "unknown lesson 'nope'" in result.stderr
    assert all(name in result.stderr for name in lessons.LESSONS) and "Traceback" not in result.stderr


def test_a_lesson_with_its_own_data_given_too_exits_2():
    result = run_gui("builtin:counts", "--lesson", "spikes")
    assert result.returncode == 2 and "chooses its own data" in result.stderr
