"""Discrete datasets and the readers that turn files into them (no Qt)."""

from vdq_gui.data.builtin import builtin_names
from vdq_gui.data.dataset import DataError, DiscreteData
from vdq_gui.data.loaders import FilePreview, load_data, preview_file

__all__ = ["DataError", "DiscreteData", "FilePreview", "builtin_names", "load_data", "preview_file"]
