"""Export: one plot or all visible plots as PNG (at a chosen width) and SVG, the plotted data
as CSV, and the session's data tables (vdq_gui.training.tables).

PNGs are the widgets drawn again at a higher pixel ratio (not a screenshot scaled up):
text, lines and symbols stay sharp at 1920 or 3840 pixels.  While drawing for export,
item caches are off (a cached axis would be a blurred screen-resolution pixmap) and
pyqtgraph's export mode is on (scatter symbols as shapes rather than pixmaps).

The plotted data of a panel is read from its drawn items, so a CSV holds exactly what
is on screen (the loss curves decimated and smoothed as drawn), one row per point:
``series,x,y,z`` (z: the value of an image cell at column x, row y; empty for curves).
"""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import figure_svg
from vdq_gui.app.panels.density import DensityPanel
from vdq_gui.app.panels.detail import DetailPanel
from vdq_gui.app.panels.fastcurve import FastCurve
from vdq_gui.app.panels.images import GRIDS, ImageGridPanel
from vdq_gui.app.panels.ladder import LadderPanel
from vdq_gui.app.panels.loss import CURVES, LossPanel
from vdq_gui.app.panels.noise_map import NoiseMapPanel
from vdq_gui.training import tables

DEFAULT_WIDTH = 1920  # a full-HD slide
WIDTHS = (1280, 1920, 3840)  # offered in File > Export figure... (3840: 4K)
MAX_WIDTH = 8000


# == which panels are on screen ==========================================================
def visible_panels(plots) -> list[tuple[str, QtWidgets.QWidget]]:
    """(file stem, panel) of every plot the window shows now, in reading order."""
    names = [run.name for run in plots.session.runs]
    compare = len(names) > 1
    shown = []
    if plots.top_left.currentWidget() is plots.density:
        shown.append(("density", plots.density))
    else:
        shown += [(_stem("images", name, compare), panel) for name, panel in zip(names, plots.image_panels)]
    shown += [(_stem("noise", name, compare), panel) for name, panel in zip(names, plots.noise_panels)]
    shown.append(("loss", plots.loss))
    current = plots.bottom_right.currentWidget()
    shown.append(("ladder" if current is plots.ladder else "detail", current))
    return shown


def _stem(kind: str, run: str, compare: bool) -> str:
    return f"{kind}-{run}" if compare else kind


# == PNG =================================================================================
@contextlib.contextmanager
def drawn_for_export(widgets, ratio: float = 1.0):
    """Caches off and pyqtgraph's export mode on for every plot item under ``widgets``;
    with ``ratio`` > 1 (a PNG drawn finer than the screen) line widths grow with it, since
    Qt draws cosmetic pens in device pixels: curves keep their weight next to the text."""
    items = []
    for widget in widgets:
        for view in [widget, *widget.findChildren(QtWidgets.QGraphicsView)]:
            if isinstance(view, QtWidgets.QGraphicsView) and view.scene() is not None:
                items += view.scene().items()
    modes = [(item, item.cacheMode()) for item in items]
    pens = [(item, pen) for item in items if (pen := _pen_of(item)) is not None] if ratio != 1 else []
    try:
        for item in items:
            item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
            if hasattr(item, "setExportMode"):
                item.setExportMode(True, {"antialias": True})
        for item, pen in pens:
            wider = QtGui.QPen(pen)
            wider.setWidthF(max(pen.widthF(), 1.0) * ratio)
            item.setPen(wider)
        yield
    finally:
        for item, pen in pens:
            item.setPen(pen)
        for item, mode in modes:
            item.setCacheMode(mode)
            if hasattr(item, "setExportMode"):
                item.setExportMode(False)


def _pen_of(item) -> QtGui.QPen | None:
    """The cosmetic pen of a curve, bar outline or line (axes and text keep theirs)."""
    if isinstance(item, QtWidgets.QAbstractGraphicsShapeItem):  # FastCurve, BinBand outlines
        pen = item.pen()
    elif isinstance(item, pg.PlotCurveItem):
        pen = QtGui.QPen(item.opts["pen"])
    elif isinstance(item, pg.InfiniteLine):
        pen = QtGui.QPen(item.pen)
    else:
        return None
    return pen if pen.isCosmetic() and pen.style() != QtCore.Qt.PenStyle.NoPen else None


