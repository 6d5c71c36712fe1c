"""Panel 1 (1-D data): the data's histogram, the learned continuous density q, and the
model's bin masses P(x) = integral of q over the bin.

All three share one y scale: a bin is one unit wide in level coordinates, so a bar's
height is its probability and the area under q over a bin is that bin's P(x).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vdq_gui.app import style
from vdq_gui.app.panels.axes import LevelAxis
from vdq_gui.app.panels.base import PlotPanel, finite_peak, fixed_view, style_plot
from vdq_gui.app.panels.fastcurve import FastCurve, cache_rendering
from vdq_gui.app.panels.interaction import AutoFit, BinBand, ClickToBin, CornerText, Crosshair

CAPTION = "one bin = one unit wide: bar height = probability"
LEGEND = [("bar", style.DATA_EDGE, "data P(x)"), ("line", style.MODEL, "model density q(y)"),
          ("dot", style.MODEL_PMF, "model P(x) = ∫ q over the bin")]
SHORT_NAMES = {LEGEND[1][2]: "q(y)", LEGEND[2][2]: "P(x) = ∫ q"}  # presentation fonts
TOOLTIP = ("The model q is a continuous density over [0, K]. Dequantization spreads each "
           "discrete value x over its bin [x, x+1) so q cannot cheat with spikes.\n"
           "Hover for values, click a bin to inspect its noise on the right, drag/scroll to zoom.")
NOT_A_BOUND = ("<b>dequantizer = none:</b> q is fitted to the integers themselves,<br>"
               "so log q(x) is <b>not</b> a bound on log P(x): watch the spikes grow.")


class DensityPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Data and density", CAPTION, TOOLTIP, parent)
        self.axis = LevelAxis("bottom")
        self.widget = pg.PlotWidget(axisItems={"bottom": self.axis})
        self.set_body(self.widget)
        self.plot = self.widget.getPlotItem()
        fixed_view(self.plot)
        self.plot.setLabel("left", "probability per bin")
        self.plot.setLabel("bottom", "x (data value)")
        self.header.short_names = dict(SHORT_NAMES)
        self.header.set_legend(LEGEND)
        self._build_items()
        self.fit = AutoFit(self.plot, headroom=1.3)  # room for the warning on top
        self.warning = CornerText(self.plot, color=style.WARNING)
        self.crosshair = Crosshair(self.plot, self._describe)
        self.clicks = ClickToBin(self.plot, self)
        self.clicks.clicked.connect(self.bin_clicked)
        self._snapshot = None
        self._others: tuple = ()  # compare mode: the other runs' snapshots
        self._run_items: list = []  # compare mode: (curve, marks) of the runs after the first
        self._run_names: tuple = ()
        self._data_pmf = None
        self._levels = 0
        self.set_font_scale(1.0)

    def set_runs(self, names, colours) -> None:
        """Compare mode: one q curve and one set of P(x) dots per run, in the run's colour
        (one run: the usual colours)."""
        self._run_names = tuple(names)
        self._others = ()
        compare = len(names) > 1
        first = colours[0] if compare else style.MODEL
        self.density_curve.setPen(style.pen(first, 2.5))
        self.model_marks.setSymbolBrush(style.brush(first if compare else style.MODEL_PMF))
        for curve, marks in self._run_items:
            curve.hide()
            marks.hide()
        view = self.plot.getViewBox()
        while len(self._run_items) < len(names) - 1:
            curve = FastCurve(style.pen("k", 2.5))
            marks = pg.PlotDataItem(pen=None, symbol="o", symbolSize=style.marker(7), symbolPen=style.pen("w", 0.8))
            view.addItem(curve, ignoreBounds=True)
            self.plot.addItem(marks)
            self._run_items.append((curve, marks))
        for (curve, marks), colour in zip(self._run_items, colours[1:]):
            curve.setPen(style.pen(colour, 2.5))
            marks.setSymbolBrush(style.brush(colour))
            curve.show()
            marks.show()
        if compare:
            legend = [LEGEND[0]] + [("dotted_line", c, f"{n}: q and P(x)") for n, c in zip(names, colours)]
            self.header.short_names.update({f"{n}: q and P(x)": n for n in names})
        else:
            legend = LEGEND
        self.header.set_legend(legend)

    def draw_runs(self, snapshots) -> None:
        """Every run over the one data histogram (compare mode; same data for all)."""
        self._others = tuple(snapshots[1:])
        for (curve, marks), snapshot in zip(self._run_items, self._others):
            curve.setData(snapshot.y_grid, snapshot.q_density)
            marks.setData(self._bin_centres if snapshot.levels == self._levels else [], snapshot.model_pmf)
        self.draw(snapshots[0])

    def _build_items(self) -> None:
        self.data_bars = FastCurve(style.pen(style.DATA_EDGE, 1.2), style.brush(style.DATA, 110), bars=True)
        cache_rendering(self.data_bars)  # the data never changes during a run
        self.density_curve = FastCurve(style.pen(style.MODEL, 2.5))
        self.model_marks = pg.PlotDataItem(pen=None, symbol="o", symbolSize=style.marker(7),
                                           symbolBrush=style.brush(style.MODEL_PMF),
                                           symbolPen=style.pen("w", 0.8),
                                           name="model P(x)")
        self.selection = BinBand(style.brush(style.SELECTION))
        self.selection.setZValue(-10)
        view = self.plot.getViewBox()
        for item in (self.selection, self.data_bars, self.density_curve):
            view.addItem(item, ignoreBounds=True)
        self.plot.addItem(self.model_marks)

    # -- drawing ---------------------------------------------------------------------
    def show_data(self, data) -> None:
        """Draw only the data histogram (before the model exists) and set the ranges."""
        self._set_levels(data.levels, data.origin, data.step)
        self._data_pmf = data.histogram()
        self.data_bars.setData(np.arange(data.levels + 1, dtype=float), self._data_pmf)
        self.density_curve.setData([], [])
        self.model_marks.setData([], [])
        self.warning.set_html("")
        self.reset_view()

    def draw(self, snapshot) -> None:
        self._snapshot = snapshot
        if snapshot.levels != self._levels:
            self._set_levels(snapshot.levels, snapshot.origin, snapshot.value_step)
        if self._data_pmf is not snapshot.data_pmf:
            self._data_pmf = snapshot.data_pmf
            self.data_bars.setData(self._bin_edges, snapshot.data_pmf)
        self.density_curve.setData(snapshot.y_grid, snapshot.q_density)
        self.model_marks.setData(self._bin_centres, snapshot.model_pmf)
        not_bound = [s.dequantizer for s in (snapshot, *self._others) if not s.is_bound]
        if not not_bound:
            self.warning.set_html("")
        elif self._others:
            self.warning.set_html(f"<b>{', '.join(not_bound)}:</b> no noise, log q(x) is <b>not</b> a bound")
        else:
            self.warning.set_html(NOT_A_BOUND)
        if self.fit.due():
            self.fit.fit_y(0.0, max(self._visible_max(s) for s in (snapshot, *self._others)))

    def _visible_max(self, snapshot) -> float:
        # Spikes (dequantizer none) can reach huge densities; cap the automatic range so the
        # data stays readable and the spikes visibly run off the top.
        peak = max(finite_peak(snapshot.data_pmf), finite_peak(snapshot.model_pmf), 1e-9)
        curve = finite_peak(snapshot.q_density)
        return max(peak, min(curve, 3.0 * peak))

    def _set_levels(self, levels: int, origin: float, value_step: float) -> None:
        self._levels = levels
        self._bin_edges = np.arange(levels + 1, dtype=float)
        self._bin_centres = np.arange(levels, dtype=float) + 0.5
        self.axis.set_units(origin, value_step)
        self.clicks.levels = levels
        self.plot.setLimits(xMin=-0.5 * levels, xMax=1.5 * levels, yMin=-1.0)
        self.plot.setXRange(0, levels, padding=0.01)

    def reset_view(self) -> None:
        if not self._levels:
            return
        self.fit.reset()
        self.plot.setXRange(0, self._levels, padding=0.01)
        top = float(np.max(self._data_pmf)) if self._data_pmf is not None else 1.0
        if self._snapshot is not None:
            top = self._visible_max(self._snapshot)
        self.fit.fit_y(0.0, top, force=True)

    def set_selected_bin(self, level: int) -> None:
        self.selection.setRegion((level, level + 1))

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        style_plot(self.plot, scale)
        self.warning.set_font_scale(scale)
        self.crosshair.set_font_scale(scale)

    def highlight_items(self, term: str) -> list:
        if term == "log_q":
            return [self.density_curve, *(curve for curve, _ in self._run_items if curve.isVisible())]
        if term == "exact":
            return [self.model_marks, *(marks for _, marks in self._run_items if marks.isVisible())]
        return []

    # -- hover read-out --------------------------------------------------------------
    def _describe(self, x: float, y: float) -> str | None:
        if not self._levels or not 0 <= x < self._levels:
            return None
        level = int(x)
        value = self.axis.value_of(level + 0.5)
        lines = [f"bin {level}  (x = {value:g})"]
        if self._data_pmf is not None:
            lines.append(f"data P(x) = {self._data_pmf[level]:.4f}")
        snap = self._snapshot
        if snap is not None and snap.model_pmf is not None:
            lines.append(f"model P(x) = {snap.model_pmf[level]:.4f}")
            index = min(int(np.searchsorted(snap.y_grid, x)), snap.y_grid.size - 1)
            lines.append(f"q(y = {x:.2f}) = {snap.q_density[index]:.4f}")
        return "<br>".join(lines)
