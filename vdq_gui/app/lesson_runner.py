"""Lessons in the window: the Lessons menu, the caption strip above the plots, and the
director that applies a lesson (``vdq_gui.lessons``) and keeps its pace.

Applying a lesson: its data and runs (asking first, as any new run does), then, once the
first picture of the new runs is drawn, its selected bin; its caption is shown above the
plots and in the explanation panel.  The pace moves the speed slider as training passes
the lesson's steps (slow at the start); the user moving the slider takes over for good.
The lesson ends (caption gone) when the user changes the data or the runs.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui import lessons
from vdq_gui.app import dialogs, style
from vdq_gui.app.controls import SPEEDS
from vdq_gui.data.dataset import DataError


class LessonCaption(QtWidgets.QFrame):
    """"Lesson: title — what to watch", with a button that ends the lesson."""

    closed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lessonCaption")
        # In light-theme colours: the dark theme shows them dark (style.DARK_FILLS).
        style.set_sheet(self, "#lessonCaption { background:#fff4d6; border:1px solid #e3c77a; border-radius:3px; }"
                              "QLabel, QToolButton { color:#3d2f00; }")
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.close_button = QtWidgets.QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("End the lesson (the runs go on)")
        self.close_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.close_button.clicked.connect(self.closed)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(8, 3, 3, 3)
        row.addWidget(self.text, 1)
        row.addWidget(self.close_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_lesson(self, lesson: lessons.Lesson, short: bool = False) -> None:
        """``short``: the title only (the explanation panel, open, has the caption)."""
        words = "" if short else f" — {lesson.caption} <i>(F2: explanations)</i>"
        self.text.setText(f"<b>Lesson · {lesson.title}</b>{words}")
        self.show()


def slider_position(speed: float) -> int:
    """The speed slider's position for a lesson's speed (the nearest one at or below it)."""
    positions = [i for i, value in enumerate(SPEEDS) if value <= speed]
    return positions[-1] if positions else 0


class LessonDirector(QtCore.QObject):
    def __init__(self, window, explain=None):
        super().__init__(window)
        self.window, self.explain = window, explain
        self.lesson: lessons.Lesson | None = None
        self.pacing = False
        self._pending_bin: int | None = None
        self._data = None
        self.caption = LessonCaption()
        window.plots.add_top_bar(self.caption)
        self.caption.closed.connect(self.end)
        window.frame_drawn.connect(self._on_frame)
        window.session.runs_changed.connect(self._check_still_on)
        # actionTriggered: the user's moves only (not the lesson's setValue).
        window.controls.speed.actionTriggered.connect(self._on_user_speed)
        if explain is not None:
            explain.visibilityChanged.connect(self._on_explain_visibility)

    # == applying ========================================================================
    def open(self, lesson: lessons.Lesson, pace: bool = True) -> bool:
        """From the menu: the lesson's data and runs replace the current ones (after asking)."""
        from vdq_gui.data.loaders import load_data

        try:
            data = load_data(lesson.data, **lesson.options)
        except DataError as error:
            dialogs.show_error(self.window, "Could not open the lesson", str(error))
            return False
        # learning_rate, batch_size None: the defaults for this kind of data.
        spec = self.window.spec.with_changes(data, dequantizer=lesson.runs[0], seed=lesson.seed,
                                             learning_rate=None, batch_size=None)
        self.end()  # the current lesson ends even if the new one is declined
        if not self.window.apply_spec(spec, f"The lesson “{lesson.title}”", compare=list(lesson.runs)):
            return False
        self.adopt(lesson, pace)
        return True

    def adopt(self, lesson: lessons.Lesson, pace: bool = True) -> None:
        """The window already holds the lesson's data and runs (``vdq-gui --lesson``):
        show its caption, set its speed, select its bin at the first picture."""
        self.lesson = lesson
        self._data = self.window.spec.data
        self._pending_bin = lesson.selected_bin
        self._show_caption()
        self.pacing = pace
        if pace:
            self._set_speed(lesson.speed_at(0))

    def _show_caption(self) -> None:
        """The caption in one place: the explanation panel when it is open (the plots
        keep their height), else the strip above the plots."""
        lesson = self.lesson
        panel_open = self.explain is not None and self.explain.isVisible()
        self.caption.show_lesson(lesson, short=panel_open)
        if self.explain is not None:
            self.explain.set_lesson(lesson.title, lesson.caption)

    @QtCore.Slot(bool)
    def _on_explain_visibility(self, _visible: bool) -> None:
        if self.lesson is not None:
            self._show_caption()

    @QtCore.Slot()
    def end(self) -> None:
        """No lesson: the caption goes, the pace stops; the runs go on as they are."""
        self.lesson, self.pacing, self._pending_bin = None, False, None
        self.caption.hide()
        if self.explain is not None and self.explain.lesson:
            self.explain.set_lesson("")

    @QtCore.Slot(QtGui.QAction)
    def on_menu(self, action: QtGui.QAction) -> None:
        self.open(lessons.lesson_named(action.data()))

    # == following training ==============================================================
    @QtCore.Slot(int)
    def _on_frame(self, step: int) -> None:
        if self.lesson is None or not self._check_still_on():
            return
        snapshot = self.window.last_snapshot
        if self._pending_bin is not None and snapshot is not None and snapshot.levels == self._data.levels:
            self.window.session.select_bin(min(self._pending_bin, snapshot.levels - 1))
            self._pending_bin = None
        if self.pacing:
            self._set_speed(self.lesson.speed_at(step))

    @QtCore.Slot()
    def _check_still_on(self) -> bool:
        """Still the lesson's data and runs?  Otherwise the lesson has ended."""
        if self.lesson is None:
            return False
        runs = tuple(run.name for run in self.window.session.runs)
        if self.window.spec.data is not self._data or runs != self.lesson.runs:
            self.end()
            return False
        return True

    def _set_speed(self, speed: float) -> None:
        position = slider_position(speed)
        if self.window.controls.speed.value() != position:
            self.window.controls.speed.setValue(position)  # the slider tells the session

    @QtCore.Slot(int)
    def _on_user_speed(self, _action: int) -> None:
        self.pacing = False


def install(window, explain=None) -> LessonDirector:
    """The Lessons menu (before Help) and the director, as ``window.lessons``."""
    director = LessonDirector(window, explain)
    menu = QtWidgets.QMenu("&Lessons", window)
    menu.setToolTipsVisible(True)
    for lesson in lessons.LESSONS.values():
        action = menu.addAction(lesson.title)
        action.setData(lesson.name)
        action.setToolTip(lesson.caption)
        action.setStatusTip(f"vdq-gui --lesson {lesson.name}")
    menu.triggered.connect(director.on_menu)
    window.add_menu(menu)
    director.menu = menu
    return director

