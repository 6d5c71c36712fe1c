"""Driving the window without a person: ``--auto-start``, ``--after-steps N`` and
``--screenshot PATH`` (train, save a PNG of the whole window, exit 0)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import QtCore, QtWidgets

SCREENSHOT_TIMEOUT_S = 600
SETTLE_MS = 150  # let layout and paint settle after the last frame before grabbing


class AutoRun(QtCore.QObject):
    def __init__(self, window, app: QtWidgets.QApplication, *, screenshot: str | None = None,
                 auto_start: bool = False, after_steps: int | None = None):
        super().__init__(window)
        self.window, self.app = window, app
        self.screenshot = screenshot
        self.auto_start = auto_start
        self.after_steps = after_steps if auto_start and after_steps else 0
        self._saved = False
        self._timeout = QtCore.QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self._on_timeout)

    @QtCore.Slot()
    def start(self) -> None:
        window = self.window
        window.start()
        if self.after_steps:
            window.session.step(self.after_steps)  # every run: compare mode is in lockstep
            window.show_playing(True)
        elif self.auto_start:
            window.actions["play"].setChecked(True)
        if self.screenshot:
            window.frame_drawn.connect(self._on_frame)
            window.session.failed.connect(self._on_failed)
            self._timeout.start(SCREENSHOT_TIMEOUT_S * 1000)

    @QtCore.Slot(int)
    def _on_frame(self, step: int) -> None:
        if self._saved or step < self.after_steps:
            return
        if self.after_steps and self.window.session.is_running:
            return  # the final, paused state is on its way
        runs = self.window.session.runs
        if any(run.snapshot is None or run.snapshot.step < self.after_steps for run in runs):
            return  # every run must have reached step N
        self._saved = True
        QtCore.QTimer.singleShot(SETTLE_MS, self._save_and_quit)

    @QtCore.Slot()
    def _save_and_quit(self) -> None:
        path = Path(self.screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = self.window.save_screenshot(path)
        step = self.window.last_snapshot.step if self.window.last_snapshot is not None else 0
        print(f"vdq-gui: {'saved' if ok else 'could not save'} {path} (step {step})")
        self._quit(0 if ok else 1)

    @QtCore.Slot(str)
    def _on_failed(self, message: str) -> None:
        print(f"vdq-gui: {message}", file=sys.stderr)
        self._quit(1)

    @QtCore.Slot()
    def _on_timeout(self) -> None:
        print(f"vdq-gui: no screenshot after {SCREENSHOT_TIMEOUT_S} s", file=sys.stderr)
        self._quit(1)

    def _quit(self, code: int) -> None:
        self.window.shutdown()
        self.app.exit(code)
