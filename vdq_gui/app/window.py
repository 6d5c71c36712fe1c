"""The main window: layout, menus, the frame timer that draws the worker's latest
snapshot, and the routing of user commands to the worker.

Nothing here computes anything about the model: every number on screen comes from a
Snapshot.  The window also never touches the trainer; it only talks to the worker.
"""

from __future__ import annotations

import collections
import gc
import time
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import dialogs, style
from vdq_gui.app.controls import OPEN_FILE, ControlPanel
from vdq_gui.app.panels.density import DensityPanel
from vdq_gui.app.panels.detail import DetailPanel
from vdq_gui.app.panels.images import ImageGridPanel
from vdq_gui.app.panels.interaction import hurry_all
from vdq_gui.app.panels.loss import LossPanel
from vdq_gui.app.panels.noise_map import NoiseMapPanel
from vdq_gui.app.status import TrainingStatus
from vdq_gui.app.process_worker import ProcessTrainingWorker
from vdq_gui.data.builtin import builtin_names
from vdq_gui.data.dataset import DataError, DiscreteData
from vdq_gui.data.loaders import load_data
from vdq_gui.training.defaults import default_setting
from vdq_gui.training.loop import RunSpec

FRAME_INTERVAL_MS = 33  # ~30 frames per second
CONTROL_WIDTH = 250
_gc_frozen = False  # gc.freeze() once per process, after the first model is built


