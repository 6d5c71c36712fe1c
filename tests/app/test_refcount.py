"""Regression guard for the PySide6-Essentials 6.12.0 fault on Python 3.11: it
over-releases references to None and True while painting and emitting signals, so their
reference counts fall until the interpreter aborts ("Fatal Python error: none_dealloc").
On a sound build (we pin 6.11.3) the counts do not fall."""

import sys

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

ROUNDS = 3000
TOLERANCE = 200  # caches may take or drop a few references; the fault loses ~1 per round


class Emitter(QtCore.QObject):
    fired = QtCore.Signal(object)
    flag = QtCore.Signal(bool)


class Receiver(QtCore.QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    @QtCore.Slot(object)
    def on_fired(self, value):
        self.count += 1

    @QtCore.Slot(bool)
    def on_flag(self, value):
        self.count += 1


def test_painting_and_signals_keep_none_and_true_alive(keep):
    plot = keep(pg.PlotWidget())
    curve = plot.plot()
    plot.resize(320, 240)
    plot.show()
    emitter, receiver = Emitter(), Receiver()
    emitter.fired.connect(receiver.on_fired)
    emitter.flag.connect(receiver.on_flag)
    data = np.random.default_rng(0).standard_normal((8, 200)).cumsum(axis=1)

    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(ROUNDS):
        curve.setData(data[i % 8])
        if i % 3 == 0:  # a real paint every few rounds: paints are what leaked
            plot.viewport().repaint()
        emitter.fired.emit(None)
        emitter.flag.emit(True)
        if i % 50 == 0:
            QtCore.QCoreApplication.processEvents()
    none_change = sys.getrefcount(None) - none_before
    true_change = sys.getrefcount(True) - true_before

    assert receiver.count == 2 * ROUNDS
    assert none_change > -TOLERANCE, f"refcount of None fell by {-none_change}: broken PySide6 build"
    assert true_change > -TOLERANCE, f"refcount of True fell by {-true_change}: broken PySide6 build"
