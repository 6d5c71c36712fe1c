"""Axes that keep the model's coordinates but print the user's units.

Every 1-D plot draws in *level* coordinates: bin k covers [k, k+1), so the continuous
density q(y), the bars and the heatmap columns line up exactly.  The labels, however,
should read in the file's own values (origin + k * step), at the bin centres.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtGui


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


def limit_ticks(axis: pg.AxisItem, room_per_label: float = 1.6) -> None:
    """Never more tick labels on a vertical axis than fit: pyqtgraph always labels every
    major tick, so on a short plot (a heatmap in compare mode, presentation fonts) the
    labels run into each other.  The major ticks are thinned to every k-th (kept on
    multiples of the new spacing, so 0 stays) and minor levels are dropped once full."""
    if getattr(axis, "_ticks_limited", False) or axis.orientation not in ("left", "right"):
        return
    axis._ticks_limited = True
    original = axis.tickValues

    def tick_values(min_value, max_value, size):
        levels = original(min_value, max_value, size)
        font = axis.style.get("tickFont") or axis.font()
        room = max(2, int(size // (QtGui.QFontMetricsF(font).height() * room_per_label)))
        kept, count = [], 0
        for spacing, values in levels:
            values = list(values)
            if not kept:
                if len(values) > room and spacing > 0:
                    low, high = sorted((min_value * axis.scale, max_value * axis.scale))
                    spacing, values = _sparser(spacing, values, room, low, high)
                kept.append((spacing, values))
                count = len(values)
            elif count + len(values) <= room:
                kept.append((spacing, values))
                count += len(values)
            else:
                break
        return kept

    axis.tickValues = tick_values


def _sparser(spacing: float, values: list, room: int, low: float, high: float) -> tuple[float, list]:
    """The first round spacing (1, 2 or 5 times a power of ten) above ``spacing`` with at
    least two and at most ``room`` multiples in [low, high]: 0, 0.5, 1 rather than 0, 0.6."""
    exponent = math.floor(math.log10(spacing))
    for power in range(exponent, exponent + 4):
        for mantissa in (1, 2, 5):
            wider = mantissa * 10.0 ** power
            if wider <= spacing * 1.0001:
                continue
            first = math.ceil(low / wider - 1e-9)
            last = math.floor(high / wider + 1e-9)
            count = last - first + 1
            if count < 2:  # wider still leaves one label at most: thin the given ticks
                break
            if count <= room:
                return wider, [k * wider for k in range(first, last + 1)]
        else:
            continue
        break
    # Every k-th of the given ticks.  Their spacing stays what it was: pyqtgraph writes
    # the labels with as many decimals as the spacing needs (3.5 must not read "4").
    step = max(1, math.ceil(len(values) / room))
    return spacing, values[::step]
