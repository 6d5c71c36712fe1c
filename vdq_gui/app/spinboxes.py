"""Spin boxes that step the way the quantities they hold want to be stepped."""

from __future__ import annotations

import math

from PySide6 import QtGui, QtWidgets


class LogSpinBox(QtWidgets.QDoubleSpinBox):
    """For a learning rate: arrows multiply or divide by 2 (a rate lives on a log scale),
    and the text reads 0.001 or 3e-05 rather than 0.00100."""

    FACTOR = 2.0

    def __init__(self, minimum: float = 1e-6, maximum: float = 1.0, parent=None):
        super().__init__(parent)
        self.setDecimals(10)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)  # valueChanged on Enter/arrows, not per keystroke

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt's name)
        self.setValue(self.value() * self.FACTOR ** steps)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            return QtGui.QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum() and math.isfinite(value)
        return (QtGui.QValidator.State.Acceptable if ok else QtGui.QValidator.State.Intermediate), text, pos


class PowerOfTwoSpinBox(QtWidgets.QSpinBox):
    """For a batch size: arrows double or halve; any value can still be typed."""

    def __init__(self, minimum: int = 1, maximum: int = 8192, parent=None):
        super().__init__(parent)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            value = value * 2 if steps > 0 else max(1, value // 2)
        self.setValue(value)
