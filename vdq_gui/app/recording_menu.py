"""Record > Start recording... / Stop recording, and Record > Record the timeline...: an
animation (GIF or MP4) of the whole window or of one plot, at a chosen frame rate and
width, from the live frames or from the timeline's kept moments.  A red "● REC" in the
status bar while it runs.  ``install(window)`` adds the menu; the window needs no other
change.  The options dialog is ``ask_options`` (tests answer it, as ``dialogs`` does for
message boxes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import dialogs, export, recording

WHOLE_WINDOW = "the whole window"


@dataclass
class RecordOptions:
    path: str
    target: str = WHOLE_WINDOW  # or a plot's name (export.visible_panels)
    fps: float = recording.DEFAULT_FPS
    width: int = recording.DEFAULT_WIDTH
    frames: int = 100  # timeline recordings: how many moments


class RecordDialog(QtWidgets.QDialog):
    def __init__(self, parent, targets: list[str], timeline: bool):
        super().__init__(parent)
        self.setWindowTitle("Record the timeline" if timeline else "Start recording")
        form = QtWidgets.QFormLayout(self)
        self.target = QtWidgets.QComboBox()
        self.target.addItems(targets)
        self.target.setToolTip("Record the whole window or one plot")
        self.fps = QtWidgets.QSpinBox()
        self.fps.setRange(1, 30)
        self.fps.setValue(recording.DEFAULT_FPS)
        self.fps.setSuffix(" frames/s")
        self.fps.setToolTip("Frames per second of the animation (live: also how often the window is grabbed)")
        self.width = QtWidgets.QSpinBox()
        self.width.setRange(160, 3840)
        self.width.setSingleStep(80)
        self.width.setValue(recording.DEFAULT_WIDTH)
        self.width.setSuffix(" px wide")
        self.width.setToolTip("Frames are scaled down to this width (never up)")
        self.frames = QtWidgets.QSpinBox()
        self.frames.setRange(2, 2000)
        self.frames.setValue(100)
        self.frames.setToolTip("Moments of the timeline to draw, evenly spread over it")
        self.path = QtWidgets.QLineEdit(str(Path.home() / "vdq-gui.gif"))
        self.path.setToolTip("A .gif or .mp4 file")
        self.path.setMinimumWidth(320)
        browse = QtWidgets.QPushButton("Choose…")
        browse.clicked.connect(self._on_browse)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Record", self.target)
        form.addRow("Frame rate", self.fps)
        form.addRow("Size", self.width)
        if timeline:
            form.addRow("Frames", self.frames)
        form.addRow("File", row)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @QtCore.Slot()
    def _on_browse(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Record to", self.path.text(),
                                                        "GIF animation (*.gif);;MP4 video (*.mp4)")
        if path:
            self.path.setText(path)

    def options(self) -> RecordOptions:
        return RecordOptions(self.path.text().strip(), self.target.currentText(), self.fps.value(),
                             self.width.value(), self.frames.value())


def ask_options(parent, targets: list[str], timeline: bool) -> RecordOptions | None:
    dialog = RecordDialog(parent, targets, timeline)
    try:
        return dialog.options() if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


class RecordCommands(QtCore.QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.recorder: recording.LiveRecorder | None = None
        self.start_action = self._action("Start recording…", "Ctrl+R", "Record the live window or one plot",
                                         self.start_live)
        self.stop_action = self._action("Stop recording", "Ctrl+Shift+R", "Stop and write the animation",
                                        self.stop_live)
        self.stop_action.setEnabled(False)
        self.timeline_action = self._action("Record the timeline…", None,
                                            "An animation of the moments the timeline kept", self.record_timeline)
        self.indicator = QtWidgets.QLabel("● REC")
        self.indicator.setStyleSheet("color:#d00000; font-weight:bold; padding:0 6px;")
        self.indicator.setToolTip("Recording: Record ▸ Stop recording (Ctrl+Shift+R) writes the file")
        self.indicator.hide()
        window.statusBar().addPermanentWidget(self.indicator)

    def _action(self, text, shortcut, tip, slot) -> QtGui.QAction:
        action = QtGui.QAction(text, self.window)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(slot)
        self.window.addAction(action)
        return action

    def targets(self) -> dict[str, QtWidgets.QWidget]:
        shown = {WHOLE_WINDOW: self.window}
        shown.update({stem: panel for stem, panel in export.visible_panels(self.window.plots)})
        return shown

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    # -- live ------------------------------------------------------------------------
    @QtCore.Slot()
    def start_live(self) -> None:
        if self.recorder is not None:
            return
        targets = self.targets()
        options = ask_options(self.window, list(targets), timeline=False)
        if options is None:
            return
        self.start(options, targets.get(options.target, self.window))

    def start(self, options: RecordOptions, widget: QtWidgets.QWidget) -> bool:
        try:
            self.recorder = recording.LiveRecorder(widget, options.path, options.fps, options.width, self)
        except (OSError, ValueError) as error:
            dialogs.show_error(self.window, "Cannot record", str(error))
            return False
        self.recorder.stopped_itself.connect(self._on_stopped_itself)
        self.recorder.start()
        self.indicator.show()
        self.start_action.setEnabled(False)
        self.stop_action.setEnabled(True)
        return True

    @QtCore.Slot()
    def stop_live(self) -> None:
        if self.recorder is None:
            return
        recorder, self.recorder = self.recorder, None
        writer = recorder.stop()
        self.indicator.hide()
        self.start_action.setEnabled(True)
        self.stop_action.setEnabled(False)
        self._finish(writer, recorder.frames)
        recorder.deleteLater()

    @QtCore.Slot(str)
    def _on_stopped_itself(self, reason: str) -> None:
        self.window.statusBar().showMessage(f"Recording stopped: {reason}", 10000)
        self.stop_live()

    def _finish(self, writer: recording.AnimationWriter, frames: int) -> None:
        """Wait for the writer thread with a progress dialog (the GUI stays responsive)."""
        if not writer.done:
            progress = QtWidgets.QProgressDialog("Writing the animation…", "", 0, max(1, frames), self.window)
            progress.setCancelButton(None)
            progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(300)
            while not writer.wait(0.05):
                progress.setValue(min(writer.frames_done, frames))
                QtWidgets.QApplication.processEvents()
            progress.close()
            progress.deleteLater()
        if writer.error is not None:
            dialogs.show_error(self.window, "Recording failed", f"{writer.path}: {writer.error}")
        else:
            self.window.statusBar().showMessage(f"Recorded {frames} frames to {writer.path}", 10000)

    # -- the timeline ------------------------------------------------------------------
    @QtCore.Slot()
    def record_timeline(self) -> None:
        session = self.window.session
        if not len(session.timeline):
            dialogs.show_info(self.window, "Nothing to record", "The timeline is empty: train a little first.")
            return
        targets = self.targets()
        options = ask_options(self.window, list(targets), timeline=True)
        if options is not None:
            self.record_moments(options, targets.get(options.target, self.window))

    def record_moments(self, options: RecordOptions, widget: QtWidgets.QWidget) -> bool:
        try:
            recording.check_path(options.path)
        except ValueError as error:
            dialogs.show_error(self.window, "Cannot record", str(error))
            return False
        progress = QtWidgets.QProgressDialog("Drawing the timeline's moments…", "Stop", 0, options.frames,
                                             self.window)
        progress.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(500)

        def report(done: int, total: int) -> bool:  # between two moments: the dialog stays live
            progress.setMaximum(total)
            progress.setValue(done)
            QtWidgets.QApplication.processEvents()
            return not progress.wasCanceled()

        try:
            frames = recording.render_timeline(self.window.session, widget, options.frames, options.width, report)
        finally:
            progress.close()
            progress.deleteLater()
        if not frames:
            return False
        try:
            writer = recording.AnimationWriter(options.path, options.fps)
        except OSError as error:
            dialogs.show_error(self.window, "Cannot record", str(error))
            return False
        for frame in frames:
            writer.add(frame)
        writer.close()
        self._finish(writer, len(frames))
        return writer.error is None

    @QtCore.Slot()
    def shutdown(self) -> None:
        """The window closes: a recording under way is written, not left running."""
        if self.recorder is not None:
            writer = self.recorder.stop()
            self.recorder = None
            writer.wait()


    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.window and event.type() == QtCore.QEvent.Type.Close:
            self.shutdown()
        return False


def install(window) -> RecordCommands:
    """A Record menu (before Help) and the status bar's indicator."""
    commands = RecordCommands(window)
    menu = QtWidgets.QMenu("&Record", window)
    for action in (commands.start_action, commands.stop_action):
        menu.addAction(action)
    menu.addSeparator()
    menu.addAction(commands.timeline_action)
    window.add_menu(menu)
    window.installEventFilter(commands)  # closing the window writes a recording under way
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(commands.shutdown)
    return commands
