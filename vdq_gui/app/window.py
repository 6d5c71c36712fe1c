"""The main window: actions, menus, the control column, the status bar, dialogs and
drag-and-drop.  User commands go to the session (``session.Session``: the runs, the
selected bin, the timeline); the plots and their layout are ``plots.PlotArea``, a view
of the same session.

Nothing here computes anything about the model: every number on screen comes from a
Snapshot.  The window never touches a trainer or a worker directly except through the
session (``window.worker`` is the first run's worker, for tests and benchmarks).
"""

from __future__ import annotations

import collections
import gc
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import dialogs, explain_panel, lesson_runner, lifeline, recent, style
from vdq_gui.app.appearance import Appearance
from vdq_gui.app.controls import OPEN_FILE, ControlPanel
from vdq_gui.app.plots import PlotArea
from vdq_gui.app.process_worker import ProcessTrainingWorker
from vdq_gui.app.session import FRAME_INTERVAL_MS, MAX_RUNS, Session
from vdq_gui.app.session_files import SessionFiles
from vdq_gui.app.status import TrainingStatus
from vdq_gui.app.timeline import Moment
from vdq_gui.data.builtin import builtin_names
from vdq_gui.data.dataset import DataError, DiscreteData
from vdq_gui.data.loaders import load_data
from vdq_gui.training.defaults import default_setting
from vdq_gui.training.loop import RunSpec
from vdq_gui.training.session_file import is_session_path

__all__ = ["FRAME_INTERVAL_MS", "MainWindow", "dropped_path"]
CONTROL_WIDTH = 250
_gc_frozen = False  # gc.freeze() once per process, after the first model is built


RECENT_FILES_KEY = "data/recent"  # File > Recent files (data files and folders opened)


