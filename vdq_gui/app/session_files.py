"""File ▸ Save session (Ctrl+S), Save session as…, Open session…, Recent sessions: the
window's side of session files (``vdq_gui.training.session_file``).

Saving asks every run's worker for its trainer's full state (``request_full_state``),
which the loop hands over between two steps while training goes on; only in compare mode
are the runs first brought to the same step (the lockstep's chunk under way finishes,
a fraction of a second) so that they resume in lockstep.  Opening reads and validates the
whole file before anything changes: a bad file is reported in a dialog and the current
runs go on as they were.  The recent sessions are a QSettings list.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import dialogs
from vdq_gui.training.session_file import (SUFFIX, SavedRun, SessionError, describe, read_session,
                                           write_session)

RECENT_KEY = "sessions/recent"
RECENT_MAX = 8
STATE_WAIT_S = 20.0  # a state is handed over within one step; this is for a stuck process
FILTER = "vdq sessions (*.vdq);;All files (*)"


def settings() -> QtCore.QSettings:
    """The app's settings (an INI file in the user's config folder; tests move it)."""
    return QtCore.QSettings(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                            "vdq-gui", "vdq-gui")


def recent_sessions() -> list[str]:
    value = settings().value(RECENT_KEY, [])
    if isinstance(value, str):  # QSettings gives a one-element list back as a string
        value = [value]
    return [str(path) for path in (value or []) if path]


def remember_session(path) -> None:
    path = str(Path(path).resolve())
    kept = [path] + [p for p in recent_sessions() if p != path]
    settings().setValue(RECENT_KEY, kept[:RECENT_MAX])


class SessionFiles(QtCore.QObject):
    """The session actions of one window, and the path it was last saved to or opened from."""

    saved = QtCore.Signal(str)

    def __init__(self, window, file_menu: QtWidgets.QMenu, before: QtGui.QAction | None = None):
        super().__init__(window)
        self.window = window
        self.path: str | None = None
        window._action("save_session", "Save session", "Ctrl+S",
                       "Save the runs, their data and timeline to a .vdq file, to resume exactly later",
                       self.save)
        window._action("save_session_as", "Save session as…", None, "Save the session to a new .vdq file",
                       self.save_as)
        window._action("open_session", "Open session…", None, "Open a saved .vdq session and continue it",
                       self.open_dialog)
        self.recent_menu = QtWidgets.QMenu("Recent sessions", window)
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.recent_menu.triggered.connect(self._on_recent)
        file_menu.insertSeparator(before)
        for name in ("open_session", "save_session", "save_session_as"):
            file_menu.insertAction(before, window.actions[name])
        file_menu.insertMenu(before, self.recent_menu)
        file_menu.insertSeparator(before)
        self._fill_recent()

    # == saving ===============================================================================
    @QtCore.Slot()
    def save(self) -> bool:
        return self.save_to(self.path) if self.path else self.save_as()

    @QtCore.Slot()
    def save_as(self) -> bool:
        suggestion = self.path or f"{_stem(self.window.spec.data)}{SUFFIX}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save session", suggestion, FILTER)
        if not path:
            return False
        if not path.lower().endswith(SUFFIX):
            path += SUFFIX
        return self.save_to(path)

    def save_to(self, path) -> bool:
        """Write the session to ``path`` (atomically); a dialog says why if it cannot."""
        try:
            write_session(path, self._saved_runs(), self._moments(),
                          {"selected_bin": self.window.session.selected_bin})
        except (SessionError, RuntimeError) as error:
            dialogs.show_error(self.window, "Could not save the session", str(error))
            return False
        self.path = str(path)
        remember_session(path)
        self._fill_recent()
        self.window.statusBar().showMessage(f"Saved the session to {path}", 8000)
        self.saved.emit(str(path))
        return True

    def _saved_runs(self) -> list[SavedRun]:
        session = self.window.session
        if any(run.snapshot is None for run in session.runs):
            raise RuntimeError("nothing to save yet: the model is still being built")
        lockstep = session.compare and session.lockstep.playing
        if lockstep:  # the runs resume in lockstep only if they are saved at one step
            session.pause()
            session.wait_idle(STATE_WAIT_S)
        try:
            futures = session.request_states()
            done, waiting = concurrent.futures.wait(futures, timeout=STATE_WAIT_S)
        finally:
            if lockstep:
                session.play()
        if waiting:
            raise RuntimeError(f"a run did not hand over its state within {STATE_WAIT_S:.0f} s")
        return [SavedRun(run.spec, future.result()) for run, future in zip(session.runs, futures)]

    def _moments(self) -> list:
        timeline = self.window.session.timeline
        return [timeline[index].snapshots for index in range(len(timeline))]

    # == opening ==============================================================================
    @QtCore.Slot()
    def open_dialog(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open session", "", FILTER)
        return self.open(path) if path else False

    def open(self, path) -> bool:
        """Read and check the whole file, then (after asking) continue its runs; a bad file
        is reported in a dialog and changes nothing."""
        try:
            contents = read_session(path)
        except SessionError as error:
            return self._report(str(error))
        except Exception as error:  # nothing a file does may end the lecture
            return self._report(f"{path}: {type(error).__name__}: {error}")
        return self.use(contents)

    def use(self, contents, ask: bool = True) -> bool:
        """Replace the runs by the saved ones, continuing from their saved states."""
        window = self.window
        specs = [run.spec for run in contents.runs]
        names = [spec.dequantizer for spec in specs]
        if not ask:
            window.ask_before_reset, asked = False, window.ask_before_reset
        try:
            # The window's own path for new runs (it asks first, clears the plots); the
            # reset after it hands every run its saved state.
            if not window.apply_spec(specs[0], f"Opening “{Path(contents.path).name}”",
                                     compare=names if len(names) > 1 else [names[0]]):
                return False
        finally:
            if not ask:
                window.ask_before_reset = asked
        window.session.reset(specs, [run.state for run in contents.runs])
        window.session.restore_timeline(contents.timeline)
        window.session.select_bin(contents.view.get("selected_bin", 0))
        self.path = contents.path
        remember_session(contents.path)
        self._fill_recent()
        window.statusBar().showMessage(f"Opened {describe(contents)}. Press Space to continue.", 10000)
        return True

    def _report(self, message: str) -> bool:
        dialogs.show_error(self.window, "Could not open the session", message)
        self.window.statusBar().showMessage(f"Could not open: {message}", 10000)
        return False

    # == recent sessions ======================================================================
    @QtCore.Slot()
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent_sessions()
        for path in paths:
            action = self.recent_menu.addAction(Path(path).name)
            action.setData(path)
            action.setToolTip(path)
        if not paths:
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    @QtCore.Slot(QtGui.QAction)
    def _on_recent(self, action: QtGui.QAction) -> None:
        if action.data():
            self.open(action.data())


def _stem(data) -> str:
    name = data.name or Path(data.source).stem or "session"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.removeprefix("builtin:")).strip("-") or "session"
