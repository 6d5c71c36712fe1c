"""Help ▸ Keyboard shortcuts: every shortcut of the window, read from its actions when the
dialog opens, so the list cannot go stale when an action is added or rebound.

``python -m vdq_gui.app.shortcuts`` prints the same list as a Markdown table (the README's).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


def shortcut_rows(window: QtWidgets.QWidget, native: bool = True) -> list[tuple[str, str, str]]:
    """(keys, command, what it does) for every action of ``window`` with a shortcut, in
    the order the actions were made; each action once.  ``native``: keys as this platform
    writes them (⌘ on a Mac), else portably (the README's)."""
    form = QtGui.QKeySequence.SequenceFormat
    rows, seen = [], set()
    for action in window.findChildren(QtGui.QAction):
        keys = [s.toString(form.NativeText if native else form.PortableText) for s in action.shortcuts()]
        if not keys or id(action) in seen:
            continue
        seen.add(id(action))
        # "▶ Play" reads "Play": the glyph is the button's state, not the command's name.
        command = action.text().replace("&", "").replace("…", "").lstrip("▶❚ ").strip()
        rows.append((", ".join(keys), command, action.statusTip() or action.toolTip()))
    return rows


def markdown_table(rows) -> str:
    lines = ["| Keys | Command | What it does |", "|---|---|---|"]
    lines += [f"| {keys} | {command} | {tip} |" for keys, command, tip in rows]
    return "\n".join(lines)


class ShortcutsDialog(QtWidgets.QDialog):
    def __init__(self, window: QtWidgets.QWidget):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QtWidgets.QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Keys", "Command", "What it does"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        for row, values in enumerate(rows):
            for column, text in enumerate(values):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 0:
                    item.setFont(QtGui.QFont(item.font().family(), -1, QtGui.QFont.Weight.Bold))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(min(900, 60 + self.table.horizontalHeader().length()), 520)

    def listed_keys(self) -> list[str]:
        return [self.table.item(row, 0).text() for row in range(self.table.rowCount())]


def show_shortcuts(window: QtWidgets.QWidget) -> ShortcutsDialog:
    """Open the list (not modal: it may stay open beside the window while one learns)."""
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setFont(window.font())
    dialog.show()
    return dialog


def main() -> int:
    """Print the window's shortcuts as the Markdown table of the README."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from vdq_gui.app import style
    from vdq_gui.app.window import MainWindow
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.loop import RunSpec

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    style.configure_pyqtgraph()
    window = MainWindow(RunSpec.of(load_data("builtin:bimodal")))
    print(markdown_table(shortcut_rows(window, native=False)))
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
