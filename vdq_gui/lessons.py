"""Ready-made set-ups for teaching: ``vdq-gui --lesson NAME``, the window's Lessons menu.

A lesson is plain data (no Qt, no torch, so ``vdq-gui --list-lessons`` answers at once):
the data and its options, the run or runs, a pace (slow at the start, where the
interesting part happens, faster later), the bin the "Selected bin" panel shows, and a
short caption saying what to watch.  ``vdq_gui.app.lesson_runner`` applies one to the
window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# (from step, steps per second): the pace of a lesson.  Every value must be one of the
# speed slider's positions (vdq_gui.app.controls.SPEEDS; a test checks), so the slider
# shows what the lesson set.  math.inf: as fast as possible.
SLOW_START = ((0, 10.0), (60, 50.0), (400, math.inf))
# Without noise, q first fits the bars like the others; the spikes grow from about step
# 2,000 (bimodal, seed 0, default learning rate): slow there again.
SPIKES_PACE = ((0, 10.0), (60, 100.0), (200, math.inf), (1800, 50.0), (2800, math.inf))


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    caption: str
    data: str = "builtin:bimodal"
    options: dict = field(default_factory=dict)  # load_data options, e.g. {"bits": 3}
    runs: tuple[str, ...] = ("variational",)  # one dequantizer, or two or three compared
    pace: tuple[tuple[int, float], ...] = SLOW_START
    selected_bin: int | None = None  # None: the window's choice (the most common value)
    seed: int = 0

    @property
    def compare(self) -> bool:
        return len(self.runs) > 1

    def speed_at(self, step: int) -> float:
        """Steps per second the lesson wants once training has reached ``step``."""
        speed = self.pace[0][1]
        for start, value in self.pace:
            if step >= start:
                speed = value
        return speed

    def line(self) -> str:
        """One line of ``--list-lessons``: the name first, then the title."""
        return f"{self.name:<12} {self.title}"


LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in (
    Lesson("spikes", "Spikes without noise (dequantizer none)",
           "No noise: q is fitted to the integers themselves. It first fits the bars; from about step "
           "2,000 (the lesson slows down there) it grows spikes and its “bits/dim” falls below the exact "
           "−log P(x): without noise the loss is not a bound.",
           runs=("none",), pace=SPIKES_PACE, selected_bin=9),
    Lesson("uniform", "Uniform noise and its flat steps",
           "Uniform noise u ~ U(0, 1) spreads every value evenly over its bin, so x+u, what q is trained "
           "on, has the bars' flat steps as its density. r is one flat colour; a smooth q tilts inside "
           "the bins on the slopes, and there the gap is large (selected bin 11).",
           runs=("uniform",), selected_bin=11),
    Lesson("variational", "Learned noise (variational dequantization)",
           "r(u|x) is learned: watch the heatmap columns bend towards the model's posterior q(u|x) "
           "and the gap bars shrink; in the selected bin orange r moves onto green q(u|x).",
           runs=("variational",), selected_bin=11),
    Lesson("compare", "All three side by side: none, uniform, variational",
           "Same data, seed and batches; only the noise differs. none is not a bound (and grows spikes "
           "after a few thousand steps), uniform pays a gap on the slopes, variational has the smallest.",
           runs=("none", "uniform", "variational"), selected_bin=11),
    Lesson("coarse", "Coarse bins (3 bits): where the gap is large",
           "Only 8 bins: q changes a lot inside each one, so uniform noise pays a large gap (the bars "
           "under its heatmap; bin 1 up close, bottom right). Learned noise closes most of it.",
           options={"bits": 3}, runs=("uniform", "variational"), selected_bin=1),
    Lesson("digits", "Images: handwritten digits",
           "8x8 digits with 17 grey levels. Left the data, middle the model's samples (noise at "
           "first, strokes later), right what the flow is trained on: every pixel plus noise u.",
           data="builtin:digits", runs=("variational",), pace=((0, 10.0), (40, 50.0), (200, math.inf))),
)}


class UnknownLesson(ValueError):
    def __init__(self, name: str):
        super().__init__(f"unknown lesson {name!r}; the lessons are: {', '.join(LESSONS)}")


def lesson_named(name: str) -> Lesson:
    try:
        return LESSONS[name]
    except KeyError:
        raise UnknownLesson(name) from None


def listing() -> str:
    """What ``vdq-gui --list-lessons`` prints: one lesson a line, its name first."""
    return "\n".join(lesson.line() for lesson in LESSONS.values())


# == the command line (vdq-gui), without Qt or torch =========================================
def lesson_argument(text: str) -> Lesson:
    """argparse type of ``--lesson``: an unknown name is refused with the list of names."""
    import argparse

    try:
        return lesson_named(text)
    except UnknownLesson as error:
        raise argparse.ArgumentTypeError(str(error)) from None


lesson_argument.__name__ = "lesson"


def add_lesson_arguments(parser) -> None:
    group = parser.add_argument_group("lessons")
    group.add_argument("--lesson", type=lesson_argument, metavar="NAME",
                       help=f"open a ready-made lesson: {', '.join(LESSONS)} (see --list-lessons)")
    group.add_argument("--list-lessons", action="store_true", help="print the lessons, one a line, and exit")
    group.add_argument("--explanations", action="store_true", help="open the explanation panel (F2)")


def apply_lesson_arguments(args, default_data: str) -> str | None:
    """Make ``args`` the lesson's data, runs and seed; an error sentence if the command
    line also chose its own data or runs (the lesson could not be what it says)."""
    lesson = args.lesson
    if lesson is None:
        return None
    if args.data != default_data or args.compare:
        return f"--lesson {lesson.name} chooses its own data and runs: leave out DATA and --compare"
    args.data = lesson.data
    for name, value in lesson.options.items():
        setattr(args, name, value)
    args.dequantizer = lesson.runs[0]
    args.compare = list(lesson.runs) if lesson.compare else None
    args.seed = lesson.seed
    return None
