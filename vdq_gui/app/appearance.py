"""How the window looks: the theme (light or dark), presentation mode (large fonts, thick
lines, big markers, high contrast, advanced controls hidden) and full screen.

Changing either restyles what exists instead of rebuilding it: every pen, brush and text
colour of every plot item is mapped from the old look to the new one (``restyle_item``),
so the plots keep their data, ranges and zoom.  This works because every pen and brush is
made through ``vdq_gui.app.style`` (``pen``, ``brush``, ``themed``), which makes it in the
*current* look: an item is always in the look of the moment, and mapping from that look
back to the light colour at width 1 and forward to the new one is exact.

Advanced controls are widgets with the ``ADVANCED`` property (plus the control column's
own form rows); presentation mode hides them and leaving it shows them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import style
from vdq_gui.app.panels.base import PlotPanel
from vdq_gui.app.panels.interaction import BinBand

ADVANCED = style.ADVANCED


@dataclass(frozen=True)
class Look:
    theme: str = "light"
    presentation: bool = False

    @property
    def line_scale(self) -> float:
        return style.PRESENTATION_LINE_SCALE if self.presentation else 1.0


class Appearance(QtCore.QObject):
    """The window's look; its slots are the View menu's theme, presentation and full-screen
    actions (made here, registered in ``window.actions`` so the shortcut list shows them)."""

    changed = QtCore.Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.look = Look(style.theme, False)
        self._light_palette: QtGui.QPalette | None = None
        self._build_actions()
        window.session.runs_changed.connect(self._on_runs_changed)

    # == actions =======================================================================
    def _build_actions(self) -> None:
        window = self.window
        self.theme_group = QtGui.QActionGroup(self)
        for name in style.THEMES:
            action = window._action(f"theme_{name}", f"{name.capitalize()} theme", None,
                                    f"Plots and panels on a {name} background", self._on_theme_action, True)
            action.setData(name)
            self.theme_group.addAction(action)
        window.actions[f"theme_{self.look.theme}"].setChecked(True)
        window._action("full_screen", "Full screen", "F11", "Fill the screen with the window (F11 again: back)",
                       self.set_full_screen, True)

    def add_to_menu(self, view_menu: QtWidgets.QMenu) -> None:
        themes = view_menu.addMenu("Theme")
        themes.menuAction().setStatusTip("Light or dark plots and panels")
        for name in style.THEMES:
            themes.addAction(self.window.actions[f"theme_{name}"])
        view_menu.addAction(self.window.actions["full_screen"])

    @QtCore.Slot(bool)
    def _on_theme_action(self, checked: bool) -> None:
        if checked:
            self.set_theme(self.sender().data())

    # == changing the look ==============================================================
    def set_theme(self, theme: str) -> None:
        if theme not in style.THEMES:
            raise ValueError(f"unknown theme {theme!r}; choose from {', '.join(style.THEMES)}")
        action = self.window.actions[f"theme_{theme}"]
        if not action.isChecked():
            with QtCore.QSignalBlocker(action):
                action.setChecked(True)
        self._apply(Look(theme, self.look.presentation))

    def set_presentation(self, on: bool) -> None:
        """Large fonts (the window's font scale), thick lines and markers, high contrast,
        and the advanced controls hidden; off restores all of it."""
        action = self.window.actions["presentation"]
        if action.isChecked() != on:
            with QtCore.QSignalBlocker(action):
                action.setChecked(on)
        self._apply(Look(self.look.theme, bool(on)))
        self.window.set_font_scale(style.PRESENTATION_SCALE if on else 1.0)

    @QtCore.Slot(bool)
    def set_full_screen(self, on: bool) -> None:
        action = self.window.actions["full_screen"]
        if action.isChecked() != on:
            with QtCore.QSignalBlocker(action):
                action.setChecked(on)
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def _apply(self, new: Look) -> None:
        old = self.look
        if new == old:
            return
        self.look = new
        style.theme, style.line_scale, style.high_contrast = new.theme, new.line_scale, new.presentation
        for view in self.window.findChildren(pg.GraphicsView):
            view.setBackground(style.BACKGROUNDS[new.theme])
            for item in view.scene().items():
                restyle_item(item, old, new)
        # After the items: an axis without a pen of its own draws in the configured colour,
        # which restyle_item read as the old look's.
        pg.setConfigOptions(background=style.BACKGROUNDS[new.theme], foreground=style.FOREGROUNDS[new.theme])
        if new.theme != old.theme:
            self._set_palette(new.theme)
        self._restyle_widgets()
        self._show_advanced(not new.presentation)
        self.changed.emit()

    def _restyle_widgets(self) -> None:
        for widget in self.window.findChildren(QtWidgets.QWidget):
            light = widget.property(style.LIGHT_SHEET)
            if light is not None:
                widget.setStyleSheet(style.css(light))
        for panel in self.window.findChildren(PlotPanel):
            panel.restyle()

    def _set_palette(self, theme: str) -> None:
        app = QtWidgets.QApplication.instance()
        if self._light_palette is None:
            self._light_palette = QtGui.QPalette(app.palette())
        app.setPalette(dark_palette() if theme == "dark" else self._light_palette)

    def _show_advanced(self, visible: bool) -> None:
        for widget in self.window.findChildren(QtWidgets.QWidget):
            if widget.property(ADVANCED):
                widget.setVisible(visible)
        self.window.controls.set_advanced_visible(visible)

    @QtCore.Slot()
    def _on_runs_changed(self) -> None:
        """New panels (compare mode) were made in the current look; their style sheets and
        the advanced widgets in them follow it too."""
        self._restyle_widgets()
        self._show_advanced(not self.look.presentation)


# == items ===============================================================================
def restyle_pen(pen, old: Look, new: Look) -> QtGui.QPen:
    """A pen of the ``old`` look as the ``new`` look draws it (same alpha and style)."""
    pen = QtGui.QPen(pg.mkPen(pen))
    if pen.style() == QtCore.Qt.PenStyle.NoPen:
        return pen
    pen.setColor(_recolour(pen.color(), old, new, fill=False))
    pen.setWidthF(pen.widthF() / old.line_scale * new.line_scale)
    return pen


def restyle_brush(brush, old: Look, new: Look) -> QtGui.QBrush:
    brush = QtGui.QBrush(pg.mkBrush(brush))
    if brush.style() != QtCore.Qt.BrushStyle.NoBrush:
        brush.setColor(_recolour(brush.color(), old, new, fill=True))
    return brush


def _recolour(colour: QtGui.QColor, old: Look, new: Look, fill: bool) -> QtGui.QColor:
    light = style.unthemed(colour, fill=fill, in_theme=old.theme)
    shown = QtGui.QColor(style.themed(light, fill=fill, in_theme=new.theme))
    shown.setAlpha(colour.alpha())
    return shown


def restyle_item(item, old: Look, new: Look) -> None:
    """One graphics item from the ``old`` look to the ``new`` one."""
    parent = item.parentItem()
    if isinstance(item, (pg.PlotCurveItem, pg.ScatterPlotItem)) and isinstance(parent, pg.PlotDataItem):
        return  # drawn with its PlotDataItem's pens: restyled through it
    ratio = new.line_scale / old.line_scale
    if isinstance(item, pg.PlotDataItem):
        opts = item.opts
        if opts.get("pen") is not None:
            item.setPen(restyle_pen(opts["pen"], old, new))
        if opts.get("symbolPen") is not None:
            item.setSymbolPen(restyle_pen(opts["symbolPen"], old, new))
        if opts.get("symbolBrush") is not None:
            item.setSymbolBrush(restyle_brush(opts["symbolBrush"], old, new))
        item.setSymbolSize(opts["symbolSize"] * ratio)
    elif isinstance(item, pg.AxisItem):
        text_pen = restyle_pen(item.textPen(), old, new)
        pen = restyle_pen(item.pen(), old, new)
        item.setPen(pen)
        item.setTextPen(text_pen)  # last: the axis label takes the text pen's colour
    elif isinstance(item, pg.BarGraphItem):
        item.setOpts(pen=restyle_pen(item.opts["pen"], old, new), brush=restyle_brush(item.opts["brush"], old, new))
    elif isinstance(item, pg.InfiniteLine):
        item.setPen(restyle_pen(item.pen, old, new))
    elif isinstance(item, pg.TextItem):
        item.setColor(_recolour(item.color, old, new, fill=False))
        item.fill = restyle_brush(item.fill, old, new)
        item.border = restyle_pen(item.border, old, new)
        item.update()
    elif isinstance(item, pg.LabelItem):
        colour = item.opts.get("color") or style.FOREGROUNDS[old.theme]
        item.setText(item.text, color=_recolour(pg.mkColor(colour), old, new, fill=False).name())
    elif isinstance(item, BinBand):
        item._pen = restyle_pen(item._pen, old, new)
        item._brush = restyle_brush(item._brush, old, new)
        item.update()
    elif isinstance(item, QtWidgets.QGraphicsPathItem):  # FastCurve and other plain paths
        item.setPen(restyle_pen(item.pen(), old, new))
        item.setBrush(restyle_brush(item.brush(), old, new))


def dark_palette() -> QtGui.QPalette:
    """A dark Qt palette for menus, controls and the status bar."""
    role, group = QtGui.QPalette.ColorRole, QtGui.QPalette.ColorGroup
    colours = {
        role.Window: "#25282d", role.WindowText: "#e8e8e8", role.Base: "#1b1d21", role.AlternateBase: "#2c2f34",
        role.ToolTipBase: "#2c2f34", role.ToolTipText: "#e8e8e8", role.Text: "#e8e8e8", role.Button: "#33373d",
        role.ButtonText: "#e8e8e8", role.BrightText: "#ff7a7a", role.Link: "#4aa3df", role.Highlight: "#2f6ea5",
        role.HighlightedText: "#ffffff", role.PlaceholderText: "#8c8c8c", role.Light: "#3d4148",
        role.Midlight: "#363a40", role.Mid: "#2a2d32", role.Dark: "#17191c", role.Shadow: "#0c0d0f",
    }
    palette = QtGui.QPalette()
    for which, colour in colours.items():
        palette.setColor(which, QtGui.QColor(colour))
    for which in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, which, QtGui.QColor("#7a7a7a"))
    return palette
