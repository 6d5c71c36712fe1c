"""Panel 3: the loss curves, in bits per dimension.

bound (train / validation): the dequantized objective -E[log q(x+u) - log r(u|x)];
exact: the model's true -log P(x) (1-D only, computed from q's CDF);
IW bound: the importance-weighted bound with several noise samples (tighter);
gap: bound - exact, the price paid for dequantizing.  It is a few hundredths of a bit
next to bounds of several bits, so it gets its own axis on the right.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import style
from vdq_gui.app.panels.base import PlotPanel, fixed_view, style_plot
from vdq_gui.app.panels.interaction import AutoFit, Crosshair, Throttle

CAPTION = "lower is better · bound ≥ exact"
TOOLTIP = ("All values in bits per dimension.\n"
           "train bound: the objective being minimised (mean over the last logged steps)\n"
           "val bound: the same on held-out data\n"
           "IW bound: importance-weighted bound with several noise samples, tighter\n"
           "exact: the true −log2 P(x) of the model (1-D only)\n"
           "gap (right axis): val bound − exact = average KL(r ‖ q)")
SMOOTHING_WINDOW = 10  # logged rows (at most) in the trailing mean of the training curve

# (history column, legend name, colour, width, dashed); gap is drawn on the right axis.
CURVES = (
    ("train_bound", "train bound", style.MODEL, 2.2, False),
    ("val_bound", "val bound", style.VAL, 2.2, False),
    ("iw_bound", "IW bound", style.IW, 2.2, False),
    ("exact", "exact −log P(x)", style.EXACT, 1.8, True),
    ("gap", "gap (right axis)", style.GAP, 2.2, False),
)


MAX_DRAWN_POINTS = 200  # per curve; see decimate()
MIN_PLOT_HEIGHT = 110  # px at font scale 1 (axis included): a shorter chart hides the read-out above it
MAX_DOTS = 60  # evaluations get dots while they are few; after that a line says it all


# Presentation fonts: the legend in few words, so it keeps to a line or two (the caption
# says they are bounds).
SHORT_NAMES = {"train_bound": "train", "val_bound": "val", "iw_bound": "IW", "exact": "exact",
               "gap": "gap (right)"}


def legend_entries(one_d: bool, with_gap: bool, iw_samples: int | None = None, short: bool = False):
    glyph = {"train_bound": "line", "exact": "dash"}
    shown = {"exact": one_d, "gap": with_gap}
    names = dict(SHORT_NAMES) if short else {}
    if iw_samples:
        names["iw_bound"] = f"IW-{iw_samples}" if short else f"IW-{iw_samples} bound"
    return [(glyph.get(column, "dotted_line"), colour, names.get(column, name))
            for column, name, colour, _, _ in CURVES if shown.get(column, True)]


def objective_label(snapshot) -> str:
    """How the run is trained, when not on the plain ELBO: "the IW-8 bound", "Rényi α=0.5 (8 draws)"."""
    if snapshot.objective == "iw":
        return f"the IW-{snapshot.train_samples} bound"
    if snapshot.objective == "renyi":
        return f"Rényi α={snapshot.alpha:g} ({snapshot.train_samples} draws)"
    return ""


LEFT_COLUMNS = ("raw_train", "train_bound", "val_bound", "iw_bound", "exact")


class LossPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Loss", CAPTION, TOOLTIP, parent)
        self._build_toggles()
        self.widget = pg.PlotWidget()
        self.set_body(self.widget)
        self.plot = self.widget.getPlotItem()
        fixed_view(self.plot)

        self.plot.setLabel("bottom", "training step")
        self.plot.setLabel("left", "bits/dim")
        self.header.set_legend(legend_entries(True, True))
        self._gap_axis_shown = True
        self._build_gap_axis()
        self._build_curves()
        self.fit = AutoFit(self.plot)
        self.gap_fit = AutoFit(self.gap_view)
        self._redraw_throttle = Throttle(0.1)
        self._figures_throttle = Throttle(0.25)  # numbers change every step; 4 a second can be read
        self.crosshair = Crosshair(self.plot, self._describe, horizontal=False)
        self._snapshot = None
        self._drawn_length = -1
        self._mode = ("", True, None)  # (kind, is_bound, labels): which curves, and their names
        self._build_compare_items()
        self.set_font_scale(1.0)
        self.reset_view()

    # -- compare mode: colour = run, line style = metric ---------------------------------
    def _build_compare_items(self) -> None:
        self._names: tuple = ()
        self._run_curves: list[dict] = []  # per run: column -> item
        self._others: tuple = ()
        # Under the header, not in the plot: a long read-out must wrap, never be cut.
        self.differences = QtWidgets.QLabel()
        self.differences.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.differences.setWordWrap(True)
        self.differences.setContentsMargins(4, 0, 4, 0)
        self.differences.setToolTip("This state's figures in bits/dim ± their standard error over the examples "
                                    "(val: the validation split; all data: every value).  Compare mode: "
                                    "each run minus the reference run.")
        self.differences.hide()
        self._layout.insertWidget(1, self.differences)
        # The timeline's moment: a vertical line at its step while scrubbing.
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=style.pen("#444444", 1.5, line="dash"))
        self.marker.hide()
        self.plot.addItem(self.marker, ignoreBounds=True)

    def restyle(self) -> None:
        super().restyle()
        if self._snapshot is not None and self._others:  # its run colours are in the HTML
            self.differences.setText(difference_html((self._snapshot, *self._others), self._names))

    def set_marker(self, step: int | None) -> None:
        if step is None:
            self.marker.hide()
        else:
            self.marker.setPos(float(step))
            self.marker.show()

    def set_runs(self, names, colours) -> None:
        self._names, self._others = tuple(names), ()
        compare = len(names) > 1
        for item in self._run_items():
            self.plot.removeItem(item)
        self._run_curves = []
        if compare:
            for colour in colours:
                curves = {}
                for column, line in style.RUN_STYLES.items():
                    item = pg.PlotDataItem(pen=style.pen(colour, 2.0 if column != "train_bound" else 1.6, line=line),
                                           antialias=False)
                    item.setDownsampling(auto=True, method="peak")
                    item.setClipToView(True)
                    self.plot.addItem(item)
                    curves[column] = item
                self._run_curves.append(curves)
        for item in (*self.curves.values(), self.raw_train):
            item.setVisible(not compare)
        if compare:
            self._show_gap_axis(False)
            self.header.set_legend([("band", c, n) for n, c in zip(names, colours)]
                                   + [("line", "#444444", "train"), ("dot_line", "#444444", "val"),
                                      ("dash", "#444444", "IW"), ("dashdot", "#444444", "exact")])
            self.header.caption.setText("colour = run, line style = metric")
        else:
            self.differences.setText("")
            self.differences.hide()
            self._mode = ("", True, None)  # the next draw sets legend, caption and curves again
        self._drawn_length = -1

    def _run_items(self):
        return [item for curves in self._run_curves for item in curves.values()]

    def draw_runs(self, snapshots) -> None:
        self._others = tuple(snapshots[1:])
        snapshot = snapshots[0]
        self._snapshot = snapshot
        lengths = tuple(len(s.history) for s in snapshots)
        if lengths == self._drawn_length or not self._redraw_throttle.due():
            return
        self._drawn_length = lengths
        self._draw_compare(snapshots)

    def _draw_compare(self, snapshots, force_fit: bool = False) -> None:
        log = self.log_scale.isChecked()
        drawn = {c: [] for c in LEFT_COLUMNS}
        last_step = 10.0
        for curves, snapshot in zip(self._run_curves, snapshots):
            history = snapshot.history
            steps = history.step.astype(float)
            if len(history):
                last_step = max(last_step, float(steps[-1]))
            for column, item in curves.items():
                values = history.train_bound if column == "train_bound" else getattr(history, column)
                if column == "train_bound" and self.smooth.isChecked():
                    values = trailing_mean(values, max(1, min(SMOOTHING_WINDOW, len(values) // 20)))
                x, y = self._finite(steps, values, log)
                item.setData(x, y)
                item.setVisible(column != "exact" or snapshot.kind == "1d")
                drawn[column].append(y)
        html = difference_html(snapshots, self._names)
        if html != self.differences.text():
            self.differences.setText(html)
            self.fit_readout()
        if force_fit or self.fit.due():
            self.fit.fit_x(0.0, nice_ceiling(last_step * 1.15))
            left = np.concatenate([y for ys in drawn.values() for y in ys] or [np.zeros(0)])
            self._fit_values(self.fit, left, log, force_fit)

    # -- building ----------------------------------------------------------------------
    def _build_toggles(self) -> None:
        self.log_scale = QtWidgets.QCheckBox("log y")
        self.smooth = QtWidgets.QCheckBox("smooth")
        self.smooth.setChecked(True)
        self.log_scale.setToolTip("Logarithmic y axes")
        self.smooth.setToolTip(f"Trailing mean over {SMOOTHING_WINDOW} logged points of the training curve")
        for box in (self.log_scale, self.smooth):
            box.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            self.header.add_toggle(style.mark_advanced(box))
        self.log_scale.toggled.connect(self._on_log_toggled)
        self.smooth.toggled.connect(self._on_smooth_toggled)

    def _build_gap_axis(self) -> None:
        """A second ViewBox sharing x, drawn on the right axis (pyqtgraph's usual recipe)."""
        self.gap_view = pg.ViewBox(enableMenu=False)
        self.plot.showAxis("right")
        self.plot.scene().addItem(self.gap_view)
        right = self.plot.getAxis("right")
        right.linkToView(self.gap_view)
        right.setLabel("gap (bits/dim)", color=style.GAP)
        right.setTextPen(style.pen(style.GAP, 1))
        self.gap_view.setXLink(self.plot)
        self.gap_view.disableAutoRange()
        self.plot.getViewBox().sigResized.connect(self._sync_gap_view)

    def _build_curves(self) -> None:
        # No antialiasing here: late in a run every curve is noise around a flat trend, a
        # zigzag over the whole plot height, and Qt rasterizes wide antialiased zigzags
        # slowly (at step 60,000 the panel took 57 ms to paint with it, 5.5 ms without;
        # the smooth curves of the other panels keep it).
        self.raw_train = self.plot.plot(pen=style.pen(style.RAW_TRAIN, 1.0), antialias=False)
        self.curves = {}
        for column, name, colour, width, dashed in CURVES:
            item = pg.PlotDataItem(pen=style.pen(colour, width, dashed), name=name, antialias=False)
            if column != "train_bound":
                # Evaluations are sparse (every eval_every steps): dots show each one,
                # and the very first one before a line can join it.
                item.setSymbol("o")
                item.setSymbolSize(style.marker(5))
                item.setSymbolBrush(style.brush(colour))
                item.setSymbolPen(None)
            # Long runs log many thousand rows: draw at screen resolution only.
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            if column == "gap":
                self.gap_view.addItem(item)
            else:
                self.plot.addItem(item)
            self.curves[column] = item
        self.raw_train.setDownsampling(auto=True, method="peak")
        self.raw_train.setClipToView(True)

    @QtCore.Slot()
    def _sync_gap_view(self) -> None:
        self.gap_view.setGeometry(self.plot.getViewBox().sceneBoundingRect())

    # -- drawing ---------------------------------------------------------------------
    def draw(self, snapshot) -> None:
        labels = (snapshot.iw_samples, objective_label(snapshot))
        if (snapshot.kind, snapshot.is_bound, labels) != self._mode:
            self._set_mode(snapshot.kind, snapshot.is_bound, *labels)
        self._snapshot = snapshot
        if self._figures_throttle.due():  # reset when paused or scrubbing (hurry_all)
            self._show_figures(snapshot)
        if len(snapshot.history) == self._drawn_length:
            return  # nothing new was logged: skip the work entirely
        if not self._redraw_throttle.due():
            return  # loss curves move slowly: 10 redraws a second are plenty (paused: at once)
        self._drawn_length = len(snapshot.history)
        self._draw(snapshot.history)

    def _show_figures(self, snapshot) -> None:
        """One run: this state's figures with their standard errors, under the header."""
        html = figures_html(snapshot)
        if html != self.differences.text():
            self.differences.setText(html)
        self.fit_readout()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit_readout()

    def fit_readout(self) -> None:
        """Show the read-out above the chart only while the chart keeps MIN_PLOT_HEIGHT
        below it: a short panel (presentation fonts beside the explanation panel, at
        1280 x 720) had a chart 40 px tall under four lines of figures.  The hover
        read-out and the status bar still give the numbers."""
        text = self.differences.text()
        if not text:
            self.differences.hide()
            return
        width = max(1, self.width())
        margins = self._layout.contentsMargins()
        header = self.header.heightForWidth(width) if self.header.hasHeightForWidth() else -1
        header = header if header > 0 else self.header.sizeHint().height()
        readout = self.differences.heightForWidth(width - margins.left() - margins.right())
        chart = self.height() - margins.top() - margins.bottom() - header - max(readout, 0)
        self.differences.setVisible(chart >= MIN_PLOT_HEIGHT * self.font_scale)

    def _draw(self, history, force_fit: bool = False) -> None:
        steps = history.step.astype(float)
        log = self.log_scale.isChecked()
        train = history.train_bound
        drawn = {"raw_train": self._finite(steps, train, log)}
        if self.smooth.isChecked():
            self.raw_train.setData(*drawn["raw_train"])
            # A short curve gets a short window: a trailing mean lags a falling curve.
            train = trailing_mean(train, max(1, min(SMOOTHING_WINDOW, len(train) // 20)))
        else:
            self.raw_train.setData([], [])
        for column, item in self.curves.items():
            values = train if column == "train_bound" else getattr(history, column)
            x, y = drawn[column] = self._finite(steps, values, log)
            if column != "train_bound":
                self._show_dots(item, x.size <= MAX_DOTS)
            item.setData(x, y)
        if len(history) and (force_fit or self.fit.due()):
            self._fit(steps, drawn, log, force_fit)

    @staticmethod
    def _show_dots(item: pg.PlotDataItem, show: bool) -> None:
        # Scatter symbols cost Python per point on every setData: only while they are few.
        if (item.opts["symbol"] is not None) != show:
            item.setSymbol("o" if show else None)

    def _finite(self, steps: np.ndarray, values: np.ndarray, log: bool):
        # Validation and IW values exist only every few steps (NaN elsewhere): draw just
        # the points that exist so the line joins them.  A log axis cannot show values <= 0.
        keep = np.isfinite(values)
        if log:
            keep &= values > 0
        return decimate(steps[keep], values[keep])

    def _fit(self, steps: np.ndarray, drawn: dict, log: bool, force: bool) -> None:
        # Grow the x axis in big jumps so it does not crawl every frame.
        self.fit.fit_x(0.0, nice_ceiling(max(float(steps[-1]) * 1.15, 10.0)))
        # The drawn (decimated) points, not the whole log: the cost of a fit must not
        # grow with the length of the run.
        left = np.concatenate([drawn[c][1] for c in LEFT_COLUMNS])
        self._fit_values(self.fit, left, log, force)
        if self._gap_axis_shown:
            self._fit_values(self.gap_fit, drawn["gap"][1], log, force, floor_at_zero=True)

    def _fit_values(self, fit: AutoFit, values: np.ndarray, log: bool, force: bool,
                    floor_at_zero: bool = False) -> None:
        finite = values[np.isfinite(values)]
        if log:
            finite = finite[finite > 0]
        if not finite.size:
            return
        # Percentiles: the first, untrained steps would otherwise squash the curve.
        low, high = float(np.percentile(finite, 0.5)), float(np.percentile(finite, 99))
        if log:
            fit.fit_y(np.log10(low) - 0.05, np.log10(high) + 0.05, force)
        else:
            fit.fit_y(0.0 if floor_at_zero else low, high, force)

    def _show_gap_axis(self, visible: bool) -> None:
        if visible != self._gap_axis_shown:
            self._gap_axis_shown = visible
            self.plot.showAxis("right", visible)

    def _set_mode(self, kind: str, is_bound: bool, iw_samples: int | None = None, objective: str = "") -> None:
        """Exact values exist for 1-D data only; a gap only where the objective is a bound
        (with ``none`` "bound - exact" is no KL and may be negative: not drawn).  The IW
        curve's legend names its M, the caption an objective other than the ELBO
        (Training ▸ Objective… chooses both)."""
        self._mode = (kind, is_bound, (iw_samples, objective))
        one_d = kind == "1d"
        with_gap = one_d and is_bound
        self.curves["exact"].setVisible(one_d)
        self.curves["gap"].setVisible(with_gap)
        self._show_gap_axis(with_gap)
        self.header.set_legend(legend_entries(one_d, with_gap, iw_samples, short=self.font_scale > 1.2))
        if not is_bound:
            caption = "NOT a bound: the curve may fall below exact"
        else:
            caption = CAPTION if one_d else "lower is better · IW bound ≤ bound"
        if objective and is_bound:
            caption = f"trained on {objective} · {caption}"
        self.header.caption.setText(caption)

    def redraw(self) -> None:
        """Draw the last snapshot again and refit (after a toggle changed the drawing)."""
        if self._snapshot is not None and self._others:
            self._drawn_length = -1
            self._draw_compare((self._snapshot, *self._others), force_fit=True)
        elif self._snapshot is not None:
            self._drawn_length = len(self._snapshot.history)
            self._draw(self._snapshot.history, force_fit=True)

    @QtCore.Slot(bool)
    def _on_log_toggled(self, log: bool) -> None:
        self.plot.setLogMode(y=log)
        self.curves["gap"].setLogMode(False, log)
        self.plot.getAxis("right").setLogMode(y=log)
        self.reset_view()

    @QtCore.Slot(bool)
    def _on_smooth_toggled(self, _smooth: bool) -> None:
        self.redraw()

    def reset_view(self) -> None:
        self.fit.reset()
        self.gap_fit.reset()
        if self._snapshot is not None and len(self._snapshot.history):
            self.plot.setXRange(0, 1, padding=0)  # so fit_x always has a range to change
            self.redraw()
        else:
            self.plot.setXRange(0, 100, padding=0)
            self.plot.setYRange(0, 8, padding=0)
            self.gap_view.setYRange(0, 0.1, padding=0)

    def clear(self) -> None:
        self._snapshot = None
        self._others = ()
        self._drawn_length = -1
        for item in (*self.curves.values(), self.raw_train, *self._run_items()):
            item.setData([], [])
        self.reset_view()

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        self.differences.setFont(style.font(scale, 0.88))
        style_plot(self.plot, scale)
        self.plot.getAxis("right").setWidth(int(68 * scale))
        self.crosshair.set_font_scale(scale)
        for box in (self.log_scale, self.smooth):
            box.setFont(style.font(scale, 0.9))
        kind, bound, labels = self._mode
        if kind and len(self._names) <= 1:  # one run's legend: its names follow the font size
            self._set_mode(kind, bound, *labels)
        self.fit_readout()

    def highlight_items(self, term: str) -> list:
        columns = {"bound": ("train_bound", "val_bound"), "iw": ("iw_bound",), "exact": ("exact",),
                   "gap": ("gap",)}.get(term, ())
        items = [self.curves[c] for c in columns if self.curves[c].isVisible()]
        return items + [curves[c] for curves in self._run_curves for c in columns
                        if c in curves and curves[c].isVisible()]

    def shows(self, term: str) -> bool:
        # Images have no exact value (no curve) and, without a bound, no gap.
        return term not in ("exact", "gap") or bool(self.highlight_items(term))

    # -- hover read-out --------------------------------------------------------------
    def _describe(self, x: float, _y: float) -> str | None:
        snap = self._snapshot
        if snap is None or not len(snap.history):
            return None
        history = snap.history
        index = int(np.clip(np.searchsorted(history.step, x), 0, len(history) - 1))
        lines = [f"step {int(history.step[index])}"]
        for column, name, *_ in CURVES:
            if not self.curves[column].isVisible():
                continue
            value = nearest_finite(getattr(history, column), index)
            if value is not None:
                lines.append(f"{name.replace(' (right axis)', '')}: {value:.4f}")
        return "<br>".join(lines)


def _pm(metrics: dict, key: str) -> str | None:
    """"3.838±0.06", "4.0e-04±2e-05": the value, and its standard error to one digit."""
    value, se = metrics.get(f"{key}_bpd"), metrics.get(f"{key}_se")
    if value is None or not np.isfinite(value):
        return None
    text = f"{value:.3f}" if abs(value) >= 0.01 or value == 0 else f"{value:.1e}"
    return text if se is None or not np.isfinite(se) else f"{text}±{se:.1g}"


def figures_html(snapshot) -> str:
    """This state's figures in bits/dim, each ± its standard error over the examples, on
    the validation split and on all the data (1-D: exact and gap too; small files make the
    validation figures noisy, which the ± shows).  Images: the last evaluation's."""
    metrics = snapshot.metrics
    if snapshot.kind != "1d":
        parts = [(label, _pm(metrics, key)) for key, label in
                 (("val_bound", "bound"), ("iw_bound", f"IW-{snapshot.iw_samples}"))]
        shown = [f"{label} {text}" for label, text in parts if text]
        return f"<b>validation</b> (last evaluation): {' · '.join(shown)} bits/dim" if shown else ""
    keys = (("bound", "bound"), ("exact", "exact"), ("gap", "gap")) if snapshot.is_bound else \
        (("exact", "exact"), ("point_density", "−log q(x)"))
    lines = []
    for prefix, label in (("live_val_", "val"), ("all_", "all data")):
        parts = [(name, _pm(metrics, prefix + key)) for key, name in keys]
        shown = [f"{name} {text}" for name, text in parts if text]
        if shown:
            lines.append(f"<b>{label}</b>: {' · '.join(shown)}")
    return "<br>".join(lines) + (" bits/dim" if lines else "")


DIFFERENCES = (("val_bound_bpd", "bound"), ("iw_bound_bpd", "IW"), ("exact_bpd", "exact"))


def difference_html(snapshots, names) -> str:
    """The live read-out of compare mode: each later run minus the first, in bits/dim
    (latest evaluation), and a reminder for runs whose number is not a bound."""
    lines = []
    # The reference: uniform if it runs (the classic bound), else the first true bound;
    # a run without a bound (none) is never differenced, its number is not comparable.
    bounded = [i for i, s in enumerate(snapshots) if s.is_bound]
    if not bounded:
        bounded = [0]
    ref = next((i for i in bounded if names[i] == "uniform"), bounded[0])
    first = snapshots[ref]
    for index in bounded:
        if index == ref:
            continue
        name, snapshot = names[index], snapshots[index]
        parts = []
        for key, label in DIFFERENCES:
            a, b = snapshot.metrics.get(key), first.metrics.get(key)
            if a is not None and b is not None and np.isfinite(a) and np.isfinite(b):
                parts.append(f"{label} {a - b:+.4f}")
        if parts:
            lines.append(f"<b>{name} − {names[ref]}</b>: {' · '.join(parts)} bits/dim")
    for name, snapshot in zip(names, snapshots):
        if not snapshot.is_bound:
            lines.append(f"<span style='color:{style.themed(style.WARNING)}'><b>{name}</b>: NOT a bound</span>")
    return "<br>".join(lines)


def decimate(x: np.ndarray, y: np.ndarray, limit: int = MAX_DRAWN_POINTS):
    """At most ``limit`` points: means over buckets of 2^k consecutive points.

    A long run logs tens of thousands of rows, and late in a run they are mostly noise
    around a flat trend.  Drawn point by point, each curve became a zigzag over the whole
    plot height: unreadable, and its antialiased stroke cost tens of ms per paint (62 ms
    for the loss panel at step 60,000).  Bucket means show the trend (the noise shrinks
    with the bucket) at a fixed cost.  Buckets start at multiples of their size, so a
    drawn point does not move as rows arrive (only the last, partial bucket does) until
    the size doubles.
    """
    if x.size <= limit:
        return x, y
    size = 1 << int(np.ceil(np.log2(x.size / limit)))
    starts = np.arange(0, x.size, size)
    counts = np.diff(np.append(starts, x.size))
    return np.add.reduceat(x, starts) / counts, np.add.reduceat(y, starts) / counts


def trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` finite values at each point (display smoothing only)."""
    finite = np.isfinite(values)
    sums = np.cumsum(np.where(finite, values, 0.0))
    counts = np.cumsum(finite)
    sums[window:] = sums[window:] - sums[:-window]
    counts[window:] = counts[window:] - counts[:-window]
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def nearest_finite(values: np.ndarray, index: int, reach: int = 200) -> float | None:
    """The value at index, or the closest logged one before it (validation is sparse)."""
    window = values[max(0, index - reach):index + 1]
    finite = np.flatnonzero(np.isfinite(window))
    return float(window[finite[-1]]) if finite.size else None


def nice_ceiling(value: float) -> float:
    """The next of 1, 1.5, 2, 3, 5, 7.5 x 10^k at or above value."""
    exponent = 10 ** np.floor(np.log10(value))
    for factor in (1, 1.5, 2, 3, 5, 7.5, 10):
        if factor * exponent >= value:
            return float(factor * exponent)
    return float(10 * exponent)
