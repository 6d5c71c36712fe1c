"""Colours, fonts and pens shared by every panel, so the window reads as one piece.

The palette is Okabe-Ito (safe for colour-blind viewers and readable on a washed-out
projector).  Every colour below is the *light* theme's; the dark theme and presentation
mode map them (``themed``, ``LINE_SCALE``) when a pen or brush is made, and
``vdq_gui.app.appearance`` restyles the items that already exist, so nothing is rebuilt.
"""

from __future__ import annotations

import pyqtgraph as pg
import re

from PySide6 import QtGui, QtWidgets

# Okabe-Ito colours, named for what they draw.
DATA = "#56B4E9"        # sky blue: the data histogram
DATA_EDGE = "#2A7FB0"
MODEL = "#0072B2"       # blue: the continuous density q
MODEL_PMF = "#D55E00"   # vermillion: the model's bin masses P(x)
NOISE = "#E69F00"       # orange: the dequantizer r(u|x)
UNIFORM = "#7F7F7F"     # grey: the uniform reference
POSTERIOR = "#009E73"   # green: the exact posterior q(u|x)
GAP = "#CC79A7"         # reddish purple: the gap KL(r || q)
UNSEEN = "#999999"      # grey: a bin the training split never shows
EXACT = "#000000"       # black: the exact -log P(x)
IW = "#009E73"          # green: the importance-weighted bound
VAL = "#E69F00"         # orange: validation bound
RAW_TRAIN = (86, 180, 233, 120)  # the unsmoothed training curve, faint behind the mean
WARNING = "#B00020"     # red text: "not a bound", errors
SELECTION = (230, 159, 0, 45)  # translucent orange band on the selected bin
CROSSHAIR = (90, 90, 90, 160)

# Compare mode: one colour per run, the same in every panel.  The well-known dequantizers
# keep theirs whichever order they are listed in.
RUN_COLOURS = {"uniform": "#0072B2", "variational": "#D55E00", "none": "#555555"}
EXTRA_RUN_COLOURS = ("#009E73", "#CC79A7", "#B8860B")  # (Okabe-Ito orange is too pale on white for a line)
RUN_STYLES = {"train_bound": "solid", "val_bound": "dot", "iw_bound": "dash", "exact": "dashdot"}

HEATMAP_COLORMAP = "viridis"   # perceptual, monotone in lightness

BASE_POINT_SIZE = 10           # application font at scale 1
PRESENTATION_SCALE = 1.45      # View > Presentation mode: fonts
PRESENTATION_LINE_SCALE = 1.8  # ... and lines and markers

# == themes ==============================================================================
THEMES = ("light", "dark")
BACKGROUNDS = {"light": "#ffffff", "dark": "#1b1d21"}
FOREGROUNDS = {"light": "#000000", "dark": "#e8e8e8"}
# Dark theme: the light colours that would vanish on a dark background, and their
# stand-ins.  Both sides are unique (the map must invert: restyling goes back through it),
# and no stand-in is a colour used for something else in the light theme.
DARK_COLOURS = {
    "#000000": "#e8e8e8",   # black lines and text (exact -log P(x), "k")
    "#555555": "#b4b4b4",   # the "none" run, grey captions
    "#444444": "#c2c2c2",   # the timeline marker, line-style legend entries
    "#333333": "#d6d6d6",   # the explanation's text
    "#5a5a5a": "#a9a9a9",   # the crosshair
    "#0072b2": "#4aa3df",   # blue: the density q, the "uniform" run (too dark on black)
    "#b00020": "#ff7a7a",   # warnings
    "#8b0000": "#ff9a8a",   # "showing: step N" while scrubbing, error banners
    "#1d3a63": "#c6dbf7",   # information banner text
    "#3d2f00": "#f2e3b3",   # a lesson's caption text
}
# Fills (brushes, backgrounds in style sheets): white boxes behind text become dark.
DARK_FILLS = {
    "#ffffff": "#26292e",   # read-out and corner-text boxes
    "#f4f4f0": "#2c2f34",   # the explanation's box
    "#eef3fb": "#22314a",   # information banner
    "#fde8e8": "#4a2323",   # error banner
    "#fff4d6": "#3b3322",   # a lesson's caption
}
# Presentation mode (high contrast): grey secondary text in style sheets reads as full
# foreground; lines keep their colours.
SECONDARY_TEXT = ("#555555", "#333333")

