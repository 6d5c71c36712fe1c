"""Panel 2b: one bin up close.  The noise r(u|x) the dequantizer uses for that bin,
against the uniform density and the model's exact posterior q(u|x) = q(x+u) / P(x).

The bound's gap for the bin is exactly KL(r || q), written on the plot: the closer the
orange curve hugs the green one, the tighter the bound.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vdq_gui.app import style
from vdq_gui.app.panels.axes import bin_label
from vdq_gui.app.panels.base import PlotPanel, finite_peak, fixed_view, style_plot
from vdq_gui.app.panels.fastcurve import FastCurve, cache_rendering
from vdq_gui.app.panels.interaction import AutoFit, CornerText, Crosshair

CAPTION = "the gap is KL(r ‖ q): how far orange is from green"
LEGEND = [("line", style.NOISE, "dequantizer r(u|x)"), ("line", style.POSTERIOR, "exact posterior q(u|x)"),
          ("dash", style.UNIFORM, "U(0, 1)")]  # the uniform density, not the run
LEGEND_IMAGES = [LEGEND[0], LEGEND[2]]
TOOLTIP = ("The gap of the bound for this bin is KL(r(u|x) ‖ q(u|x)).\n"
           "Uniform dequantization fixes r to the flat grey line; variational dequantization "
           "learns r to follow the posterior. Click a bin in any plot to choose it.")


class DetailPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Selected bin", CAPTION, TOOLTIP, parent)
        self.widget = pg.PlotWidget()
        self.set_body(self.widget)
        self.plot = self.widget.getPlotItem()
        fixed_view(self.plot)
        self.plot.setLabel("bottom", "noise u")
        self.plot.setLabel("left", "density of u")
        self.header.short_names = {LEGEND[0][2]: "r(u|x)", LEGEND[1][2]: "posterior q(u|x)"}  # presentation fonts
        self.header.set_legend(LEGEND)
        self.uniform = FastCurve(style.pen(style.UNIFORM, 2, dashed=True))
        self.uniform.setData([0.0, 1.0], [1.0, 1.0])
        cache_rendering(self.uniform)
        self.posterior = FastCurve(style.pen(style.POSTERIOR, 2.5))
        self.noise = FastCurve(style.pen(style.NOISE, 3))
        for item in (self.uniform, self.posterior, self.noise):
            self.plot.getViewBox().addItem(item, ignoreBounds=True)
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setLimits(xMin=-0.5, xMax=1.5, yMin=-1)
        self.info = CornerText(self.plot)
        self.fit = AutoFit(self.plot, headroom=1.4, shrink_below=0.7)
        self.crosshair = Crosshair(self.plot, self._describe)
        self.selected = 0
        self._snapshot = None
        self._others: tuple = ()  # compare mode: the other runs' snapshots
        self._run_items: list = []  # compare mode: (r curve, posterior curve) of the runs after the first
        self._names: tuple = ()
        self._colours: tuple = ()
        self._legend_has_posterior = True  # what the legend and caption now describe
        self._origin, self._value_step = 0.0, 1.0
        self.set_font_scale(1.0)

    def set_runs(self, names, colours) -> None:
        """Compare mode: each run's r(u|x) (solid) and exact posterior (dashed) in its colour."""
        self._names, self._others = tuple(names), ()
        compare = len(names) > 1
        self.noise.setPen(style.pen(colours[0] if compare else style.NOISE, 3))
        self.posterior.setPen(style.pen(colours[0], 2, dashed=True) if compare else style.pen(style.POSTERIOR, 2.5))
        for noise, posterior in self._run_items:
            noise.hide()
            posterior.hide()
        view = self.plot.getViewBox()
        while len(self._run_items) < len(names) - 1:
            pair = (FastCurve(style.pen("k", 3)), FastCurve(style.pen("k", 2, dashed=True)))
            for item in pair:
                view.addItem(item, ignoreBounds=True)
            self._run_items.append(pair)
        for (noise, posterior), colour in zip(self._run_items, colours[1:]):
            noise.setPen(style.pen(colour, 3))
            posterior.setPen(style.pen(colour, 2, dashed=True))
            noise.show()
            posterior.show()
        self._colours = tuple(colours)
        self._set_legend(self._legend_has_posterior)

    def _set_legend(self, has_posterior: bool) -> None:
        """Legend and caption for one run or several, with the exact posterior q(u|x) only
        where it exists (1-D; for images the noise is a histogram over pixels)."""
        if len(self._names) > 1:
            # One entry per run (solid r, dashed posterior; the caption says which is which):
            # three runs' six entries would take three lines of a short panel.
            glyph = "line_dash" if has_posterior else "line"
            self.header.set_legend([(glyph, c, n) for n, c in zip(self._names, self._colours)] + [LEGEND[2]])
            self.header.caption.setText("solid r(u|x), dashed its exact posterior q(u|x); gap = KL(r ‖ q)"
                                        if has_posterior else "histogram of the noise on these pixels, per run")
        else:
            self.header.set_legend(LEGEND if has_posterior else LEGEND_IMAGES)
            self.header.caption.setText(CAPTION if has_posterior else "histogram of the noise on these pixels")

    def draw_runs(self, snapshots) -> None:
        self._others = tuple(snapshots[1:])
        self._draw_others()
        self.draw(snapshots[0])

    def _draw_others(self) -> None:
        for (noise, posterior), snapshot in zip(self._run_items, self._others):
            level = min(max(self.selected, 0), snapshot.levels - 1)
            noise.setData(snapshot.u_grid, snapshot.noise_density[level])
            if snapshot.posterior_density is not None:
                posterior.setData(snapshot.u_grid, snapshot.posterior_density[level])
            else:
                posterior.setData([], [])

    def set_selected_bin(self, level: int) -> None:
        self.selected = int(level)
        self._draw_others()
        if self._snapshot is not None:
            self.draw(self._snapshot, force_fit=True)

    def draw(self, snapshot, force_fit: bool = False) -> None:
        self._snapshot = snapshot
        level = min(max(self.selected, 0), snapshot.levels - 1)
        noise_row = snapshot.noise_density[level]
        self.noise.setData(snapshot.u_grid, noise_row)
        has_posterior = snapshot.posterior_density is not None
        if has_posterior:
            self.posterior.setData(snapshot.u_grid, snapshot.posterior_density[level])
        else:
            self.posterior.setData([], [])
        if has_posterior != self._legend_has_posterior:
            self._legend_has_posterior = has_posterior
            self.posterior.setVisible(has_posterior)
            self._set_legend(has_posterior)
        runs = (snapshot, *self._others)
        if self._others:
            html = "<br>".join(f"<span style='color:{self._colour(i)}'>{self._names[i]}</span>: "
                               + self._gap_text(s, level) for i, s in enumerate(runs))
            self.info.set_html(f"{self._info_html(snapshot, level).split('<br>')[0]}<br>{html}")
        else:
            self.info.set_html(self._info_html(snapshot, level))
        if force_fit or self.fit.due():
            top = 1.0
            # ``none`` is a point mass at u = 0 (a spike as tall as the grid is fine):
            # in compare mode it must not squash the others' curves.
            for s in [r for r in runs if r.is_bound] or runs:
                row = s.noise_density[min(level, s.levels - 1)]
                top = max(top, finite_peak(row, 1.0))
                if s.posterior_density is not None:
                    top = max(top, finite_peak(s.posterior_density[min(level, s.levels - 1)]))
            self.fit.fit_y(0.0, max(1.5, min(float(top), 50.0)), force=force_fit)

    def _colour(self, index: int) -> str:
        pen = self.noise.pen() if index == 0 else self._run_items[index - 1][0].pen()
        return pen.color().name()

    @staticmethod
    def _gap_text(snapshot, level: int) -> str:
        level = min(level, snapshot.levels - 1)
        if snapshot.gap_per_bin is not None and np.isfinite(snapshot.gap_per_bin[level]):
            return f"gap {format_bits(snapshot.gap_per_bin[level])}"
        if not snapshot.is_bound:
            return "no noise: no bound, no gap"
        return "noise histogram" if snapshot.kind == "images" else "—"

    def _info_html(self, snapshot, level: int) -> str:
        what = "pixel value" if snapshot.kind == "images" else "bin"
        head = f"<b>{bin_label(level, snapshot.origin, snapshot.value_step, what)}</b>"
        if snapshot.gap_per_bin is not None and np.isfinite(snapshot.gap_per_bin[level]):
            return f"{head}<br>gap KL(r ‖ q) = <b>{format_bits(snapshot.gap_per_bin[level])}</b>"
        if not snapshot.is_bound:
            return f"{head}<br>no noise (u = 0): no bound, no gap"
        return head


    def highlight_items(self, term: str) -> list:
        if term == "log_r":
            return [self.noise, *(noise for noise, _ in self._run_items if noise.isVisible())]
        if term == "gap":  # the KL is between the two curves of a pair
            pairs = [pair for pair in self._run_items if pair[0].isVisible()]
            return [self.noise, self.posterior, *(item for pair in pairs for item in pair)]
        return []

    def reset_view(self) -> None:
        self.fit.reset()
        self.plot.setXRange(0, 1, padding=0.02)
        if self._snapshot is not None:
            self.draw(self._snapshot, force_fit=True)

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        style_plot(self.plot, scale)
        self.info.set_font_scale(scale)
        self.crosshair.set_font_scale(scale)

    def _describe(self, x: float, y: float) -> str | None:
        snap = self._snapshot
        if snap is None or not 0 <= x < 1:
            return None
        level = min(max(self.selected, 0), snap.levels - 1)
        row = min(int(x * snap.u_grid.size), snap.u_grid.size - 1)
        lines = [f"u = {snap.u_grid[row]:.3f}", f"r(u|x) = {snap.noise_density[level, row]:.3f}"]
        if snap.posterior_density is not None:
            lines.append(f"q(u|x) = {snap.posterior_density[level, row]:.3f}")
        return "<br>".join(lines)


def format_bits(value: float) -> str:
    """Gaps range from tenths to millionths of a bit: keep three significant digits."""
    return f"{value:.4f} bits" if abs(value) >= 0.01 else f"{value:.2e} bits"
