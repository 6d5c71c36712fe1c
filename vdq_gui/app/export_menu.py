"""The export commands in the window: every plot's right-click menu (Export as PNG, SVG,
CSV), File > Export figure... (all visible plots, PNG at a chosen width or SVG) and
File > Export data... (the tables as CSV and NPZ).  ``install(window)`` adds them; the
window needs no other change.

The file choosers are module functions (``ask_save_path`` and friends) so that tests can
answer them, as ``dialogs`` does for message boxes.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import dialogs, export


def ask_save_path(parent, title: str, suggested: str, filters: str) -> str:
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


def ask_directory(parent, title: str) -> str:
    return QtWidgets.QFileDialog.getExistingDirectory(parent, title)


def ask_width(parent, title: str) -> int | None:
    """A PNG width from the usual slide sizes (the height keeps the plots' aspect)."""
    labels = {f"{width} px" + {1920: " (full HD)", 3840: " (4K)"}.get(width, ""): width for width in export.WIDTHS}
    choices = list(labels)
    label, ok = QtWidgets.QInputDialog.getItem(parent, title, "Width of the image:", choices,
                                               choices.index("1920 px (full HD)"), False)
    return labels[label] if ok else None


class PlotMenu(QtWidgets.QMenu):
    """A plot's right-click menu: its exports.  (pyqtgraph's views call setViewList on
    their menu when views are added anywhere; this menu has no view list.)"""

    def __init__(self, panel, plots):
        super().__init__(panel)
        self.panel, self.plots = panel, plots
        for text, tip, slot in (
                ("Export as PNG…", "Save this plot as a PNG, 1920 px wide", self.export_png),
                ("Export as SVG…", "Save this plot as an SVG (titles, axes and legend as text)", self.export_svg),
                ("Export as CSV… (the plotted data)", "Save the values this plot draws as CSV", self.export_csv)):
            action = self.addAction(text)
            action.setStatusTip(tip)
            action.triggered.connect(slot)

    def setViewList(self, views) -> None:  # noqa: N802 (pyqtgraph's name)
        pass

    @property
    def stem(self) -> str:
        """The suggested file name: as --export names this plot (e.g. noise-uniform)."""
        stems = {id(panel): stem for stem, panel in export.visible_panels(self.plots)}
        return stems.get(id(self.panel), type(self.panel).__name__.removesuffix("Panel").lower())

    @QtCore.Slot()
    def export_png(self) -> None:
        path = ask_save_path(self.panel, "Export plot as PNG", f"{self.stem}.png", "PNG image (*.png)")
        if path:
            _report(self.panel, lambda: export.panel_png(self.panel, _with_suffix(path, ".png")), path)

    @QtCore.Slot()
    def export_svg(self) -> None:
        path = ask_save_path(self.panel, "Export plot as SVG", f"{self.stem}.svg", "SVG vector image (*.svg)")
        if path:
            _report(self.panel, lambda: export.panel_svg(self.panel, _with_suffix(path, ".svg")), path)

    @QtCore.Slot()
    def export_csv(self) -> None:
        path = ask_save_path(self.panel, "Export the plotted data as CSV", f"{self.stem}.csv", "CSV table (*.csv)")
        if path:
            _report(self.panel, lambda: export.panel_csv(self.panel, _with_suffix(path, ".csv")), path)


def _with_suffix(path: str, suffix: str) -> Path:
    path = Path(path)
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def _report(parent, work, path) -> bool:
    """Run an export; a failure (a full disk, a folder not writable) gets a dialog."""
    try:
        work()
    except (OSError, ValueError) as error:
        dialogs.show_error(parent, "Export failed", f"{path}: {error}")
        return False
    window = parent.window()
    if isinstance(window, QtWidgets.QMainWindow):
        window.statusBar().showMessage(f"Exported {path}", 5000)
    return True


def install_plot_menus(plots) -> None:
    """Give every panel's plots the export menu (panels made later, for more runs, too)."""
    for panel in plots.panels:
        if getattr(panel, "export_menu", None) is not None:
            continue
        panel.export_menu = menu = PlotMenu(panel, plots)
        for view in panel.findChildren(QtWidgets.QGraphicsView):
            scene = view.scene()
            scene.contextMenu = []  # pyqtgraph's own "Export..." dialog: ours replaces it
            for item in scene.items():
                if isinstance(item, pg.ViewBox):
                    item.menu = menu
                    item.state["enableMenu"] = True  # (setMenuEnabled would make its own menu)


class ExportCommands(QtCore.QObject):
    """File > Export figure... and File > Export data..., with the window's plots."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.figure_action = QtGui.QAction("Export figure…", window)
        self.figure_action.setShortcut(QtGui.QKeySequence("Ctrl+E"))
        self.figure_action.setStatusTip("All visible plots as one figure for slides (PNG or SVG)")
        self.figure_action.triggered.connect(self.export_figure)
        self.data_action = QtGui.QAction("Export data…", window)
        self.data_action.setStatusTip("Metrics, noise r(u|x), density q and gaps as CSV and NPZ")
        self.data_action.triggered.connect(self.export_data)
        for action in (self.figure_action, self.data_action):
            window.addAction(action)

    @QtCore.Slot()
    def export_figure(self) -> None:
        path = ask_save_path(self.window, "Export figure", "vdq-gui-figure.png",
                             "PNG image (*.png);;SVG vector figure (*.svg)")
        if not path:
            return
        plots = self.window.plots
        if Path(path).suffix.lower() == ".svg":
            _report(self.window, lambda: export.figure_svg_file(plots, path), path)
            return
        width = ask_width(self.window, "Export figure as PNG")
        if width:
            _report(self.window, lambda: export.figure_png(plots, _with_suffix(path, ".png"), width), path)

    @QtCore.Slot()
    def export_data(self) -> None:
        directory = ask_directory(self.window, "Export data into a folder")
        if directory:
            _report(self.window, lambda: export.export_data(self.window.plots, directory), directory)

    @QtCore.Slot()
    def on_runs_changed(self) -> None:
        install_plot_menus(self.window.plots)


def install(window) -> ExportCommands:
    """Add the export commands to ``window``'s File menu (before Quit) and to its plots."""
    commands = ExportCommands(window)
    file_menu = window.menus["file"]
    quit_action = window.actions["quit"]
    file_menu.insertAction(quit_action, commands.figure_action)
    file_menu.insertAction(quit_action, commands.data_action)
    file_menu.insertSeparator(quit_action)
    install_plot_menus(window.plots)
    window.session.runs_changed.connect(commands.on_runs_changed)
    return commands

