"""Axes that keep the model's coordinates but print the user's units.

Every 1-D plot draws in *level* coordinates: bin k covers [k, k+1), so the continuous
density q(y), the bars and the heatmap columns line up exactly.  The labels, however,
should read in the file's own values (origin + k * step), at the bin centres.
"""

from __future__ import annotations

import pyqtgraph as pg


def bin_label(level: int, origin: float, value_step: float, what: str = "bin") -> str:
    """'bin 9' for plain integer data, 'bin 9 (x = 0.9)' when levels stand for other values."""
    if origin == 0 and value_step == 1:
        return f"{what} {level}"
    return f"{what} {level} (x = {origin + level * value_step:g})"


class LevelAxis(pg.AxisItem):
    """An axis whose position p is labelled with the value origin + (p - 0.5) * step.

    Position k + 0.5 (the centre of bin k) thus reads as the value of level k.
    """

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        self._origin = 0.0
        self._step = 1.0

    def set_units(self, origin: float, step: float) -> None:
        self._origin = float(origin)
        self._step = float(step) if step else 1.0
        self.picture = None  # force the tick text to be regenerated
        self.update()

    def value_of(self, position: float) -> float:
        return self._origin + (position - 0.5) * self._step

    def position_of(self, value: float) -> float:
        return (value - self._origin) / self._step + 0.5

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's name)
        lo, hi = sorted((self.value_of(minVal), self.value_of(maxVal)))
        step = abs(self._step)
        ticks = []
        for spacing, values in super().tickValues(lo, hi, size):
            # Never put a tick between two bin centres: levels are discrete.
            if spacing < step * 0.999:
                continue
            ticks.append((spacing / step, [self.position_of(v) for v in values]))
        return ticks or [(1.0, [])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        step = abs(self._step)
        return super().tickStrings([self.value_of(p) for p in values], scale, spacing * step)