class MainWindow(QtWidgets.QMainWindow):
    frame_drawn = QtCore.Signal(int)  # the step of the moment just drawn

    def __init__(self, spec: RunSpec, *, compare: list[str] | None = None, ask_before_reset: bool = True,
                 worker_factory=ProcessTrainingWorker, parent=None):
        """``spec``: the run (its data, seed and settings); ``compare``: two or three
        dequantizer names to train side by side on that same spec instead."""
        super().__init__(parent)
        style.configure_pyqtgraph()  # idempotent; plots created below depend on it
        self.spec = spec
        self.ask_before_reset = ask_before_reset
        self.remembers = True  # recent files and sessions are written (not in automation runs)
        self.last_snapshot = None
        self.font_scale = 1.0
        self.setWindowTitle("vdq-gui: watch dequantization happen")
        self.setAcceptDrops(True)
        self.session = Session(self._specs_for(compare), worker_factory, self)
        self._build_actions()
        self.appearance = Appearance(self)  # theme, presentation mode, full screen
        self._build_menus()
        self._build_central()
        self.status = TrainingStatus(self.statusBar())
        self._connect_session()
        self.explain = explain_panel.install(self)  # View > Explanations (F2), hidden at first
        self.lessons = lesson_runner.install(self, self.explain)  # the Lessons menu
        from vdq_gui.app import export_menu, recording_menu  # File > Export…, the Record menu

        self.export_commands = export_menu.install(self)
        self.record_commands = recording_menu.install(self)
        self.session_files = SessionFiles(self, self.menus["file"], before=self.actions["screenshot"])
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self.closing = False
        lifeline.install(self)  # a window destroyed from outside stops training too
        self._show_spec()
        self.set_font_scale(1.0)
        self.resize(1280, 720)

    def _specs_for(self, names: list[str] | None) -> list[RunSpec]:
        if not names or len(names) < 2:
            return [self.spec]
        return [self.spec.with_changes(dequantizer=name) for name in names]

    # == what tests and benchmarks reach for =============================================
    @property
    def worker(self):
        """The first run's worker."""
        return self.session.runs[0].worker

    @property
    def frame_timer(self) -> QtCore.QTimer:
        return self.session.timer

    @property
    def selected_bin(self) -> int:
        return self.session.selected_bin

    @property
    def density(self):
        return self.plots.density

    @property
    def noise(self):
        return self.plots.noise_panels[0]

    @property
    def images(self):
        return self.plots.image_panels[0]

    @property
    def loss(self):
        return self.plots.loss

    @property
    def detail(self):
        return self.plots.detail

    @property
    def top_left(self):
        return self.plots.top_left

    @property
    def banner(self):
        return self.plots.banner

    @property
    def panels(self):
        return self.plots.panels

    # == construction ===================================================================
    def _action(self, name: str, text: str, shortcut: str | None, tip: str, slot,
                checkable: bool = False) -> QtGui.QAction:
        action = QtGui.QAction(text, self)
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.actions[name] = action
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_actions(self) -> None:
        self.actions: dict[str, QtGui.QAction] = {}
        self._action("play", "▶ Play", "Space", "Train continuously / pause", self._on_play_toggled, True)
        self._action("step", "Step", "S", "One training step", self._on_step)
        self._action("step_n", "Step N", "N", "Train N steps, then pause", self._on_step_n)
        self._action("reset", "Reset", "R", "New model with the same settings", self._on_reset)
        self._action("objective", "Objective…", None,
                     "Train on the ELBO, the IW or the Rényi bound; choose the IW curve's M", self._on_objective)
        self._action("open", "Open file…", "Ctrl+O", "Load data from a file", self._on_open_file)
        self._action("open_folder", "Open image folder…", "Ctrl+Shift+O", "Load a folder of images",
                     self._on_open_folder)
        self._action("screenshot", "Save screenshot…", "Ctrl+Shift+S", "Save the window as a PNG",
                     self._on_save_screenshot)
        self._action("quit", "Quit", "Ctrl+Q", "Close vdq-gui", self.close)
        self._action("reset_view", "Reset view", "Ctrl+0", "Restore every plot's zoom", self.reset_views)
        self._action("presentation", "Presentation mode", "F5",
                     "Large text, thick lines, high contrast and only the essential controls, for a projector",
                     self._on_presentation_toggled, True)
        self._action("compare", "Compare…", "Ctrl+K", "Train two or three dequantizers side by side",
                     self._on_compare)
        self._action("back", "Timeline back", "Left", "Show an earlier moment", self._on_back)
        self._action("forward", "Timeline forward", "Right", "Show a later moment", self._on_forward)
        self._action("first", "Timeline start", "Home", "Show the earliest moment kept", self._on_first)
        self._action("live", "Live", "End", "Back to the live picture", self._on_live)
        self._action("about", "What am I looking at?", "F1", "Explain the plots", self._on_about)
        self._action("shortcuts", "Keyboard shortcuts", "Ctrl+/", "List every keyboard shortcut", self._on_shortcuts)
        self._action("show_log", "Show log", None, "Open the log file of warnings and errors", self._on_show_log)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.menus = {"file": file_menu}  # by name, for the features that add to them
        for name in ("open", "open_folder"):
            file_menu.addAction(self.actions[name])
        self.recent_files = recent.RecentMenu("Recent files", RECENT_FILES_KEY, self.open_path, self, "data")
        file_menu.addMenu(self.recent_files)
        for name in ("screenshot", "quit"):
            file_menu.addAction(self.actions[name])
        self.dataset_menu = bar.addMenu("&Dataset")
        for name, description in builtin_names().items():
            action = self.dataset_menu.addAction(f"{name}: {description}")
            action.setData(f"builtin:{name}")
            action.setStatusTip(f"Train on the built-in “{name}” data: {description}")
        self.dataset_menu.triggered.connect(self._on_dataset_menu)
        train_menu = bar.addMenu("&Training")
        for name in ("play", "step", "step_n", "reset"):
            train_menu.addAction(self.actions[name])
        train_menu.addSeparator()
        train_menu.addAction(self.actions["objective"])
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.actions["compare"])
        view_menu.addSeparator()
        for name in ("back", "forward", "first", "live"):
            view_menu.addAction(self.actions[name])
        view_menu.addSeparator()
        view_menu.addAction(self.actions["reset_view"])
        view_menu.addAction(self.actions["presentation"])
        self.appearance.add_to_menu(view_menu)
        help_menu = bar.addMenu("&Help")
        for name in ("about", "shortcuts", "show_log"):
            help_menu.addAction(self.actions[name])
        self.menus.update(view=view_menu, help=help_menu)

    def add_menu(self, menu: QtWidgets.QMenu) -> None:
        """A feature's own menu (Lessons, Record) on the bar, before Help."""
        self.menuBar().insertMenu(self.menus["help"].menuAction(), menu)

    def _build_central(self) -> None:
        self.controls = ControlPanel(self.actions, builtin_names())
        self.control_scroll = scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(CONTROL_WIDTH)
        self.plots = PlotArea(self.session)
        central = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(central)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(scroll)
        row.addWidget(self.plots, 1)
        self.setCentralWidget(central)
        self.controls.dataset_requested.connect(self._on_dataset_requested)
        self.controls.dequantizer_requested.connect(self._on_dequantizer_requested)
        self.controls.seed_requested.connect(self._on_seed_requested)
        self.controls.learning_rate_changed.connect(self._on_learning_rate_changed)
        self.controls.batch_size_changed.connect(self._on_batch_size_changed)
        self.controls.speed_changed.connect(self._on_speed_changed)

    def _connect_session(self) -> None:
        session = self.session
        session.moment_changed.connect(self._on_moment)
        session.building.connect(self._on_worker_building)
        session.ready.connect(self._on_worker_ready)
        session.failed.connect(self._on_worker_failed)
        session.stopped.connect(self._on_worker_stopped)
        session.running_changed.connect(self._on_worker_running_changed)
        session.runs_changed.connect(self._show_spec)

    # == life cycle =====================================================================
    def start(self) -> None:
        """Start the workers (they build the trainers off the GUI thread) and the frames."""
        self.session.set_speed(self.controls.speed_steps_per_s())
        if self.last_snapshot is None:  # what the seconds before the first picture are for
            self._show_banner("Building the model: importing torch…")
        self.session.start()

    @QtCore.Slot()
    def shutdown(self) -> None:
        """Stop drawing, stop every worker and join its thread and process (idempotent)."""
        self.session.shutdown()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.closing = True
        for dialog in self.findChildren(QtWidgets.QDialog):
            dialog.reject()  # e.g. the import dialog: its exec() returns, nothing loads
        self.shutdown()
        super().closeEvent(event)

    # == drawing ========================================================================
    @QtCore.Slot(object)
    def _on_moment(self, moment: Moment) -> None:
        """The plots drew ``moment`` (they subscribe first); the status and controls follow."""
        snapshot = moment.snapshots[0]
        running = self.session.is_running
        # The status bar's bits/dim: of the first run whose number is a bound.
        shown = next((s for s in moment.snapshots if s.is_bound), snapshot)
        self.status.show_snapshot(shown, running and moment.live, len(moment.snapshots))
        self.controls.show_settings(snapshot.learning_rate, snapshot.batch_size)
        for other in moment.snapshots:
            if other.status and other.status not in self.banner.text():
                self._show_banner(other.status, error=True)
        self.last_snapshot = snapshot
        self.frame_drawn.emit(moment.step)

    def draw(self, snapshot) -> None:
        """Draw one snapshot (one run) at once, as a live frame would."""
        self.plots.draw(Moment((snapshot,)))
        self._on_moment(Moment((snapshot,)))

    def frame_cost_ms(self) -> tuple[float, float]:
        """Median and 95th percentile of the recent redraw costs (draw calls only; Qt paints
        afterwards), in milliseconds: (nan, nan) before any frame."""
        costs = sorted(self.session.frame_costs)
        if not costs:
            return float("nan"), float("nan")
        return 1000 * costs[len(costs) // 2], 1000 * costs[int(0.95 * (len(costs) - 1))]

    @QtCore.Slot(int)
    def select_bin(self, level: int) -> None:
        self.session.select_bin(level)

    @QtCore.Slot()
    def reset_views(self) -> None:
        self.plots.reset_views()

    def _show_banner(self, text: str, error: bool = False) -> None:
        self.plots.show_banner(text, error)

    # == data and runs ==================================================================
    def load_source(self, source: str | Path, **options) -> bool:
        """Load a file or built-in and start a new run on it (after asking).  A bad file
        is reported in a dialog and changes nothing.  Returns whether the data changed."""
        try:
            data = load_data(source, **options)
        except DataError as error:  # the loaders' errors already name the file
            return self._report_bad_data(str(error))
        except Exception as error:  # anything else a reader raises must not end the lecture
            return self._report_bad_data(f"{source}: {type(error).__name__}: {error}")
        return self.use_data(data)

    def use_data(self, data: DiscreteData) -> bool:
        changes = {}
        if data.kind != self.spec.data.kind:
            # Optimiser settings tuned for 1-D data are wrong for images and vice versa.
            changes.update(learning_rate=None, batch_size=None)
        return self.apply_spec(self.spec.with_changes(data, **changes), f"Loading “{data.name or data.source}”")

    def _report_bad_data(self, message: str) -> bool:
        dialogs.show_error(self, "Could not load the data", message)
        self.statusBar().showMessage(f"Could not load: {message}", 10000)
        self._show_spec()  # put the dataset combo back on the current data
        return False

    def apply_spec(self, spec: RunSpec, what: str, compare: list[str] | None = None) -> bool:
        """Replace the run(s) by new ones built from ``spec`` (in compare mode: one per
        compared dequantizer, unless ``compare`` names others), asking first if work would
        be lost."""
        if not self._may_discard_run(what):
            self._show_spec()
            return False
        names = compare if compare is not None else (
            [run.name for run in self.session.runs] if self.session.compare else None)
        self.spec = spec if not names else spec.with_changes(dequantizer=names[0])
        self.plots.forget_drawn()
        self.last_snapshot = None  # before _show_spec: it then draws the new data at once
        self.loss.clear()
        self.session.reset(self._specs_for(names))
        self.show_playing(False)  # a reset pauses: say so now, not when the worker reports it
        self._show_spec()
        return True

    def set_compare(self, names: list[str]) -> bool:
        """Train these dequantizers side by side (one name: back to a single run)."""
        if not 1 <= len(names) <= MAX_RUNS:
            raise ValueError(f"compare one to {MAX_RUNS} dequantizers, not {len(names)}")
        what = "Comparing " + ", ".join(names) if len(names) > 1 else f"One run ({names[0]})"
        return self.apply_spec(self.spec.with_changes(dequantizer=names[0]), what, compare=list(names))

    def _may_discard_run(self, what: str) -> bool:
        trained = self.last_snapshot.step if self.last_snapshot is not None else 0
        if not self.ask_before_reset or trained == 0:
            return True
        return dialogs.confirm(self, "Start a new run?",
                               f"{what} starts a new run: the current one ({trained:,} steps) is discarded.")

    def _show_spec(self) -> None:
        """Make controls, title and the data preview agree with ``self.spec``."""
        data = self.spec.data
        label = data.name or Path(data.source).name
        self.controls.show_dataset(data.source or label, label, data.describe(), data.notes)
        self.controls.show_dequantizer(self.spec.dequantizer)
        compare = self.session.compare
        names = [run.name for run in self.session.runs]
        self.controls.dequantizer.setEnabled(not compare)
        self.controls.dequantizer.setToolTip("View ▸ Compare… chooses the runs" if compare
                                             else self.controls.dequantizer.toolTip())
        self.controls.show_seed(self.spec.seed)
        # The real settings from the first paint (the model's own arrive with its pictures).
        self.controls.show_settings(default_setting(data.kind, "learning_rate", self.spec.config.learning_rate),
                                    default_setting(data.kind, "batch_size", self.spec.config.batch_size))
        self.status.show_dataset(data.describe())
        deq = " vs ".join(names) if compare else f"{self.spec.dequantizer} dequantization"
        self.setWindowTitle(f"vdq-gui: {label} ({deq})")
        if self.last_snapshot is None:
            self.plots.show_data(data)  # the data is drawn before the model exists

    def open_path(self, path: str | Path) -> bool:
        """Preview a file or folder in the import dialog, then load it with the chosen options."""
        from vdq_gui.app.import_dialog import ImportDialog

        if is_session_path(path):  # a saved session (also when dropped on the window)
            return self.session_files.open(path)
        try:
            dialog = ImportDialog(path, self)
        except Exception as error:  # unreadable: name the file and the reason
            message = str(error) if isinstance(error, DataError) else f"{path}: {error}"
            return self._report_bad_data(message)
        dialog.setFont(self.font())
        accepted = dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        error, data = dialog.error, dialog.data  # the dialog previews and loads off the GUI thread
        options = dialog.options() if accepted and data is None else {}
        dialog.deleteLater()  # parented to the window: would otherwise live as long as it
        if error is not None:
            return self._report_bad_data(str(error))
        if not accepted:
            self._show_spec()
            return False
        loaded = self.use_data(data) if data is not None else self.load_source(path, **options)
        if loaded:
            self.recent_files.remember(path)
        return loaded

    # == slots: user commands ===========================================================
    @QtCore.Slot(bool)
    def _on_play_toggled(self, playing: bool) -> None:
        self.actions["play"].setText("❚❚ Pause" if playing else "▶ Play")
        if playing:
            self.banner.hide()
            self.session.play()
        else:
            self.session.pause()

    @QtCore.Slot()
    def _on_step(self) -> None:
        self.show_playing(False)
        self.session.step(1)

    @QtCore.Slot()
    def _on_step_n(self) -> None:
        self.show_playing(False)
        self.banner.hide()
        self.session.step(self.controls.step_count.value())

    @QtCore.Slot()
    def _on_reset(self) -> None:
        self.apply_spec(self.spec, "Reset")

    @QtCore.Slot(str)
    def _on_dataset_requested(self, source: str) -> None:
        if source == OPEN_FILE:
            self._on_open_file()
        elif source.startswith("builtin:"):
            self.load_source(source)
        else:
            self.open_path(source)

    @QtCore.Slot(QtGui.QAction)
    def _on_dataset_menu(self, action: QtGui.QAction) -> None:
        self.load_source(action.data())

    @QtCore.Slot(str)
    def _on_dequantizer_requested(self, name: str) -> None:
        if name != self.spec.dequantizer:
            self.apply_spec(self.spec.with_changes(dequantizer=name), f"Switching to “{name}” dequantization")

    @QtCore.Slot(int)
    def _on_seed_requested(self, seed: int) -> None:
        if seed != self.spec.seed:
            self.apply_spec(self.spec.with_changes(seed=seed), f"Changing the seed to {seed}")

    @QtCore.Slot(float)
    def _on_learning_rate_changed(self, value: float) -> None:
        self.spec = self.spec.with_changes(learning_rate=value)  # a reset keeps it
        self.session.set_learning_rate(value)

    @QtCore.Slot(int)
    def _on_batch_size_changed(self, value: int) -> None:
        self.spec = self.spec.with_changes(batch_size=value)
        self.session.set_batch_size(value)

    @QtCore.Slot(float)
    def _on_speed_changed(self, steps_per_s: float) -> None:
        self.session.set_speed(steps_per_s)

    @QtCore.Slot()
    def _on_objective(self) -> None:
        from vdq_gui.app.objective_dialog import ObjectiveDialog

        dialog = ObjectiveDialog(self.spec.config, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.set_objective(**dialog.changes())

    def set_objective(self, **fields) -> bool:
        """New run(s) trained with these TrainConfig objective fields (every run, in compare mode)."""
        config = self.spec.config
        if all(getattr(config, name) == value for name, value in fields.items()):
            return False
        try:
            spec = self.spec.with_changes(**fields)
        except ValueError as error:  # TrainConfig checks every field
            dialogs.show_error(self, "Objective not changed", str(error))
            return False
        return self.apply_spec(spec, "Changing the objective")

    @QtCore.Slot()
    def _on_compare(self) -> None:
        from vdq_gui.app.compare_dialog import choose_runs

        names = choose_runs(self, [run.name for run in self.session.runs])
        if names:
            self.set_compare(names)

    @QtCore.Slot()
    def _on_back(self) -> None:
        self.session.scrub_by(-1)

    @QtCore.Slot()
    def _on_forward(self) -> None:
        if self.session.position >= 0:
            self.session.scrub_by(+1)

    @QtCore.Slot()
    def _on_first(self) -> None:
        self.session.scrub_to(0)

    @QtCore.Slot()
    def _on_live(self) -> None:
        self.session.go_live()

    @QtCore.Slot()
    def _on_open_file(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open data", "", "Data (*.csv *.tsv *.txt *.npy *.npz *.png *.jpg *.jpeg *.bmp *.gif "
                                   "*.tif *.tiff *.idx *ubyte*);;All files (*)")
        if path:
            self.open_path(path)
        else:
            self._show_spec()

    @QtCore.Slot()
    def _on_open_folder(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if path:
            self.open_path(path)

    @QtCore.Slot()
    def _on_save_screenshot(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save screenshot", "vdq-gui.png", "PNG (*.png)")
        if path:
            self.save_screenshot(path)

    def save_screenshot(self, path: str | Path) -> bool:
        return self.grab().save(str(path), "PNG")

    @QtCore.Slot(bool)
    def _on_presentation_toggled(self, on: bool) -> None:
        self.appearance.set_presentation(on)

    @QtCore.Slot()
    def _on_shortcuts(self) -> None:
        from vdq_gui.app.shortcuts import show_shortcuts

        show_shortcuts(self)

    @QtCore.Slot()
    def _on_show_log(self) -> None:
        from vdq_gui.app.log import show_log

        show_log(self)

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        app = QtWidgets.QApplication.instance()
        app.setFont(style.font(scale))
        self.menuBar().setFont(style.font(scale))
        self.controls.set_font_scale(scale)
        self.status.set_font_scale(scale)
        self.plots.set_font_scale(scale)
        self._fit_control_column()

    def _fit_control_column(self) -> None:
        """As wide as the controls need at this font size (they never get cut off)."""
        self.controls.adjustSize()
        needed = self.controls.minimumSizeHint().width() + self.control_scroll.verticalScrollBar().sizeHint().width()
        self.control_scroll.setFixedWidth(max(int(CONTROL_WIDTH * min(self.font_scale, 1.2)), needed + 6))

    @QtCore.Slot()
    def _on_about(self) -> None:
        dialogs.show_info(self, "What am I looking at?", ABOUT)

    # == slots: the worker ==============================================================
    @QtCore.Slot(str)
    def _on_worker_building(self, description: str) -> None:
        self._show_banner(f"Building the model for {description}…")

    @QtCore.Slot(str)
    def _on_worker_ready(self, description: str) -> None:
        if self.banner.text().startswith("Building"):
            self.banner.hide()
        self.statusBar().showMessage(f"Ready: {description}. Press Space to train.", 5000)
        global _gc_frozen
        if not _gc_frozen:
            _gc_frozen = True
            # Everything loaded so far (torch, Qt, the model) lives for the whole session:
            # moving it out of the collector's reach keeps full GC passes (~100 ms with
            # torch + Qt loaded) from causing frame hitches later.
            gc.collect()
            gc.freeze()

    @QtCore.Slot(str)
    def _on_worker_failed(self, message: str) -> None:
        self.show_playing(False)
        self.statusBar().showMessage(message, 15000)
        self._show_banner(message, error=True)
        if not self.closing:
            dialogs.show_error(self, "Training error", message)

    @QtCore.Slot(str)
    def _on_worker_stopped(self, reason: str) -> None:
        self.show_playing(False)
        if "went back to step" in reason:
            advice = (f"Its state is shown. Try a smaller learning rate (now {self.controls.learning_rate.value():.3g}), "
                      "then press Play; Reset starts over.")
        else:
            advice = "Press Reset to start over (perhaps with a smaller learning rate)."
        self._show_banner(f"Training paused: {reason}. {advice}", error=True)

    @QtCore.Slot(bool)
    def _on_worker_running_changed(self, running: bool) -> None:
        # Also while "Step N" runs: the button then reads Pause, and pausing interrupts it.
        self.show_playing(running and self.session.is_running)
        if not running:
            self.status.show_paused()

    def show_playing(self, playing: bool) -> None:
        """Put the Play/Pause action in this state without sending a command."""
        action = self.actions["play"]
        with QtCore.QSignalBlocker(action):
            action.setChecked(playing)
        action.setText("❚❚ Pause" if playing else "▶ Play")

    # == drag and drop ==================================================================
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:  # noqa: N802
        if dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:  # noqa: N802
        path = dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            # Open after the drop returns, so the file manager is not kept waiting on a dialog.
            self._dropped = path
            QtCore.QTimer.singleShot(0, self._open_dropped)

    @QtCore.Slot()
    def _open_dropped(self) -> None:
        self.open_path(self._dropped)


def dropped_path(mime: QtCore.QMimeData) -> str | None:
    """The first local file or folder in a drag, if any."""
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile():
            return url.toLocalFile()
    return None


ABOUT = """<h3>Dequantization, live</h3>
<p>The data are integers x ∈ {0, …, K−1}. A continuous density q cannot give an integer a
probability directly; <b>dequantization</b> adds noise u ∈ [0, 1) from r(u|x) and trains q
on y = x + u. Then</p>
<p align=center>log P(x) ≥ E<sub>u~r(u|x)</sub>[ log q(x+u) − log r(u|x) ],</p>
<p>where P(x) = ∫ q(x+u) du is the mass q gives the bin. The <b>gap</b> of this bound is
KL( r(u|x) ‖ q(u|x) ), with q(u|x) = q(x+u) / P(x) the model's own posterior.</p>
<ul>
<li><b>none</b>: u = 0. q is trained on the integers only and can grow spikes there:
its “bits/dim” is not a bound and can fall below the true entropy.</li>
<li><b>uniform</b>: r = U(0, 1). A true bound; the gap is how non-flat q is inside each bin.</li>
<li><b>variational</b>: r is a learned conditional flow that follows q(u|x): a tighter bound.</li>
</ul>
<p><b>Panels</b>: top left, the data histogram, q and the model's P(x); top right, r(u|x) for
every bin with the per-bin gap below; bottom left, the losses in bits/dim; bottom right, the
selected bin's r, the uniform density and the exact posterior.</p>
<p><b>Keys</b>: Space play/pause · S step · N step N · R reset · Ctrl+0 reset zoom ·
F5 presentation mode · F11 full screen · Ctrl+/ every shortcut · Ctrl+O open a file (or drop one on the window). Hover a plot for values;
click a bin to inspect it; drag to pan, scroll to zoom.</p>"""