def render_png(widgets, origin: QtWidgets.QWidget, path: str | Path, width: int = DEFAULT_WIDTH) -> QtGui.QImage:
    """``widgets`` drawn where they are relative to ``origin``, cropped to what they cover,
    as a PNG ``width`` pixels wide (the height keeps the aspect)."""
    rects = [QtCore.QRect(w.mapTo(origin, QtCore.QPoint(0, 0)), w.size()) for w in widgets]
    bounds = rects[0]
    for rect in rects[1:]:
        bounds = bounds.united(rect)
    width = int(min(max(16, width), MAX_WIDTH))
    ratio = width / max(1, bounds.width())
    image = QtGui.QImage(width, max(1, round(bounds.height() * ratio)), QtGui.QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)  # the widgets lay out as on screen, drawn finer
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    try:
        with drawn_for_export(widgets, ratio):
            for widget, rect in zip(widgets, rects):
                widget.render(painter, rect.topLeft() - bounds.topLeft())
    finally:
        painter.end()
    image.setDevicePixelRatio(1.0)
    if path is not None and not image.save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the PNG")
    return image


def panel_png(panel, path, width: int = DEFAULT_WIDTH) -> QtGui.QImage:
    return render_png([panel], panel, path, width)


def figure_png(plots, path, width: int = DEFAULT_WIDTH) -> QtGui.QImage:
    """Every visible plot as one image for a slide."""
    return render_png([panel for _, panel in visible_panels(plots)], plots, path, width)


# == SVG =================================================================================
def _write_text(path, text: str) -> Path:
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


def panel_svg(panel, path) -> Path:
    with drawn_for_export([panel]):
        text = figure_svg.panels_svg([panel], panel, title=panel.header.title.text())
    return _write_text(path, text)


def figure_svg_file(plots, path) -> Path:
    panels = [panel for _, panel in visible_panels(plots)]
    with drawn_for_export(panels):
        text = figure_svg.panels_svg(panels, plots)
    return _write_text(path, text)


# == the plotted data ====================================================================
def plotted_series(panel) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]]:
    """(name, x, y, z) of every visible drawn item of ``panel``: what its CSV holds."""
    series = []

    def add(name, item):
        if item is None or not item.isVisible():
            return
        if isinstance(item, FastCurve):
            x, y = item.getData()
            if item._bars and x.size == y.size + 1:
                x = x[:-1]  # bars: x is where each bar starts (they are one unit wide)
            series.append((name, x, y, None))
        elif isinstance(item, pg.BarGraphItem):
            x = np.asarray(item.opts["x"], dtype=float)
            series.append((name, x, np.asarray(item.opts["height"], dtype=float), None))
        elif isinstance(item, pg.PlotDataItem):
            x, y = item.getData()
            if x is not None and len(x):
                series.append((name, np.asarray(x, float), np.asarray(y, float), None))
        elif isinstance(item, pg.ImageItem) and item.image is not None:
            series.append(_image_series(name, np.asarray(item.image, dtype=float)))

    for name, item in _named_items(panel):
        add(name, item)
    return series


def _image_series(name, image):
    """Row-major image (rows, columns[, channels]) -> one point per cell (grey: channel mean)."""
    if image.ndim == 3:
        image = image.mean(axis=2)
    rows, columns = np.indices(image.shape)
    return name, columns.ravel().astype(float), rows.ravel().astype(float), image.ravel()


