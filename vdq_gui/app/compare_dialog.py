"""View ▸ Compare…: choose the dequantizers to train side by side (one: a single run)."""

from __future__ import annotations

from PySide6 import QtWidgets

from vdq_gui.app.session import MAX_RUNS


def dequantizer_names() -> tuple[str, ...]:
    """The registry's names (any dequantizer added to ``models.dequantizers`` shows up).
    Torch is loaded by now: the first run built its model before anyone opens this dialog."""
    from vdq_gui.models.dequantizers import DEQUANTIZERS

    return tuple(DEQUANTIZERS)


class CompareDialog(QtWidgets.QDialog):
    def __init__(self, current: list[str], names=None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare dequantizers")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel(
            f"Train up to {MAX_RUNS} dequantizers side by side on the same data, seed, split and\n"
            "batches (only r(u|x) differs). Choose one to go back to a single run."))
        self.boxes = {}
        for name in names or dequantizer_names():
            box = QtWidgets.QCheckBox(name)
            box.setChecked(name in current)
            box.toggled.connect(self._update)
            layout.addWidget(box)
            self.boxes[name] = box
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                                  | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    def chosen(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def _update(self, *_) -> None:
        ok = 1 <= len(self.chosen()) <= MAX_RUNS
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def choose_runs(parent, current: list[str]) -> list[str] | None:
    dialog = CompareDialog(current, parent=parent)
    dialog.setFont(parent.font())
    accepted = dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
    chosen = dialog.chosen()
    dialog.deleteLater()
    return chosen if accepted else None
