"""Training ▸ Objective…: what the run minimises and how the loss chart's IW curve is made.

The same choices as vdq-train's ``--objective``, ``--train-samples``, ``--alpha``,
``--r-objective`` and ``--iw-samples`` (vdq_gui.training.config.TrainConfig holds them).
They change what a trainer is, so OK starts a new run (the window asks first when work
would be lost); the dialog only collects values, the window applies them.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from vdq_gui.training.config import TrainConfig

OBJECTIVE_CHOICES = (
    ("elbo", "ELBO: E_r[log q(x+u) − log r(u|x)] (Flow++)"),
    ("iw", "importance-weighted bound with M draws (Burda et al.)"),
    ("renyi", "Rényi-α bound with M draws (between the ELBO and IW)"),
)
R_CHOICES = (
    ("flowpp", "the objective only (r learns in bins that appear in the batches)"),
    ("all-bins", "also towards q(u|x) in every bin (1-D, q held fixed)"),
)
# The window's ranges: more draws per example or per IW evaluation would slow every step
# (or evaluation) far below what a lecture can watch.
TRAIN_SAMPLES_MAX = 256
IW_SAMPLES_MAX = 1024
DEFAULT_TRAIN_SAMPLES = 8  # TrainConfig's default for iw and renyi (None there)


class ObjectiveDialog(QtWidgets.QDialog):
    def __init__(self, config: TrainConfig, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Objective")
        form = QtWidgets.QFormLayout(self)
        self.objective = self._combo(OBJECTIVE_CHOICES, config.objective,
                                     "What training minimises; every choice is a bound on −log P(x)")
        self.train_samples = QtWidgets.QSpinBox()
        self.train_samples.setRange(1, TRAIN_SAMPLES_MAX)
        self.train_samples.setValue(config.train_samples or DEFAULT_TRAIN_SAMPLES)
        self.train_samples.setToolTip("M: draws of u per example for the IW and Rényi objectives "
                                      "(more: a tighter bound, a slower step)")
        self.alpha = QtWidgets.QDoubleSpinBox()
        self.alpha.setRange(0.05, 0.95)
        self.alpha.setSingleStep(0.05)
        self.alpha.setValue(config.alpha)
        self.alpha.setToolTip("α of the Rényi bound: towards 0 it becomes the IW bound, towards 1 the ELBO")
        self.r_objective = self._combo(R_CHOICES, config.r_objective,
                                       "How the learned noise r is trained (1-D variational runs only)")
        self.iw_samples = QtWidgets.QSpinBox()
        self.iw_samples.setRange(1, IW_SAMPLES_MAX)
        self.iw_samples.setValue(config.iw_samples)
        self.iw_samples.setToolTip("M of the IW bound evaluated every few steps: the loss chart's IW-M curve")
        form.addRow("training objective", self.objective)
        form.addRow("draws per example (M)", self.train_samples)
        form.addRow("Rényi α", self.alpha)
        form.addRow("learned r trained on", self.r_objective)
        form.addRow("loss chart: IW bound with M =", self.iw_samples)
        note = QtWidgets.QLabel("OK starts a new run with these settings.")
        note.setStyleSheet("color: #555;")
        form.addRow(note)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.objective.currentIndexChanged.connect(self._enable)
        self._enable()

    def _combo(self, choices, current: str, tip: str) -> QtWidgets.QComboBox:
        combo = QtWidgets.QComboBox()
        for name, description in choices:
            combo.addItem(description, name)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.setToolTip(tip)
        return combo

    @QtCore.Slot()
    def _enable(self) -> None:
        objective = self.objective.currentData()
        self.train_samples.setEnabled(objective != "elbo")
        self.alpha.setEnabled(objective == "renyi")

    def changes(self) -> dict:
        """The TrainConfig fields as chosen (``spec.with_changes(**dialog.changes())``)."""
        objective = self.objective.currentData()
        return {"objective": objective,
                "train_samples": None if objective == "elbo" else self.train_samples.value(),
                "alpha": float(self.alpha.value()),
                "r_objective": self.r_objective.currentData(),
                "iw_samples": self.iw_samples.value()}