class MainWindow(QtWidgets.QMainWindow):
    frame_drawn = QtCore.Signal(int)  # the step of the snapshot just drawn

    def __init__(self, spec: RunSpec, *, ask_before_reset: bool = True,
                 worker_factory=ProcessTrainingWorker, parent=None):
        super().__init__(parent)
        style.configure_pyqtgraph()  # idempotent; plots created below depend on it
        self.spec = spec
        self.ask_before_reset = ask_before_reset
        self.last_snapshot = None
        self.selected_bin = 0
        self.frame_costs = collections.deque(maxlen=600)  # seconds per redraw, newest last
        self.font_scale = 1.0
        self._layout_key = None
        self.setWindowTitle("vdq-gui: watch dequantization happen")
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_menus()
        self._build_central()
        self.status = TrainingStatus(self.statusBar())
        self.worker = worker_factory(spec, self)
        self._connect_worker()
        self.frame_timer = QtCore.QTimer(self)
        self.frame_timer.setInterval(FRAME_INTERVAL_MS)
        self.frame_timer.timeout.connect(self._on_frame)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._show_spec()
        self.set_font_scale(1.0)
        self.resize(1280, 720)

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
        self._action("open", "Open file…", "Ctrl+O", "Load data from a file", self._on_open_file)
        self._action("open_folder", "Open image folder…", "Ctrl+Shift+O", "Load a folder of images",
                     self._on_open_folder)
        self._action("screenshot", "Save screenshot…", "Ctrl+Shift+S", "Save the window as a PNG",
                     self._on_save_screenshot)
        self._action("quit", "Quit", "Ctrl+Q", "Close vdq-gui", self.close)
        self._action("reset_view", "Reset view", "Ctrl+0", "Restore every plot's zoom", self.reset_views)
        self._action("presentation", "Larger fonts (presentation)", "F5",
                     "Bigger text and lines for a projector", self._on_presentation_toggled, True)
        self._action("about", "What am I looking at?", "F1", "Explain the plots", self._on_about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for name in ("open", "open_folder", "screenshot", "quit"):
            file_menu.addAction(self.actions[name])
        self.dataset_menu = bar.addMenu("&Dataset")
        for name, description in builtin_names().items():
            action = self.dataset_menu.addAction(f"{name}: {description}")
            action.setData(f"builtin:{name}")
        self.dataset_menu.triggered.connect(self._on_dataset_menu)
        train_menu = bar.addMenu("&Training")
        for name in ("play", "step", "step_n", "reset"):
            train_menu.addAction(self.actions[name])
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.actions["reset_view"])
        view_menu.addAction(self.actions["presentation"])
        bar.addMenu("&Help").addAction(self.actions["about"])

    def _build_central(self) -> None:
        self.controls = ControlPanel(self.actions, builtin_names())
        self.control_scroll = scroll = QtWidgets.QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(CONTROL_WIDTH)
        self.density = DensityPanel()
        self.images = ImageGridPanel()
        self.noise = NoiseMapPanel()
        self.loss = LossPanel()
        self.detail = DetailPanel()
        self.top_left = QtWidgets.QStackedWidget()
        self.top_left.addWidget(self.density)
        self.top_left.addWidget(self.images)
        self.banner = QtWidgets.QLabel()
        self.banner.setWordWrap(True)
        self.banner.hide()
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(4)
        grid.addWidget(self.top_left, 0, 0)
        grid.addWidget(self.noise, 0, 1)
        grid.addWidget(self.loss, 1, 0)
        grid.addWidget(self.detail, 1, 1)
        for i in (0, 1):
            grid.setRowStretch(i, 1)
            grid.setColumnStretch(i, 1)
        plots = QtWidgets.QVBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.banner)
        plots.addLayout(grid, 1)
        central = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(central)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(scroll)
        row.addLayout(plots, 1)
        self.setCentralWidget(central)
        self.panels = (self.density, self.images, self.noise, self.loss, self.detail)
        for panel in self.panels:
            panel.bin_clicked.connect(self.select_bin)
        self.controls.dataset_requested.connect(self._on_dataset_requested)
        self.controls.dequantizer_requested.connect(self._on_dequantizer_requested)
        self.controls.seed_requested.connect(self._on_seed_requested)
        self.controls.learning_rate_changed.connect(self._on_learning_rate_changed)
        self.controls.batch_size_changed.connect(self._on_batch_size_changed)
        self.controls.speed_changed.connect(self._on_speed_changed)

    def _connect_worker(self) -> None:
        # Queued across threads, each to a @Slot method (never a lambda).
        self.worker.building.connect(self._on_worker_building)
        self.worker.ready.connect(self._on_worker_ready)
        self.worker.failed.connect(self._on_worker_failed)
        self.worker.stopped.connect(self._on_worker_stopped)
        self.worker.running_changed.connect(self._on_worker_running_changed)

    # == life cycle =====================================================================
    def start(self) -> None:
        """Start the worker (it builds the trainer off the GUI thread) and the frames."""
        self.worker.set_speed(self.controls.speed_steps_per_s())
        if self.last_snapshot is None:  # what the seconds before the first picture are for
            self._show_banner("Building the model: importing torch…")
        if not self.worker.isRunning():
            self.worker.start()
        self.frame_timer.start()

    @QtCore.Slot()
    def shutdown(self) -> None:
        """Stop drawing, stop the worker and join its thread (idempotent)."""
        self.frame_timer.stop()
        self.worker.shutdown()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)

    # == drawing ========================================================================
    @QtCore.Slot()
    def _on_frame(self) -> None:
        snapshot = self.worker.take_snapshot()
        if snapshot is None or self.isMinimized():
            return  # nothing new: the plots keep what they show
        started = time.perf_counter()
        self.draw(snapshot)
        self.frame_costs.append(time.perf_counter() - started)
        self.frame_drawn.emit(snapshot.step)

    def frame_cost_ms(self) -> tuple[float, float]:
        """Median and 95th percentile of the recent redraw costs (draw calls only; Qt paints
        afterwards), in milliseconds: (nan, nan) before any frame."""
        costs = sorted(self.frame_costs)
        if not costs:
            return float("nan"), float("nan")
        return 1000 * costs[len(costs) // 2], 1000 * costs[int(0.95 * (len(costs) - 1))]

    def draw(self, snapshot) -> None:
        """Draw one snapshot on every visible panel."""
        key = (snapshot.kind, snapshot.levels, snapshot.origin, snapshot.value_step)
        if key != self._layout_key:
            self._prepare_layout(snapshot, key)
        if not self.worker.is_running:
            hurry_all()  # a paused state: fit the ranges now, it stays on screen
        self.top_left.currentWidget().draw(snapshot)
        self.noise.draw(snapshot)
        self.detail.draw(snapshot)
        self.loss.draw(snapshot)
        self.status.show_snapshot(snapshot, self.worker.is_running)
        self.controls.show_settings(snapshot.learning_rate, snapshot.batch_size)
        if snapshot.status and snapshot.status not in self.banner.text():
            self._show_banner(snapshot.status, error=True)
        self.last_snapshot = snapshot

    def _prepare_layout(self, snapshot, key) -> None:
        """A new kind of data or number of levels: switch panels, choose a bin to detail."""
        self._layout_key = key
        self.top_left.setCurrentWidget(self.density if snapshot.kind == "1d" else self.images)
        pmf = snapshot.data_pmf
        self.select_bin(int(pmf.argmax()) if pmf.size else 0)

    @QtCore.Slot(int)
    def select_bin(self, level: int) -> None:
        self.selected_bin = int(level)
        for panel in self.panels:
            panel.set_selected_bin(self.selected_bin)

    @QtCore.Slot()
    def reset_views(self) -> None:
        for panel in self.panels:
            panel.reset_view()

    def _show_banner(self, text: str, error: bool = False) -> None:
        colour = "background:#fde8e8; color:#8b0000;" if error else "background:#eef3fb; color:#1d3a63;"
        self.banner.setStyleSheet(f"{colour} padding:4px 8px; border-radius:3px;")
        self.banner.setText(text)
        self.banner.show()

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
        changes = {"data": data}
        if data.kind != self.spec.data.kind:
            # Optimiser settings tuned for 1-D data are wrong for images and vice versa.
            changes.update(learning_rate=None, batch_size=None)
        return self.apply_spec(self.spec.with_changes(**changes), f"Loading “{data.name or data.source}”")

    def _report_bad_data(self, message: str) -> bool:
        dialogs.show_error(self, "Could not load the data", message)
        self.statusBar().showMessage(f"Could not load: {message}", 10000)
        self._show_spec()  # put the dataset combo back on the current data
        return False

    def apply_spec(self, spec: RunSpec, what: str) -> bool:
        """Replace the run by one built from ``spec``, asking first if work would be lost."""
        if not self._may_discard_run(what):
            self._show_spec()
            return False
        self.spec = spec
        self._layout_key = None
        self.last_snapshot = None  # before _show_spec: it then draws the new data at once
        self._show_spec()
        self.loss.clear()
        self.worker.reset(spec)
        return True

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
        self.controls.show_seed(self.spec.seed)
        # The real settings from the first paint (the model's own arrive with its pictures).
        self.controls.show_settings(default_setting(data.kind, "learning_rate", self.spec.learning_rate),
                                    default_setting(data.kind, "batch_size", self.spec.batch_size))
        self.status.show_dataset(data.describe())
        self.setWindowTitle(f"vdq-gui: {label} ({self.spec.dequantizer} dequantization)")
        if data.kind == "1d" and self.last_snapshot is None:
            self.top_left.setCurrentWidget(self.density)
            self.density.show_data(data)  # the data is drawn before the model exists

    def open_path(self, path: str | Path) -> bool:
        """Preview a file or folder in the import dialog, then load it with the chosen options."""
        from vdq_gui.app.import_dialog import ImportDialog

        try:
            dialog = ImportDialog(path, self)
        except Exception as error:  # unreadable: name the file and the reason
            message = str(error) if isinstance(error, DataError) else f"{path}: {error}"
            return self._report_bad_data(message)
        dialog.setFont(self.font())
        accepted = dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        options = dialog.options()
        dialog.deleteLater()  # parented to the window: would otherwise live as long as it
        if not accepted:
            self._show_spec()
            return False
        return self.load_source(path, **options)

    # == slots: user commands ===========================================================
    @QtCore.Slot(bool)
    def _on_play_toggled(self, playing: bool) -> None:
        self.actions["play"].setText("❚❚ Pause" if playing else "▶ Play")
        if playing:
            self.banner.hide()
            self.worker.play()
        else:
            self.worker.pause()

    @QtCore.Slot()
    def _on_step(self) -> None:
        self.show_playing(False)
        self.worker.step(1)

    @QtCore.Slot()
    def _on_step_n(self) -> None:
        self.show_playing(False)
        self.banner.hide()
        self.worker.step(self.controls.step_count.value())

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
        self.worker.set_learning_rate(value)

    @QtCore.Slot(int)
    def _on_batch_size_changed(self, value: int) -> None:
        self.spec = self.spec.with_changes(batch_size=value)
        self.worker.set_batch_size(value)

    @QtCore.Slot(float)
    def _on_speed_changed(self, steps_per_s: float) -> None:
        self.worker.set_speed(steps_per_s)

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
        self.set_font_scale(style.PRESENTATION_SCALE if on else 1.0)

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        app = QtWidgets.QApplication.instance()
        app.setFont(style.font(scale))
        self.menuBar().setFont(style.font(scale))
        self.controls.set_font_scale(scale)
        self.status.set_font_scale(scale)
        self.banner.setFont(style.font(scale, 1.0, bold=True))
        for panel in self.panels:
            panel.set_font_scale(scale)
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
        dialogs.show_error(self, "Training error", message)

    @QtCore.Slot(str)
    def _on_worker_stopped(self, reason: str) -> None:
        self.show_playing(False)
        self._show_banner(f"Training paused: {reason}. The last good state is shown; "
                          "try a smaller learning rate, then press Play.", error=True)

    @QtCore.Slot(bool)
    def _on_worker_running_changed(self, running: bool) -> None:
        # Also while "Step N" runs: the button then reads Pause, and pausing interrupts it.
        self.show_playing(running and self.worker.is_running)
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
F5 larger fonts · Ctrl+O open a file (or drop one on the window). Hover a plot for values;
click a bin to inspect it; drag to pan, scroll to zoom.</p>"""
