"""Curves that Qt paints in C++, and caching for items that rarely change.

While training runs, the GUI thread shares the GIL with the training thread: every
millisecond of Python spent painting is a millisecond the trainer waits.  pyqtgraph's
PlotDataItem repaints through several Python methods per curve per frame; a
QGraphicsPathItem holding a prebuilt path is painted by Qt alone.  Building the path is one
vectorised numpy call per frame.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

EMPTY = np.zeros(0)


class FastCurve(QtWidgets.QGraphicsPathItem):
    """A line through (x, y), or with ``bars=True`` filled bars over bin edges x (len(y)+1),
    like pyqtgraph's stepMode="center" with fillLevel=0.  ``getData()`` returns what was set."""

    def __init__(self, pen: QtGui.QPen, brush: QtGui.QBrush | None = None, bars: bool = False):
        super().__init__()
        self.setPen(pen)
        self.setBrush(brush if brush is not None else QtGui.QBrush(QtCore.Qt.BrushStyle.NoBrush))
        self._bars = bars
        self._x, self._y = EMPTY, EMPTY

    def setData(self, x, y) -> None:  # noqa: N802 (pyqtgraph's name)
        self._x = np.asarray(x, dtype=float)
        self._y = np.asarray(y, dtype=float)
        if self._y.size == 0:
            self.setPath(QtGui.QPainterPath())
        elif self._bars:
            self.setPath(bar_outline(self._x, self._y))
        else:
            self.setPath(pg.arrayToQPath(self._x, self._y, connect="finite"))

    def getData(self):  # noqa: N802
        return self._x, self._y


def bar_outline(edges: np.ndarray, heights: np.ndarray) -> QtGui.QPainterPath:
    """The closed outline of bars [edges[k], edges[k+1]] x [0, heights[k]]."""
    xs = np.concatenate([[edges[0]], np.repeat(edges, 2)[1:-1], [edges[-1]]])
    ys = np.concatenate([[0.0], np.repeat(heights, 2), [0.0]])
    path = pg.arrayToQPath(xs, ys, connect="all")
    path.closeSubpath()
    return path


def cache_rendering(item: QtWidgets.QGraphicsItem) -> None:
    """Paint ``item`` once into a pixmap and blit it until it changes (axes, static bars):
    a repaint of the plot around it then costs no Python at all."""
    item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
