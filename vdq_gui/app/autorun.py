"""Driving the window without a person: ``--auto-start``, ``--after-steps N`` and
``--screenshot PATH`` (train, save a PNG of the whole window, exit 0); ``--export DIR``
(every plot and the data, vdq_gui.app.export) and ``--record PATH`` (an animation of the
run, vdq_gui.app.recording) are saved at the same moment.

If training stops early (a divergence), the screenshot is saved at once, with the banner
saying what happened and the state gone back to; the exit status is then 0 when that
state is finite (as vdq-train's) and 3 when no finite state could be restored."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PySide6 import QtCore, QtWidgets

SCREENSHOT_TIMEOUT_S = 600
SETTLE_MS = 150  # let layout and paint settle after the last frame before grabbing
EXIT_DIVERGED = 3  # as vdq-train: no finite state could be restored


class AutoRun(QtCore.QObject):
    def __init__(self, window, app: QtWidgets.QApplication, *, screenshot: str | None = None,
                 auto_start: bool = False, after_steps: int | None = None, export: str | None = None,
                 record: str | None = None, start_step: int = 0):
        super().__init__(window)
        self.window, self.app = window, app
        self.screenshot = screenshot
        self.export, self.record = export, record
        self.recording = None  # --record: the chunked run that grabs its frames
        self.auto_start = auto_start
        self.after_steps = after_steps if auto_start and after_steps else 0
        # N more steps from where the runs are (a resumed session's step), as vdq-train --resume
        self.start_step = start_step
        self.target_step = start_step + self.after_steps
        self._saved = False
        self._stopped: str | None = None  # why training stopped early, if it did
        self._timeout = QtCore.QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._on_timeout)

    @QtCore.Slot()
    def start(self) -> None:
        window = self.window
        window.start()
        if self.after_steps and self.record:
            from vdq_gui.app.recording import SteppedRecording

            self.recording = SteppedRecording(window, window, self.after_steps, start_step=self.start_step)
            self.recording.start()
            window.show_playing(True)
        elif self.after_steps:
            window.session.step(self.after_steps)  # every run: compare mode is in lockstep
            window.show_playing(True)
        elif self.auto_start:
            window.actions["play"].setChecked(True)
        if self.screenshot or self.export or self.record:
            window.frame_drawn.connect(self._on_frame)
            window.session.failed.connect(self._on_failed)
            window.session.stopped.connect(self._on_stopped)
            self._timeout.start(SCREENSHOT_TIMEOUT_S * 1000)

    @QtCore.Slot(str)
    def _on_stopped(self, reason: str) -> None:
        self._stopped = reason
        shown = self.window.last_snapshot
        if shown is not None and shown.status:  # the stopped state is already on screen
            self._on_frame(shown.step)

    @QtCore.Slot(int)
    def _on_frame(self, step: int) -> None:
        if self._saved:
            return
        shown = self.window.last_snapshot
        if self._stopped and shown is not None and shown.status and not self.window.session.is_running:
            self._saved = True  # stopped early: the state gone back to, with its banner
            QtCore.QTimer.singleShot(SETTLE_MS, self._save_and_quit)
            return
        if step < self.target_step:
            return
        if self.after_steps and self.window.session.is_running:
            return  # the final, paused state is on its way
        runs = self.window.session.runs
        if any(run.snapshot is None or run.snapshot.step < self.target_step for run in runs):
            return  # every run must have reached step N
        self._saved = True
        QtCore.QTimer.singleShot(SETTLE_MS, self._save_and_quit)

    @QtCore.Slot()
    def _save_and_quit(self) -> None:
        if self.recording is not None and not self.recording.done and not self._stopped:
            self.recording.finished.connect(self._save_and_quit)  # its last frame is on its way
            return
        step = self.window.last_snapshot.step if self.window.last_snapshot is not None else 0
        ok = True
        if self.screenshot:
            path = Path(self.screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            ok = self.window.save_screenshot(path)
            print(f"vdq-gui: {'saved' if ok else 'could not save'} {path} (step {step})")
        if self.export or self.record:
            from vdq_gui.app.auto_export import save_exports

            ok = save_exports(self.window, self.export, self.record, self.recording, step) and ok
        code = 0 if ok else 1
        if self._stopped and ok:
            print(f"vdq-gui: training stopped early: {self._stopped}", file=sys.stderr)
            metrics = self.window.last_snapshot.metrics if self.window.last_snapshot is not None else {}
            finite = all(math.isfinite(v) for v in metrics.values() if isinstance(v, float))
            code = 0 if finite and "went back to step" in self._stopped else EXIT_DIVERGED
        self._quit(code)

    @QtCore.Slot(str)
    def _on_failed(self, message: str) -> None:
        print(f"vdq-gui: {message}", file=sys.stderr)
        self._quit(1)

    @QtCore.Slot()
    def _on_timeout(self) -> None:
        print(f"vdq-gui: nothing saved after {SCREENSHOT_TIMEOUT_S} s", file=sys.stderr)
        self._quit(1)

    def _quit(self, code: int) -> None:
        self.window.shutdown()
        self.app.exit(code)