theme = "light"          # the current theme: read through themed(), set by appearance
line_scale = 1.0         # pen widths and marker sizes (presentation mode)
high_contrast = False


def themed(colour, fill: bool = False, in_theme: str | None = None) -> str:
    """A light-theme colour as the current theme (or ``in_theme``) shows it, as #rrggbb."""
    name = QtGui.QColor(pg.mkColor(colour)).name()
    if (in_theme or theme) == "dark":
        shown = DARK_FILLS.get(name) if fill else None
        return shown or DARK_COLOURS.get(name, name)
    return name


def unthemed(colour, fill: bool = False, in_theme: str | None = None) -> str:
    """Inverse of ``themed``: the light colour behind one shown in the current theme."""
    name = QtGui.QColor(pg.mkColor(colour)).name()
    if (in_theme or theme) == "dark":
        tables = (DARK_FILLS, DARK_COLOURS) if fill else (DARK_COLOURS,)
        return next((light for table in tables for light, dark in table.items() if dark == name), name)
    return name


_CSS_COLOUR = re.compile(r"(background(?:-color)?|color)\s*:\s*(#[0-9a-fA-F]{3,8})")


def css(sheet: str) -> str:
    """A style sheet written in light-theme colours, as the current theme and contrast show it."""
    def swap(match: re.Match) -> str:
        prop, colour = match.group(1), QtGui.QColor(match.group(2)).name()
        if prop == "color" and high_contrast and colour in SECONDARY_TEXT:
            return f"{prop}: {FOREGROUNDS[theme]}"
        return f"{prop}: {themed(colour, fill=prop != 'color')}"
    return _CSS_COLOUR.sub(swap, sheet)


def set_sheet(widget: QtWidgets.QWidget, sheet: str) -> None:
    """Give ``widget`` a style sheet written in light-theme colours; the appearance module
    re-applies it (from the light version kept here) when the theme or contrast changes."""
    widget.setProperty(LIGHT_SHEET, sheet)
    widget.setStyleSheet(css(sheet))


LIGHT_SHEET = "vdq_light_sheet"
ADVANCED = "vdq_advanced"  # a widget property: hidden in presentation mode


def mark_advanced(widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """Hide ``widget`` in presentation mode (a lecture needs no seed box or curve toggles)."""
    widget.setProperty(ADVANCED, True)
    return widget


def marker(size: float) -> float:
    """A marker size at the current line scale."""
    return size * line_scale


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options: call once before any plot exists."""
    pg.setConfigOptions(background=BACKGROUNDS[theme], foreground=FOREGROUNDS[theme], antialias=True,
                        imageAxisOrder="row-major")


_PEN_STYLES = {"solid": pg.QtCore.Qt.PenStyle.SolidLine, "dash": pg.QtCore.Qt.PenStyle.DashLine,
               "dot": pg.QtCore.Qt.PenStyle.DotLine, "dashdot": pg.QtCore.Qt.PenStyle.DashDotLine}


def pen(color, width: float = 2.0, dashed: bool = False, line: str = "solid") -> QtGui.QPen:
    """A cosmetic pen (width in screen pixels, so zooming never makes lines fat), in the
    current theme's colour and presentation mode's width."""
    shown = QtGui.QColor(pg.mkColor(color))
    alpha = shown.alpha()
    shown = QtGui.QColor(themed(shown))
    shown.setAlpha(alpha)
    p = pg.mkPen(color=shown, width=width * line_scale)
    if dashed or line != "solid":
        p.setStyle(_PEN_STYLES["dash" if dashed else line])
    p.setCosmetic(True)
    return p


def brush(color, alpha: int | None = None) -> QtGui.QBrush:
    """A brush in the current theme's fill colour (``color`` may carry its own alpha)."""
    given = pg.mkColor(color)
    c = QtGui.QColor(themed(given, fill=True))
    c.setAlpha(given.alpha() if alpha is None else alpha)
    return QtGui.QBrush(c)


def font(scale: float, relative: float = 1.0, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSizeF(BASE_POINT_SIZE * scale * relative)
    f.setBold(bold)
    return f


def css_size(scale: float, relative: float = 1.0) -> str:
    """A CSS font size for pyqtgraph labels (they take HTML styles, not QFonts)."""
    return f"{BASE_POINT_SIZE * scale * relative:.1f}pt"
