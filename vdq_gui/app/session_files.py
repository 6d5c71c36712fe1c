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

from PySide6 import QtCore, QtWidgets

from vdq_gui.app import dialogs, recent
from vdq_gui.app.busy import run_busy
from vdq_gui.training.session_file import (SUFFIX, SavedRun, SessionError, describe, read_session,
                                           write_session)

RECENT_KEY = "sessions/recent"
STATE_WAIT_S = 20.0  # a state is handed over within one step; this is for a stuck process
FILTER = "vdq sessions (*.vdq);;All files (*)"


def recent_sessions() -> list[str]:
    return recent.read(RECENT_KEY)


class SessionFiles(QtCore.QObject):
    """The session actions of one window, and the path it was last saved to or opened from."""

    saved = QtCore.Signal(str)

    def __init__(self, window, file_menu: QtWidgets.QMenu, before=None):
        super().__init__(window)
        self.window = window
        self.path: str | None = None
        self._busy = False  # a save or an open under way (their dialogs keep the window live)
        window._action("save_session", "Save session", "Ctrl+S",
                       "Save the runs, their data and timeline to a .vdq file, to resume exactly later",
                       self.save)
        window._action("save_session_as", "Save session as…", None, "Save the session to a new .vdq file",
                       self.save_as)
        window._action("open_session", "Open session…", None, "Open a saved .vdq session and continue it",
                       self.open_dialog)
        self.recent_menu = recent.RecentMenu("Recent sessions", RECENT_KEY, self.open, window, "session")
        file_menu.insertSeparator(before)
        for name in ("open_session", "save_session", "save_session_as"):
            file_menu.insertAction(before, window.actions[name])
        file_menu.insertMenu(before, self.recent_menu)
        file_menu.insertSeparator(before)

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
        if self._busy:  # Ctrl+S again while a save or an open is under way
            return False
        self._busy = True
        try:
            runs, moments = self._saved_runs(), self._moments()
            view = {"selected_bin": self.window.session.selected_bin}
            # compressing the timeline's pictures can take a while: the window keeps painting
            run_busy(self.window, f"Saving the session to {Path(path).name}…", write_session, path, runs, moments, view)
        except (SessionError, RuntimeError) as error:
            dialogs.show_error(self.window, "Could not save the session", str(error))
            return False
        finally:
            self._busy = False
        self.path = str(path)
        self.recent_menu.remember(path)
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
        if self._busy:
            return False
        self._busy = True
        try:
            # checking every field and building the models (torch's first use, maybe): off
            # the GUI thread, the window keeps painting
            contents = run_busy(self.window, f"Opening {Path(str(path)).name}…", read_session, path)
        except SessionError as error:
            return self._report(str(error))
        except Exception as error:  # nothing a file does may end the lecture
            return self._report(f"{path}: {type(error).__name__}: {error}")
        finally:
            self._busy = False
        if self.window.closing:  # closed while the file was read
            return False
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
        self.recent_menu.remember(contents.path)
        window.statusBar().showMessage(f"Opened {describe(contents)}. Press Space to continue.", 10000)
        return True

    def _report(self, message: str) -> bool:
        dialogs.show_error(self.window, "Could not open the session", message)
        self.window.statusBar().showMessage(f"Could not open: {message}", 10000)
        return False


def _stem(data) -> str:
    name = data.name or Path(data.source).stem or "session"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.removeprefix("builtin:")).strip("-") or "session"
