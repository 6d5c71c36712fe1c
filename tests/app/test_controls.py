"""Every control the user can touch explains itself: a tooltip on each widget of the control
column, the plots' toggles and the timeline, and a tooltip or status tip on every action."""

import pyqtgraph as pg
import pytest
from PySide6 import QtGui, QtWidgets

from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec

CONTROLS = (QtWidgets.QAbstractButton, QtWidgets.QComboBox, QtWidgets.QAbstractSpinBox, QtWidgets.QSlider,
            QtWidgets.QLineEdit)


@pytest.fixture
def window(qtbot, keep, dialog_log):
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), compare=["uniform", "variational"],
                          worker_factory=TrainingWorker))
    yield win
    win.close()


def user_controls(root):
    for widget in root.findChildren(QtWidgets.QWidget):
        if not isinstance(widget, CONTROLS):
            continue
        parent = widget.parentWidget()
        if isinstance(parent, (QtWidgets.QAbstractSpinBox, QtWidgets.QComboBox, QtWidgets.QScrollBar)):
            continue  # a spin box's own line edit, a combo's popup: parts of a control
        if isinstance(widget, QtWidgets.QAbstractButton) and isinstance(parent, QtWidgets.QTabBar):
            continue  # a tab bar's scroll arrows
        yield widget


def tip(widget) -> str:
    if isinstance(widget, QtWidgets.QToolButton) and widget.defaultAction() is not None:
        return widget.defaultAction().toolTip()
    return widget.toolTip()


def test_every_control_has_a_tooltip(window):
    found = list(user_controls(window.centralWidget()))
    assert len(found) >= 12  # dataset, dequantizer, seed, rates, speed, buttons, toggles, timeline
    missing = [f"{type(w).__name__} {w.objectName() or w.text() if hasattr(w, 'text') else ''}"
               for w in found if not tip(w).strip()]
    assert not missing, f"no tooltip: {missing}"


def test_every_tab_has_a_tooltip(window):
    for tabs in window.findChildren(QtWidgets.QTabWidget):
        for index in range(tabs.count()):
            assert tabs.tabToolTip(index), tabs.tabText(index)


def test_every_action_says_what_it_does(window):
    # (pyqtgraph's own "Export..." entry of each plot's context menu is pyqtgraph's to explain.)
    actions = [a for a in window.findChildren(QtGui.QAction) if not a.isSeparator() and a.menu() is None
               and not isinstance(a.parent(), pg.GraphicsScene)]
    assert len(actions) >= len(window.actions)
    missing = [a.text() for a in actions if not a.statusTip().strip()]
    assert not missing, f"no status tip: {missing}"
    for action in window.actions.values():
        assert action.toolTip().strip() and action.toolTip() != action.text()
