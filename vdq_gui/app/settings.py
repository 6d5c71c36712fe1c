"""What the window remembers between launches (QSettings): its geometry and state, the
theme, presentation mode, and the last settings (dataset source, dequantizer, learning
rate and batch size per kind of data, speed).

Restored at launch unless the command line says otherwise (``--theme dark`` wins over a
remembered light theme); saved when the window closes.  Automation runs (``--screenshot``,
and the other ``--export``-like flags) neither read nor write them, so a screenshot is the
same on every machine.

The store is an INI file in the user's configuration folder (QSettings' own choice per
platform), or ``$VDQ_GUI_SETTINGS_DIR/vdq-gui.ini`` (tests point it at a temporary
folder).  Every value read is checked: a hand-edited or stale file is ignored value by
value, never trusted.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6 import QtCore

ORGANISATION = "vdq-gui"
APPLICATION = "vdq-gui"
SETTINGS_DIR_VARIABLE = "VDQ_GUI_SETTINGS_DIR"
FILE_NAME = "vdq-gui.ini"
# Command-line options that, given, make the run an automation run (other helpers' flags
# are looked up by name, so a front that lacks one still works).
AUTOMATION_OPTIONS = ("screenshot", "export", "record")
THEMES = ("light", "dark")  # as vdq_gui.app.style.THEMES (no Qt widgets imported here)
logger = logging.getLogger("vdq_gui.settings")


def open_store() -> QtCore.QSettings:
    folder = os.environ.get(SETTINGS_DIR_VARIABLE)
    if folder:
        return QtCore.QSettings(str(Path(folder) / FILE_NAME), QtCore.QSettings.Format.IniFormat)
    return QtCore.QSettings(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                            ORGANISATION, APPLICATION)


def is_automation(args: argparse.Namespace) -> bool:
    return any(getattr(args, name, None) for name in AUTOMATION_OPTIONS)


@dataclass
class Remembered:
    """The values read back, each None when absent or invalid."""

    theme: str | None = None
    presentation: bool | None = None
    data: str | None = None
    dequantizer: str | None = None
    speed: int | None = None
    learning_rate: dict = field(default_factory=dict)  # data kind -> value
    batch_size: dict = field(default_factory=dict)
    geometry: QtCore.QByteArray | None = None
    state: QtCore.QByteArray | None = None


def read(store: QtCore.QSettings | None = None) -> Remembered:
    from vdq_gui.models.names import DEQUANTIZERS

    store = store or open_store()
    got = Remembered()
    got.theme = _choice(store.value("view/theme"), THEMES)
    got.presentation = _flag(store.value("view/presentation"))
    got.dequantizer = _choice(store.value("training/dequantizer"), DEQUANTIZERS)
    got.data = _source(store.value("data/source"))
    got.speed = _number(store.value("training/speed"), int, 0, 100)
    for kind in ("1d", "images"):
        lr = _number(store.value(f"training/{kind}/learning_rate"), float, 1e-6, 100.0)
        batch = _number(store.value(f"training/{kind}/batch_size"), int, 1, 8192)
        if lr is not None:
            got.learning_rate[kind] = lr
        if batch is not None:
            got.batch_size[kind] = batch
    for name in ("geometry", "state"):
        value = store.value(f"window/{name}")
        if isinstance(value, QtCore.QByteArray) and not value.isEmpty():
            setattr(got, name, value)
    return got


def save(window, store: QtCore.QSettings | None = None) -> None:
    """Remember the window's look, geometry and settings."""
    store = store or open_store()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/state", window.saveState())
    store.setValue("view/theme", window.appearance.look.theme)
    store.setValue("view/presentation", bool(window.appearance.look.presentation))
    spec = window.spec
    if not window.session.compare:  # a compared run's dequantizer is not "the" choice
        store.setValue("training/dequantizer", spec.dequantizer)
    source = spec.data.source
    if _source(source) is not None:
        store.setValue("data/source", str(source))
    kind = spec.data.kind
    controls = window.controls
    store.setValue(f"training/{kind}/learning_rate", float(controls.learning_rate.value()))
    store.setValue(f"training/{kind}/batch_size", int(controls.batch_size.value()))
    store.setValue("training/speed", int(controls.speed.value()))
    store.sync()
    if store.status() != QtCore.QSettings.Status.NoError:
        logger.warning("could not save the settings to %s (%s)", store.fileName(), store.status())


