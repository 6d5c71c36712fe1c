"""The window and both command lines offer every registered dequantizer."""

from PySide6 import QtGui

from vdq_gui.app.controls import ControlPanel
from vdq_gui.app.main import parse_args
from vdq_gui.cli import build_parser
from vdq_gui.models.names import DEQUANTIZERS


def test_the_combo_offers_every_registered_dequantizer(keep):
    actions = {name: QtGui.QAction(name) for name in ("step", "reset", "step_n", "play")}
    panel = keep(ControlPanel(actions, {"bimodal": "bimodal"}))
    offered = {panel.dequantizer.itemData(i) for i in range(panel.dequantizer.count())}
    assert offered == set(DEQUANTIZERS) and "logit-normal" in offered


def test_both_command_lines_take_logit_normal():
    assert parse_args(["--dequantizer", "logit-normal"]).dequantizer == "logit-normal"
    assert build_parser().parse_args(["--data", "x", "--out", "y", "--dequantizer", "logit-normal"]).dequantizer == \
        "logit-normal"