def _named_items(panel):
    """The drawn items of each kind of panel, under the names of its legend."""
    if isinstance(panel, DensityPanel):
        runs = panel._run_names or ("",)
        first = f"{runs[0]}: " if len(runs) > 1 else ""
        yield "data P(x) (bars from x)", panel.data_bars
        yield f"{first}model density q(y)", panel.density_curve
        yield f"{first}model P(x)", panel.model_marks
        for name, (curve, marks) in zip(runs[1:], panel._run_items):
            yield f"{name}: model density q(y)", curve
            yield f"{name}: model P(x)", marks
    elif isinstance(panel, NoiseMapPanel):
        yield "r(u|x) (x = bin, y = u row)", panel.image
        if panel._gap_shown:
            yield "gap KL(r || q) bits (bars from x)", panel.gap_bars
            yield "gap of a bin without training data (bars from x)", panel.unseen_bars
    elif isinstance(panel, LossPanel):
        if panel._run_curves:
            for name, curves in zip(panel._names, panel._run_curves):
                for column, item in curves.items():
                    yield f"{name}: {column}", item
        else:
            yield "train bound (raw)", panel.raw_train
            labels = {column: label for column, label, *_ in CURVES}
            for column, item in panel.curves.items():
                yield labels[column], item
    elif isinstance(panel, DetailPanel):
        names = panel._names if len(panel._names) > 1 else ("",)
        prefix = f"{names[0]}: " if len(names) > 1 else ""
        yield f"{prefix}dequantizer r(u|x)", panel.noise
        yield f"{prefix}exact posterior q(u|x)", panel.posterior
        yield "uniform", panel.uniform
        for name, (noise, posterior) in zip(names[1:], panel._run_items):
            yield f"{name}: dequantizer r(u|x)", noise
            yield f"{name}: exact posterior q(u|x)", posterior
    elif isinstance(panel, LadderPanel):
        yield "selected bin: bound - exact (bits; x = rung - 0.19)", panel.bin_bars
        yield "all data: bound - exact (bits/dim; x = rung + 0.19)", panel.all_bars
    elif isinstance(panel, ImageGridPanel):
        for field, title in GRIDS:
            yield title, panel.items[field]


def panel_csv(panel, path) -> Path:
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "x", "y", "z"])
        for name, x, y, z in plotted_series(panel):
            for index in range(len(y)):
                writer.writerow([name, repr(float(x[index])), repr(float(y[index])),
                                 "" if z is None else repr(float(z[index]))])
    return path


def read_panel_csv(path) -> dict[str, np.ndarray]:
    """series name -> (n, 3) array of x, y, z (z NaN for curves): the inverse of panel_csv."""
    rows: dict[str, list] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for name, x, y, z in reader:
            rows.setdefault(name, []).append((float(x), float(y), float(z) if z else np.nan))
    return {name: np.array(points) for name, points in rows.items()}


# == the session's data ==================================================================
def shown_snapshots(plots):
    """The snapshots on screen (the timeline's moment when scrubbing) and the run names."""
    moment = plots.last_moment
    if moment is None:
        return None, []
    return moment.snapshots, [run.name for run in plots.session.runs][:len(moment.snapshots)]


def export_data(plots, directory) -> list[Path]:
    """metrics.csv, noise.csv, density.csv, gaps.csv and tables.npz of what is shown."""
    snapshots, names = shown_snapshots(plots)
    if snapshots is None:
        raise ValueError("nothing to export yet: no model has been drawn")
    return tables.export_tables(directory, snapshots, names)


def export_all(plots, directory, width: int = DEFAULT_WIDTH) -> list[Path]:
    """Everything for the slides and the lecture notes in ``directory``: per visible plot a
    PNG, an SVG and a CSV of its data; the figure of them all (figure.png ``width`` px wide,
    figure.svg); and the data tables."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, panel in visible_panels(plots):
        panel_png(panel, directory / f"{stem}.png", width)
        written += [directory / f"{stem}.png", panel_svg(panel, directory / f"{stem}.svg"),
                    panel_csv(panel, directory / f"{stem}-plotted.csv")]
    figure_png(plots, directory / "figure.png", width)
    written += [directory / "figure.png", figure_svg_file(plots, directory / "figure.svg")]
    return written + export_data(plots, directory)
