"""The control column on the left: data, dequantizer, optimiser settings, speed, and the
Play / Pause / Step / Reset buttons (bound to the window's QActions, so the keyboard
shortcuts and the menus do exactly what the buttons do)."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import style
from vdq_gui.app.spinboxes import LogSpinBox, PowerOfTwoSpinBox
from vdq_gui.models.names import DEQUANTIZERS as DEQUANTIZER_NAMES

OPEN_FILE = "__open_file__"
DEQUANTIZER_TIPS = {
    "variational": "variational: r(u|x) is a learned flow (Flow++)",
    "logit-normal": "logit-normal: u = sigmoid(mu + sigma eps), one learned mu, sigma per level",
    "uniform": "uniform: r(u|x) = U(0, 1), fixed",
    "none": "none: u = 0, q fits the integers (not a bound!)",
}
# The registry's dequantizers, richest first; a new one shows up with its name as its tip.
DEQUANTIZERS = tuple((name, DEQUANTIZER_TIPS.get(name, name)) for name in reversed(DEQUANTIZER_NAMES))
# Speed slider positions, in steps per second; the last is "as fast as possible".
SPEEDS = (1, 2, 3, 5, 10, 20, 50, 100, 200, math.inf)
_WJ = "\u2060"  # word joiner: Qt breaks a line after "|", and "r(u|" + "x)" reads as nonsense
EXPLANATION = (
    f"A continuous density q is fitted to integers x by adding noise u ∈ [0,1) from r(u{_WJ}|{_WJ}x):"
    f"<br>log&nbsp;P(x) ≥ E<sub>r</sub>[log&nbsp;q(x+u) −&nbsp;log&nbsp;r(u{_WJ}|{_WJ}x)]"
    f"<br>gap = KL(r(u{_WJ}|{_WJ}x)&nbsp;‖&nbsp;q(u{_WJ}|{_WJ}x)).  F1: more."
)
# The learning-rate box's range.  Above 1 Adam diverges on every model here, but a run
# started with --lr 100 must show 100, not the box's maximum; vdq-gui refuses values
# outside the range.
LEARNING_RATE_RANGE = (1e-6, 100.0)
BATCH_SIZE_MAX = 8192
SEED_MAX = 2**31 - 1
NOTE_CHARS = 70  # longer notes are cut in the panel; the tooltip has them in full


class ControlPanel(QtWidgets.QWidget):
    dataset_requested = QtCore.Signal(str)      # "builtin:NAME", a path, or OPEN_FILE
    dequantizer_requested = QtCore.Signal(str)
    seed_requested = QtCore.Signal(int)
    learning_rate_changed = QtCore.Signal(float)
    batch_size_changed = QtCore.Signal(int)
    speed_changed = QtCore.Signal(float)        # steps/s; inf = as fast as possible
    step_count_changed = QtCore.Signal(int)

    def __init__(self, actions: dict[str, QtGui.QAction], builtins: dict[str, str], parent=None):
        super().__init__(parent)
        self._actions = actions
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self._data_group(builtins))
        layout.addWidget(self._model_group())
        layout.addWidget(self._training_group())
        layout.addWidget(self._buttons())
        self.explanation = QtWidgets.QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(QtCore.Qt.TextFormat.RichText)
        style.set_sheet(self.explanation, "color: #333; background: #f4f4f0; padding: 4px; border-radius: 3px;")
        layout.addWidget(self.explanation)
        layout.addStretch(1)
        self._groups = [w for w in self.findChildren(QtWidgets.QGroupBox)]

    # -- building ----------------------------------------------------------------------
    def _data_group(self, builtins: dict[str, str]) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Data")
        form = QtWidgets.QVBoxLayout(box)
        self.dataset = QtWidgets.QComboBox()
        self.dataset.setToolTip("Choose a built-in dataset, or open a file (also: drag a file onto the window)")
        for name, description in builtins.items():
            self.dataset.addItem(name, f"builtin:{name}")
            self.dataset.setItemData(self.dataset.count() - 1, description, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.dataset.insertSeparator(self.dataset.count())
        self.dataset.addItem("Open file…", OPEN_FILE)
        self.dataset.activated.connect(self._on_dataset_activated)
        self.data_info = QtWidgets.QLabel("")
        self.data_info.setWordWrap(True)
        style.set_sheet(self.data_info, "color: #555;")
        form.addWidget(self.dataset)
        form.addWidget(self.data_info)
        return box

    def _model_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Dequantizer")
        form = QtWidgets.QFormLayout(box)
        self.dequantizer = QtWidgets.QComboBox()
        for name, tip in DEQUANTIZERS:
            self.dequantizer.addItem(name, name)
            self.dequantizer.setItemData(self.dequantizer.count() - 1, tip, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.dequantizer.setToolTip("\n".join(tip for _, tip in DEQUANTIZERS))
        self.dequantizer.activated.connect(self._on_dequantizer_activated)
        self.seed = QtWidgets.QSpinBox()
        self.seed.setRange(0, SEED_MAX)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip("Random seed of the model's initial weights, the batches and the noise")
        self.seed.valueChanged.connect(self.seed_requested)
        form.addRow("r(u|x)", self.dequantizer)
        form.addRow("seed", self.seed)
        self._advanced_rows = [(form, self.seed)]
        return box

    def _training_group(self) -> QtWidgets.QGroupBox:
        box = QtWidgets.QGroupBox("Training (applies live)")
        form = QtWidgets.QFormLayout(box)
        self.learning_rate = LogSpinBox(*LEARNING_RATE_RANGE)
        self.learning_rate.setToolTip("Adam learning rate; arrows halve/double it. Applies at the next step.")
        self.learning_rate.valueChanged.connect(self.learning_rate_changed)
        self.batch_size = PowerOfTwoSpinBox(1, BATCH_SIZE_MAX)
        self.batch_size.setToolTip("Examples per step; arrows halve/double it. Applies at the next step.")
        self.batch_size.valueChanged.connect(self.batch_size_changed)
        self.speed = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setValue(len(SPEEDS) - 1)
        self.speed.setToolTip("Slow training down to a few steps per second to watch each step")
        self.speed.valueChanged.connect(self._on_speed_moved)
        self.speed_label = QtWidgets.QLabel()
        self._on_speed_moved(self.speed.value())
        form.addRow("learning rate", self.learning_rate)
        form.addRow("batch size", self.batch_size)
        form.addRow("speed", self.speed)
        # Across both columns: under the slider's column it set the panel's width at
        # presentation fonts (the plots lost 60 px at 1280 wide).
        self.speed_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignRight)
        form.addRow(self.speed_label)
        self._advanced_rows.append((form, self.batch_size))
        return box

    def _buttons(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.play_button = self._button("play")
        self.play_button.setMinimumHeight(34)
        self.step_count = QtWidgets.QSpinBox()
        self.step_count.setRange(1, 100000)
        self.step_count.setValue(100)
        self.step_count.setToolTip("How many steps “Step N” does")
        self.step_count.valueChanged.connect(self.step_count_changed)
        grid.addWidget(self.play_button, 0, 0, 1, 2)
        grid.addWidget(self._button("step"), 1, 0)
        grid.addWidget(self._button("reset"), 1, 1)
        grid.addWidget(self._button("step_n"), 2, 0)
        grid.addWidget(self.step_count, 2, 1)
        return box

    def _button(self, name: str) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton()
        button.setDefaultAction(self._actions[name])
        button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)
        # Space must always reach the Play action, never "click" a focused button.
        button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        return button

    # -- user input --------------------------------------------------------------------
    @QtCore.Slot(int)
    def _on_dataset_activated(self, index: int) -> None:
        self.dataset_requested.emit(self.dataset.itemData(index))

    @QtCore.Slot(int)
    def _on_dequantizer_activated(self, index: int) -> None:
        self.dequantizer_requested.emit(self.dequantizer.itemData(index))

    @QtCore.Slot(int)
    def _on_speed_moved(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText("as fast as possible" if math.isinf(speed) else f"at most {speed:g} steps/s")
        self.speed_changed.emit(float(speed))

    # -- showing the state (never emits) ----------------------------------------------------
    def show_dataset(self, source: str, label: str, description: str, notes=()) -> None:
        index = self.dataset.findData(source)
        if index < 0:  # a file: list it above "Open file…" so it can be chosen again
            index = self.dataset.count() - 1
            self.dataset.insertItem(index, label, source)
            self.dataset.setItemData(index, source, QtCore.Qt.ItemDataRole.ToolTipRole)
        with QtCore.QSignalBlocker(self.dataset):
            self.dataset.setCurrentIndex(index)
        shown = [note if len(note) <= NOTE_CHARS else note[:NOTE_CHARS - 1] + "…" for note in notes if note]
        self._data_text = (description, shown)
        self._show_data_info()
        self.data_info.setToolTip("\n".join([description, *notes]))

    def show_dequantizer(self, name: str) -> None:
        with QtCore.QSignalBlocker(self.dequantizer):
            self.dequantizer.setCurrentIndex(max(0, self.dequantizer.findData(name)))

    def show_seed(self, seed: int) -> None:
        with QtCore.QSignalBlocker(self.seed):
            self.seed.setValue(int(seed))

    def show_settings(self, learning_rate: float, batch_size: int) -> None:
        """Reflect the trainer's values, unless the user is editing that box right now."""
        if not self.learning_rate.hasFocus() and not math.isclose(self.learning_rate.value(), learning_rate):
            with QtCore.QSignalBlocker(self.learning_rate):
                self.learning_rate.setValue(learning_rate)
        if not self.batch_size.hasFocus() and self.batch_size.value() != batch_size:
            with QtCore.QSignalBlocker(self.batch_size):
                self.batch_size.setValue(batch_size)

    def set_advanced_visible(self, visible: bool) -> None:
        """Presentation mode shows only what a lecture uses: data, dequantizer, learning
        rate, speed and the buttons; the seed, the batch size and the data's notes (its
        source, its licence: in the tooltip) come back after it."""
        self._advanced_visible = visible
        for form, field in self._advanced_rows:
            form.setRowVisible(field, visible)
        self._show_data_info()

    def _show_data_info(self) -> None:
        description, notes = getattr(self, "_data_text", ("", []))
        if not getattr(self, "_advanced_visible", True):
            notes = []
        self.data_info.setText("\n".join([description, *(f"• {note}" for note in notes)]))

    def speed_steps_per_s(self) -> float:
        return float(SPEEDS[self.speed.value()])

    def set_font_scale(self, scale: float) -> None:
        self.setFont(style.font(scale))
        for group in self._groups:
            group.setFont(style.font(scale, 1.0, bold=True))
            for child in group.findChildren(QtWidgets.QWidget):
                child.setFont(style.font(scale))
        self.play_button.setFont(style.font(scale, 1.1, bold=True))
        self.explanation.setFont(style.font(scale, 0.9))