# == launch: command line first, then what was remembered ===============================
def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The ``dest`` of every option the command line gives explicitly (a default is not
    a choice: a remembered value may replace it)."""
    saved = {action: action.default for action in parser._actions}
    try:
        for action in saved:
            action.default = argparse.SUPPRESS
        given, _ = parser.parse_known_args(argv)
    finally:
        for action, default in saved.items():
            action.default = default
    return set(vars(given))


class Launch:
    """Remembered settings for one launch of the window: ``args`` as parsed, ``given``
    the options the command line set.  In automation runs it is inert."""

    def __init__(self, args: argparse.Namespace, given: set[str]):
        self.args, self.given = args, given
        self.enabled = not is_automation(args)
        self.remembered = read() if self.enabled else Remembered()
        self.data_remembered = False
        got = self.remembered
        if got.dequantizer and "dequantizer" not in given and not getattr(args, "compare", None):
            args.dequantizer = got.dequantizer
        if got.data and "data" not in given:
            args.data = got.data
            self.data_remembered = True

    def load(self, load_data, options: dict, default: str):
        """The data: the remembered source if it still loads, else the command line's."""
        if self.data_remembered:
            try:
                return load_data(self.args.data)
            except Exception as error:  # a remembered file that is gone or broken: forget it
                logger.warning("remembered data %s does not load (%s); using %s", self.args.data, error, default)
                self.args.data = default
        return load_data(self.args.data, **options)

    def fill_training(self, kind: str) -> None:
        """Learning rate and batch size remembered for this kind of data (1-D values are
        wrong for images and vice versa)."""
        args = self.args
        if "learning_rate" not in self.given and kind in self.remembered.learning_rate:
            args.learning_rate = self.remembered.learning_rate[kind]
        if "batch_size" not in self.given and kind in self.remembered.batch_size:
            args.batch_size = self.remembered.batch_size[kind]

    def restore(self, window) -> None:
        """Geometry, look and speed onto the built window; then remember it at close."""
        got, given = self.remembered, self.given
        theme = getattr(self.args, "theme", None) if "theme" in given else got.theme
        if theme:
            window.appearance.set_theme(theme)
        if "presentation" in given:
            window.appearance.set_presentation(bool(self.args.presentation))
        elif got.presentation:
            window.appearance.set_presentation(True)
        if got.speed is not None:
            window.controls.speed.setValue(got.speed)
        if "size" not in given and got.geometry is not None:
            window.restoreGeometry(got.geometry)
            if got.state is not None:
                window.restoreState(got.state)
        if self.enabled:
            window.installEventFilter(SaveOnClose(window))


class SaveOnClose(QtCore.QObject):
    """Saves the settings when the window closes (an event filter: no code in the window)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.Close and watched is self.parent():
            try:
                save(watched)
            except Exception:  # never keep the window from closing
                logger.exception("could not save the settings")
        return False


# == checking what was read ===============================================================
def _choice(value, choices) -> str | None:
    return value if isinstance(value, str) and value in choices else None


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _number(value, kind, low, high):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number if low <= number <= high else None


def _source(value) -> str | None:
    """A source worth reopening: a built-in, or a file or folder that still exists."""
    if not isinstance(value, str) or not value:
        return None
    if value.startswith("builtin:"):
        from vdq_gui.data.builtin import builtin_names

        return value if value[len("builtin:"):] in builtin_names() else None
    return value if Path(value).exists() else None
