"""Help ▸ Keyboard shortcuts lists every shortcut the window has (read from its actions),
and the README's table says the same."""

import re
from pathlib import Path

import pytest
from PySide6 import QtGui

from vdq_gui.app.shortcuts import ShortcutsDialog, markdown_table, shortcut_rows, show_shortcuts
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def window(qtbot, keep, dialog_log):
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    yield win
    win.close()


def every_shortcut(win, native=True):
    form = QtGui.QKeySequence.SequenceFormat.NativeText if native else QtGui.QKeySequence.SequenceFormat.PortableText
    return {key.toString(form) for action in win.findChildren(QtGui.QAction) for key in action.shortcuts()}


def test_the_dialog_lists_every_shortcut_of_every_action(window, keep):
    assert {"Space", "F5", "F11", "Ctrl+/"} <= every_shortcut(window, native=False)
    dialog = keep(ShortcutsDialog(window))
    listed = {key.strip() for keys in dialog.listed_keys() for key in keys.split(",")}
    assert listed == every_shortcut(window)
    assert all(dialog.table.item(row, 2).text() for row in range(dialog.table.rowCount()))


def test_a_new_action_shows_up_without_editing_the_list(window, keep):
    window._action("extra", "Something new", "Ctrl+Alt+J", "A test's action", window.reset_views)
    rows = shortcut_rows(window, native=False)
    assert ("Ctrl+Alt+J", "Something new", "A test's action") in rows


def test_help_menu_opens_it(window):
    window.actions["shortcuts"].trigger()
    dialogs = window.findChildren(ShortcutsDialog)
    assert dialogs and dialogs[-1].isVisible()
    assert show_shortcuts(window).table.rowCount() == len(shortcut_rows(window))


def test_the_readme_table_lists_every_shortcut(window):
    """Regenerate the table with ``python -m vdq_gui.app.shortcuts`` when this fails."""
    text = README.read_text(encoding="utf-8")
    table = re.search(r"^\| Keys \| Command \| What it does \|\n(?:\|.*\|\n?)+", text, re.MULTILINE)
    assert table, "README has no shortcut table"
    expected = markdown_table(shortcut_rows(window, native=False))
    assert table.group(0).strip() == expected, "README shortcut table is stale: python -m vdq_gui.app.shortcuts"
