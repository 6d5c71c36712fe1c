"""The built-in datasets, installed as package data ``vdq_gui.resources`` (this folder is
mapped into the package by pyproject.toml); read them with ``importlib.resources``."""
