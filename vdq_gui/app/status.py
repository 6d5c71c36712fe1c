"""The status bar: step, speed, current bits/dim, training time and the dataset, in fixed
slots so the numbers do not jump around while they change 30 times a second."""

from __future__ import annotations

import math

from PySide6 import QtWidgets

from vdq_gui.app import style


class TrainingStatus:
    def __init__(self, bar: QtWidgets.QStatusBar):
        self.bar = bar
        self.step = self._slot("step —", "Training steps done", 110)
        self.speed = self._slot("", "Measured training speed", 120)
        self.bits = self._slot("", "Latest training bound in bits per dimension (lower is better)", 170)
        self.elapsed = self._slot("", "Time spent training (excluding pauses)", 90)
        self.dataset = self._slot("", "The dataset being modelled", 0)
        self._last = None

    def _slot(self, text: str, tip: str, min_width: int) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel(text)
        label.setToolTip(tip)
        if min_width:
            label.setMinimumWidth(min_width)
        self.bar.addPermanentWidget(label, 0 if min_width else 1)
        return label

    def show_snapshot(self, snapshot, running: bool, runs: int = 1) -> None:
        """``runs`` > 1: compare mode; the speed is each run's (they go in lockstep)."""
        values = (snapshot.step, round(snapshot.steps_per_s) if running else -1,
                  snapshot.metrics.get("bound_bpd"), int(snapshot.elapsed_s))
        if values == self._last:
            return  # setText re-lays out the bar: skip when nothing visible changed
        self._last = values
        self.step.setText(f"step {snapshot.step:,}")
        speed = snapshot.steps_per_s
        each = " each" if runs > 1 else ""
        self.speed.setText(f"{speed:,.0f} steps/s{each}" if running and math.isfinite(speed) and speed > 0
                           else "paused")
        bound = snapshot.metrics.get("bound_bpd")
        label = "bits/dim" if snapshot.is_bound else "bits/dim (no bound)"
        self.bits.setText(f"{bound:.4f} {label}" if bound is not None and math.isfinite(bound) else "")
        self.elapsed.setText(format_duration(snapshot.elapsed_s))

    def show_dataset(self, text: str) -> None:
        self.dataset.setText(text)

    def show_paused(self) -> None:
        self._last = None
        self.speed.setText("paused")

    def set_font_scale(self, scale: float) -> None:
        for label in (self.step, self.speed, self.bits, self.elapsed, self.dataset):
            label.setFont(style.font(scale, 0.95))
        self.bar.setFont(style.font(scale, 0.95))


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
