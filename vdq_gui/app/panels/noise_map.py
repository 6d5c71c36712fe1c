"""Panel 2 + 4: the dequantization noise r(u|x) of every bin as a heatmap (bin across,
noise u up), with a colour bar, and under it the gap KL(r(u|x) || q(u|x)) of each bin.

Uniform dequantization paints a flat band (density 1 everywhere); a variational
dequantizer learns to shape the noise like the model's own posterior, and the gap bars
shrink as it does.  For images the rows are pixel values and there are no gap bars.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from vdq_gui.app import style
from vdq_gui.app.panels.axes import LevelAxis, limit_ticks
from vdq_gui.app.panels.base import PlotPanel, fixed_view, own_pens, reserve_label_room, style_plot
from vdq_gui.app.panels.fastcurve import FastCurve, cache_rendering
from vdq_gui.app.panels.interaction import AutoFit, BinBand, ClickToBin, CornerText, Crosshair, Throttle

CAPTION = "one column per bin; uniform noise = 1"
LEGEND = [("band", "#21918c", "colour: noise density r(u|x)"), ("bar", style.GAP, "gap KL(r ‖ q) per bin")]
UNSEEN_ENTRY = ("bar", style.UNSEEN, "bin with no training data")
# Compare mode stacks a panel per run, presentation fonts are large: the legend strip
# must then stay on one line.
SHORT_NAMES = {LEGEND[0][2]: "colour: r(u|x)", LEGEND[1][2]: "gap per bin", UNSEEN_ENTRY[2]: "no training data"}
TOOLTIP = ("Each column is one bin x; going up is the noise u in [0, 1) added to it, "
           "coloured by the density r(u|x) (uniform = 1).\nThe bars below are how far r is "
           "from the model's exact posterior q(u|x): the gap of the bound, per bin.\n"
           "Click a column to see it in detail.")
# Colour-scale tops: the smallest that covers the noise is used, so uniform noise
# (density 1) sits mid-scale whenever possible and the scale changes rarely.
TOP_LEVELS = (2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0)
MIN_TOP_LEVEL = TOP_LEVELS[0]


class NoiseMapPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Noise per bin", CAPTION, TOOLTIP, parent)
        self.header.set_legend(LEGEND)
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.ci.setContentsMargins(2, 2, 2, 2)
        self.set_body(self.widget)
        self.heat_axis = LevelAxis("bottom")
        self.gap_axis = LevelAxis("bottom")
        self.heat = self.widget.addPlot(row=0, col=0, axisItems={"bottom": self.heat_axis})
        self.gap = self.widget.addPlot(row=1, col=0, axisItems={"bottom": self.gap_axis})
        self.widget.ci.layout.setRowStretchFactor(0, 5)
        self._gap_shown = True
        self._build_heatmap()
        self._build_gap_bars()
        self.gap.setXLink(self.heat)
        self._show_gap_plot(True)
        self.crosshair = Crosshair(self.heat, self._describe_heat)
        self.gap_crosshair = Crosshair(self.gap, self._describe_gap, horizontal=False)
        self.heat_clicks = ClickToBin(self.heat, self)
        self.gap_clicks = ClickToBin(self.gap, self)
        self.heat_clicks.clicked.connect(self.bin_clicked)
        self.gap_clicks.clicked.connect(self.bin_clicked)
        self.fit = AutoFit(self.gap)
        self._colour_throttle = Throttle(0.5)
        self._snapshot = None
        self._levels = 0
        self._kind = ""
        self._bound = True
        self._top_level = MIN_TOP_LEVEL
        self._image_shape = None
        self.shared_top: float | None = None  # compare mode: one colour scale for every run
        self.compact, self._compact_legend, self._compact_axis = False, True, True
        self.gap_bars_wanted = True
        self.set_font_scale(1.0)

    def set_compact(self, compact: bool, legend: bool = True, axis: bool = True) -> None:
        """Compare mode stacks one of these per run, so each must spend little height on
        words: without caption, with the legend strip only on the first (``legend``), and
        the heatmap's x axis only where nothing under it has one (``axis``: the gap bars
        carry their own ticks)."""
        self.compact, self._compact_legend, self._compact_axis = compact, legend, axis
        self.header.caption.setVisible(not compact)
        self.header.set_legend(self._legend() if legend or not compact else [])
        self.header.set_legend_beside_title(compact)
        show_axis = not compact or (axis and not self._gap_shown)
        # (setLabel shows the axis again: it comes first.)
        self.heat.setLabel("bottom", "pixel value x" if self._kind == "images" else "x (data value)")
        self.heat.showAxis("bottom", show_axis)
        # The heatmaps share one bin axis: its ticks under the last panel only.
        self.gap.showAxis("bottom", not compact or axis)
        # Stacked, a panel is too short for "noise u" and "gap (bits)" written upwards.
        for plot in (self.heat, self.gap):
            plot.getAxis("left").showLabel(not compact)
        if compact:
            self.heat.getAxis("bottom").showLabel(False)
            self.heat.getAxis("bottom").setHeight(int(22 * self.font_scale))
        self._reserve_label_room()

    def _reserve_label_room(self) -> None:
        """An axis shown or hidden, the gap row shown or not: the room for labels follows."""
        for plot in (self.heat, self.colorbar):
            reserve_label_room(plot, bottom_edge=not self._gap_shown)
        reserve_label_room(self.gap, top_edge=False)

    def _build_heatmap(self) -> None:
        fixed_view(self.heat)
        self.heat.showGrid(x=False, y=False)
        self.heat.setLabel("left", "noise u")
        self.heat.setLabel("bottom", "x (data value)")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.heat.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(0.0, MIN_TOP_LEVEL), colorMap=style.HEATMAP_COLORMAP,
                                        label="r(u|x)", interactive=False, width=16)
        self.colorbar.setImageItem(self.image)
        self.widget.addItem(self.colorbar, row=0, col=1)
        cache_rendering(self.colorbar)
        self.selection = BinBand(style.brush((255, 255, 255, 0)), style.pen("w", 2))
        self.heat.addItem(self.selection)
        self.heat.setYRange(0, 1, padding=0.03)

    def _build_gap_bars(self) -> None:
        fixed_view(self.gap)
        self.gap.setLabel("left", "gap (bits)")
        self.gap.setLabel("bottom", "")
        self.gap.getAxis("bottom").setStyle(showValues=True)
        self.gap_bars = FastCurve(style.pen(style.GAP, 1.2), style.brush(style.GAP, 150), bars=True)
        # Bins the training split never shows: a learned r gets no gradient there and keeps
        # what it started with (amortisation's blind spot), so their gaps are drawn apart.
        self.unseen_bars = FastCurve(style.pen(style.UNSEEN, 1.2), style.brush(style.UNSEEN, 150), bars=True)
        self.gap_selection = BinBand(style.brush(style.SELECTION))
        self.gap_selection.setZValue(-10)
        self.gap.addItem(self.gap_selection)
        self.gap.getViewBox().addItem(self.gap_bars, ignoreBounds=True)
        self.gap.getViewBox().addItem(self.unseen_bars, ignoreBounds=True)
        self.gap_note = CornerText(self.gap, color=style.WARNING)

    def _gap_row_wanted(self) -> bool:
        """In compare mode a run without a bound (none) gives its gap row to the heatmap
        (alone, the empty row says why there is no gap), and so does every stacked panel
        when the window asks (``show_gap_bars``)."""
        if not getattr(self, "_has_gaps", True):
            return False
        return not self.compact or (self._bound and self.gap_bars_wanted)

    def show_gap_bars(self, wanted: bool) -> None:
        """Stacked (compare mode): whether the gap bars get a row under the heatmap.  Three
        runs at presentation fonts leave a heatmap 15 px tall with them: the window drops
        them there (the selected bin and the loss chart still show the gap)."""
        if wanted == self.gap_bars_wanted:
            return
        self.gap_bars_wanted = wanted
        if self._levels:
            self._show_gap_plot(self._gap_row_wanted())
            if self.compact:
                self.set_compact(True, self._compact_legend, self._compact_axis)

    def _show_gap_plot(self, visible: bool) -> None:
        # A hidden item still claims its row in a QGraphicsGridLayout, so the row is also
        # squeezed to nothing.  (Removing the item from the layout and adding it back
        # leaves Qt and Python both owning it: a crash when the panel is destroyed.)
        layout = self.widget.ci.layout
        self.gap.setVisible(visible)
        layout.setRowStretchFactor(1, 2 if visible else 0)
        layout.setRowMaximumHeight(1, 1e6 if visible else 0)
        layout.setRowSpacing(0, 4 if visible else 0)
        self._gap_shown = visible
        self._reserve_label_room()

    # -- drawing ---------------------------------------------------------------------
    def draw(self, snapshot) -> None:
        self._snapshot = snapshot
        if (snapshot.levels, snapshot.kind, snapshot.is_bound) != (self._levels, self._kind, self._bound):
            self._set_levels(snapshot)
        top = self._top_level
        if self.shared_top is not None:
            top = self.shared_top
        elif top is None or self._colour_throttle.due():
            top = self._choose_top_level(snapshot.noise_density)
        # Rows of the image are u, columns are bins: the transpose is a view, not a copy.
        self.image.setImage(snapshot.noise_density.T, levels=(0.0, top), autoLevels=False)
        if self._image_shape != snapshot.noise_density.shape:
            # setRect scales by the current image's size, so it must follow the first
            # setImage of every new shape (before it, pyqtgraph assumes a 1x1 image).
            self._image_shape = snapshot.noise_density.shape
            self.image.setRect(QtCore.QRectF(0, 0, snapshot.levels, 1))
        if top != self._top_level:
            self._top_level = top
            self.colorbar.setLevels((0.0, top))
        if self._gap_shown and snapshot.gap_per_bin is not None:
            self._show_gaps(snapshot, refit=self.fit.due())

    def _show_gaps(self, snapshot, refit: bool) -> None:
        gaps = snapshot.gap_per_bin
        finite = np.isfinite(gaps)
        shown = np.where(finite, gaps, 0.0)
        counts = snapshot.train_counts
        unseen = (counts == 0) if counts is not None and counts.shape == gaps.shape else np.zeros(gaps.shape, bool)
        self.gap_bars.setData(self._bin_edges, np.where(unseen, 0.0, shown))
        self.unseen_bars.setData(self._bin_edges, np.where(unseen, shown, 0.0))
        if bool(unseen.any()) != self._unseen:  # the legend names grey bars only when there are some
            self._unseen = bool(unseen.any())
            if self._compact_legend or not self.compact:
                self.header.set_legend(self._legend())
        if not snapshot.is_bound or not finite.any():
            self.gap_note.set_html("no gap: without noise the objective is not a bound")
        else:
            self.gap_note.set_html("")
        if refit and finite.any():
            self.fit.fit_y(0.0, max(float(np.max(gaps[finite])), 1e-3))

    def _legend(self) -> list:
        if self._kind == "images" or (self.compact and not self.gap_bars_wanted):
            entries = LEGEND[:1]
        else:
            entries = LEGEND + [UNSEEN_ENTRY] if getattr(self, "_unseen", False) else LEGEND
        if self.compact or self.font_scale > 1.2:  # stacked, or presentation fonts
            entries = [(glyph, colour, SHORT_NAMES.get(name, name)) for glyph, colour, name in entries]
        return entries

    def _choose_top_level(self, density: np.ndarray) -> float:
        return choose_top_level(density, self._top_level or MIN_TOP_LEVEL)

    def _set_levels(self, snapshot) -> None:
        self._levels = levels = snapshot.levels
        self._kind = snapshot.kind
        self._bound = snapshot.is_bound
        self._bin_edges = np.arange(levels + 1, dtype=float)
        for axis in (self.heat_axis, self.gap_axis):
            axis.set_units(snapshot.origin, snapshot.value_step)
        self._image_shape = None
        self.heat_clicks.levels = self.gap_clicks.levels = levels
        images = snapshot.kind == "images"
        self.heat.setLabel("bottom", "pixel value x" if images else "x (data value)")
        self.set_title("Noise per pixel value" if images else "Noise per bin")
        self.header.caption.setText("one column per pixel value; uniform noise = 1" if images else CAPTION)
        self._unseen = False
        self.header.set_legend(self._legend())
        self._has_gaps = not images and snapshot.gap_per_bin is not None
        self._show_gap_plot(self._gap_row_wanted())
        if self.compact:
            self.set_compact(True, self._compact_legend, self._compact_axis)
        self.heat.setLimits(xMin=-0.5 * levels, xMax=1.5 * levels, yMin=-0.5, yMax=1.5)
        self.reset_view()

    def reset_view(self) -> None:
        if not self._levels:
            return
        self.fit.reset()
        self.heat.setXRange(0, self._levels, padding=0)
        self.heat.setYRange(0, 1, padding=0.03)
        self._top_level = None  # recomputed on the next frame

    def set_selected_bin(self, level: int) -> None:
        self.selection.setRegion((level, level + 1))
        self.gap_selection.setRegion((level, level + 1))

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        style_plot(self.heat, scale)
        style_plot(self.gap, scale)
        self.gap.getAxis("bottom").setHeight(int(24 * scale))
        if self.compact:
            self.set_compact(True, self._compact_legend, self._compact_axis)
        elif self._levels:
            self.header.set_legend(self._legend())
        self.colorbar.axis.setTickFont(style.font(scale, 0.85))
        limit_ticks(self.colorbar.axis)
        own_pens(self.colorbar.axis)
        self._reserve_label_room()
        # A vertical ColorBarItem keeps its label on its left axis, its ticks on the right.
        self.colorbar.getAxis("left").setLabel("r(u|x)", **{"font-size": style.css_size(scale, 0.9)})
        self.crosshair.set_font_scale(scale)
        self.gap_crosshair.set_font_scale(scale)
        self.gap_note.set_font_scale(scale)

    def highlight_items(self, term: str) -> list:
        # r itself is the heatmap (no pen to thicken): the panel's frame says it.
        return [self.gap_bars, self.unseen_bars] if term == "gap" and self._gap_shown else []

    # -- hover read-out --------------------------------------------------------------
    def _cell(self, x: float, y: float):
        snap = self._snapshot
        if snap is None or not 0 <= x < self._levels or not 0 <= y < 1:
            return None
        column = int(x)
        row = min(int(y * snap.u_grid.size), snap.u_grid.size - 1)
        return snap, column, row

    def _describe_heat(self, x: float, y: float) -> str | None:
        cell = self._cell(x, y)
        if cell is None:
            return None
        snap, column, row = cell
        value = self.heat_axis.value_of(column + 0.5)
        lines = [f"bin {column}  (x = {value:g}),  u = {snap.u_grid[row]:.3f}",
                 f"r(u|x) = {snap.noise_density[column, row]:.3f}"]
        if snap.posterior_density is not None:
            lines.append(f"q(u|x) = {snap.posterior_density[column, row]:.3f}")
        if snap.gap_per_bin is not None and np.isfinite(snap.gap_per_bin[column]):
            lines.append(f"gap = {snap.gap_per_bin[column]:.4f} bits")
        return "<br>".join(lines)

    def _describe_gap(self, x: float, y: float) -> str | None:
        snap = self._snapshot
        if snap is None or snap.gap_per_bin is None or not 0 <= x < self._levels:
            return None
        column = int(x)
        value = self.gap_axis.value_of(column + 0.5)
        text = f"bin {column}  (x = {value:g})<br>gap KL(r‖q) = {snap.gap_per_bin[column]:.4f} bits"
        counts = snap.train_counts
        if counts is not None and column < counts.size:
            text += ("<br>no training data here: r never learnt this bin" if counts[column] == 0
                     else f"<br>{int(counts[column]):,} training values")
        return text


def choose_top_level(density: np.ndarray, fallback: float = MIN_TOP_LEVEL) -> float:
    """Colour range 0..top: the smallest of TOP_LEVELS above almost all cells."""
    finite = density[np.isfinite(density)]
    if not finite.size:
        return fallback
    # The 97th percentile: a few hot cells (sparse pixel histograms) may saturate
    # rather than wash out the whole map.
    want = float(np.percentile(finite, 97))
    return next((top for top in TOP_LEVELS if top >= want), TOP_LEVELS[-1])
