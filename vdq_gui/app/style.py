"""Colours, fonts and pens shared by every panel, so the window reads as one piece.

The palette is Okabe-Ito (safe for colour-blind viewers and readable on a washed-out
projector); plots use a white background because dark themes lose contrast on projectors.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtGui

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
EXTRA_RUN_COLOURS = ("#009E73", "#CC79A7", "#E69F00")
RUN_STYLES = {"train_bound": "solid", "val_bound": "dot", "iw_bound": "dash", "exact": "dashdot"}

HEATMAP_COLORMAP = "viridis"   # perceptual, monotone in lightness

BASE_POINT_SIZE = 10           # application font at scale 1
PRESENTATION_SCALE = 1.45      # View > Larger fonts


def configure_pyqtgraph() -> None:
    """Global pyqtgraph options: call once before any plot exists."""
    pg.setConfigOptions(background="w", foreground="k", antialias=True,
                        imageAxisOrder="row-major")


_PEN_STYLES = {"solid": pg.QtCore.Qt.PenStyle.SolidLine, "dash": pg.QtCore.Qt.PenStyle.DashLine,
               "dot": pg.QtCore.Qt.PenStyle.DotLine, "dashdot": pg.QtCore.Qt.PenStyle.DashDotLine}


def pen(color, width: float = 2.0, dashed: bool = False, line: str = "solid") -> QtGui.QPen:
    """A cosmetic pen (width in screen pixels, so zooming never makes lines fat)."""
    p = pg.mkPen(color=color, width=width)
    if dashed or line != "solid":
        p.setStyle(_PEN_STYLES["dash" if dashed else line])
    p.setCosmetic(True)
    return p


def brush(color: str, alpha: int = 255) -> QtGui.QBrush:
    c = QtGui.QColor(color)
    c.setAlpha(alpha)
    return QtGui.QBrush(c)


def font(scale: float, relative: float = 1.0, bold: bool = False) -> QtGui.QFont:
    f = QtGui.QFont()
    f.setPointSizeF(BASE_POINT_SIZE * scale * relative)
    f.setBold(bold)
    return f


def css_size(scale: float, relative: float = 1.0) -> str:
    """A CSS font size for pyqtgraph labels (they take HTML styles, not QFonts)."""
    return f"{BASE_POINT_SIZE * scale * relative:.1f}pt"
