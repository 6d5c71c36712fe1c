"""Discrete datasets and the readers that turn files into them (no Qt)."""

from vdq_gui.data.dataset import DataError, DiscreteData

__all__ = ["DataError", "DiscreteData"]
