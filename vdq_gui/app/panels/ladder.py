"""Panel: the bound ladder.  exact −log P(x) ≤ IW-64 ≤ IW-16 ≤ IW-4 ≤ ELBO, drawn as the
gap of each rung above the exact value, for the selected bin and for all the data.

Why gaps and not the values themselves: the rungs differ by thousandths of a bit while
the values are a few bits, so on a common axis the ladder would be one flat line.  Above
the exact −log P(x) (the floor, zero here) each bar is what that bound still gives away:
the ELBO's bar is KL(r ‖ q(u|x)); more importance samples shrink it towards zero
(Burda et al. 2016).  The numbers come from the snapshot (``bound_per_bin``,
``iw_ladder_per_bin``, ``model_pmf`` and the ``all_*`` metrics); nothing is computed here
but differences.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vdq_gui.app import style
from vdq_gui.app.panels.axes import bin_label
from vdq_gui.app.panels.base import PlotPanel, fixed_view, style_plot
from vdq_gui.app.panels.interaction import AutoFit, CornerText

CAPTION = "what each bound gives away above the exact −log P(x)"
BIN_COLOUR = style.NOISE
ALL_COLOUR = style.MODEL
LEGEND = [("bar", BIN_COLOUR, "selected bin (bits)"), ("bar", ALL_COLOUR, "all data (bits/dim)")]
TOOLTIP = ("The bound ladder: exact −log P(x) ≤ IW-M ≤ … ≤ ELBO.\n"
           "Each bar is a bound minus the exact value: the ELBO's bar is the gap KL(r ‖ q(u|x)); "
           "importance sampling with M draws (IW-M) closes it as M grows.\n"
           "IW-M bars are expectations computed from the bound's own quadrature nodes, not "
           "random draws, so they move only when q or r do.\n"
           "The ladder is computed only while this tab is shown.")
BAR_WIDTH = 0.38


def ladder_rungs(snapshot, level: int) -> tuple[list[str], np.ndarray, np.ndarray, float, float]:
    """(rung names, gaps of the bin in bits, gaps over all data in bits/dim, exact of the
    bin, exact over all data), rungs from the loosest (ELBO) to the tightest IW-M.

    Empty when the snapshot has no ladder (``none`` is no bound; images have no exact)."""
    samples = snapshot.iw_ladder_samples
    if snapshot.bound_per_bin is None or samples is None or not snapshot.is_bound or samples.size == 0:
        return [], np.zeros(0), np.zeros(0), float("nan"), float("nan")
    exact_bin = float(-np.log2(snapshot.model_pmf[level]))
    metrics = snapshot.metrics
    exact_all = float(metrics.get("all_exact_bpd", np.nan))
    names = ["ELBO"]
    bin_values = [float(snapshot.bound_per_bin[level])]
    all_values = [float(metrics.get("all_bound_bpd", np.nan))]
    # IW-1 is a Monte-Carlo estimate of the ELBO, which the first rung has exactly.
    for row, m in enumerate(samples):
        if int(m) == 1:
            continue
        names.append(f"IW-{int(m)}")
        bin_values.append(float(snapshot.iw_ladder_per_bin[row, level]))
        all_values.append(float(metrics.get(f"all_iw{int(m)}_bpd", np.nan)))
    return names, np.array(bin_values) - exact_bin, np.array(all_values) - exact_all, exact_bin, exact_all


class LadderPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Bound ladder", CAPTION, TOOLTIP, parent)
        self.widget = pg.PlotWidget()
        self.set_body(self.widget)
        self.plot = self.widget.getPlotItem()
        fixed_view(self.plot)
        self.plot.setLabel("left", "bound − exact (bits)")
        self.header.set_legend(LEGEND)
        self.bin_bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, brush=style.brush(BIN_COLOUR),
                                        pen=style.pen(BIN_COLOUR, 1))
        self.all_bars = pg.BarGraphItem(x=[], height=[], width=BAR_WIDTH, brush=style.brush(ALL_COLOUR, 200),
                                        pen=style.pen(ALL_COLOUR, 1))
        self.floor = pg.InfiniteLine(pos=0.0, angle=0, pen=style.pen(style.EXACT, 2))
        for item in (self.bin_bars, self.all_bars, self.floor):
            self.plot.addItem(item)
        self.labels: list[pg.TextItem] = []  # one per bar, made when the rungs first appear
        self.info = CornerText(self.plot, corner="top-right")
        self.fit = AutoFit(self.plot, headroom=1.3, shrink_below=0.5)
        self.selected = 0
        self._snapshot = None
        self._names: list[str] = []
        self.set_font_scale(1.0)

    def set_run_label(self, name: str) -> None:
        """In compare mode the ladder is one run's: say whose."""
        self.header.title.setText(f"Bound ladder — {name}" if name else "Bound ladder")

    def set_selected_bin(self, level: int) -> None:
        self.selected = int(level)
        if self._snapshot is not None:
            self.draw(self._snapshot, force_fit=True)

    def draw(self, snapshot, force_fit: bool = False) -> None:
        self._snapshot = snapshot
        level = min(max(self.selected, 0), snapshot.levels - 1)
        names, bin_gaps, all_gaps, exact_bin, exact_all = ladder_rungs(snapshot, level)
        if names != self._names:
            self._set_rungs(names)
        x = np.arange(len(names), dtype=float)
        self.bin_bars.setOpts(x=x - BAR_WIDTH / 2, height=_finite(bin_gaps))
        self.all_bars.setOpts(x=x + BAR_WIDTH / 2, height=_finite(all_gaps))
        for i, (b, a) in enumerate(zip(bin_gaps, all_gaps)):
            self._place_label(2 * i, x[i] - BAR_WIDTH / 2, b)
            self._place_label(2 * i + 1, x[i] + BAR_WIDTH / 2, a)
        self.info.set_html(self._info_html(snapshot, level, exact_bin, exact_all, bool(names)))
        if names and (force_fit or self.fit.due()):
            heights = np.concatenate([_finite(bin_gaps), _finite(all_gaps)])
            top = float(heights.max()) if heights.size else 0.0
            self.fit.fit_y(min(0.0, float(heights.min())), max(top, 1e-4), force=force_fit)

    def _set_rungs(self, names: list[str]) -> None:
        """New rungs (the first snapshot, or K changed how many M fit): axis ticks and labels."""
        self._names = names
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        for _ in range(2 * len(names)):
            label = pg.TextItem(anchor=(0.5, 1.0), color=style.themed(style.EXACT))
            label.setFont(style.font(self.font_scale, 0.8))
            self.plot.addItem(label, ignoreBounds=True)
            self.labels.append(label)
        self.plot.setXRange(-0.6, max(len(names) - 0.4, 0.6), padding=0)

    def _place_label(self, index: int, x: float, value: float) -> None:
        label = self.labels[index]
        label.setText(_short_bits(value))
        finite = float(value) if np.isfinite(value) else 0.0
        # Above a bar that rises, below one that falls (a noisy IW estimate under the floor).
        label.setAnchor((0.5, 1.0) if finite >= 0 else (0.5, 0.0))
        label.setPos(x, finite)

    def _info_html(self, snapshot, level: int, exact_bin: float, exact_all: float, has_ladder: bool) -> str:
        if snapshot.kind != "1d":
            return "the ladder needs the exact P(x): 1-D data only"
        if not snapshot.is_bound:
            return "<span style='color:%s'>no noise: no bound, no ladder</span>" % style.themed(style.WARNING)
        head = bin_label(level, snapshot.origin, snapshot.value_step, "bin")
        if not has_ladder:  # a moment kept while this tab was hidden: the ladder costs a
            # third of a picture, so it is computed only while shown
            return f"{head}<br>no ladder at this moment: it is computed while this tab is shown"
        return (f"floor (line): exact −log₂P(x)<br><b>{head}</b>: {exact_bin:.3f} bits"
                f"<br>all data: {exact_all:.3f} bits/dim")

    def reset_view(self) -> None:
        self.fit.reset()
        if self._snapshot is not None:
            self._names = []
            self.draw(self._snapshot, force_fit=True)

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        style_plot(self.plot, scale, left_width=64)
        self.info.set_font_scale(scale)
        for label in self.labels:
            label.setFont(style.font(scale, 0.8))


def _finite(values: np.ndarray) -> np.ndarray:
    """Bars never draw NaN: an unknown rung is drawn as nothing (height 0)."""
    return np.where(np.isfinite(values), values, 0.0)


def _short_bits(value: float) -> str:
    """Bar labels must fit a bar's width: three decimals, or two significant digits below 0.01."""
    if not np.isfinite(value):
        return "—"
    return f"{value:.3f}" if abs(value) >= 0.01 or value == 0 else f"{value:.1e}".replace("e-0", "e-")
