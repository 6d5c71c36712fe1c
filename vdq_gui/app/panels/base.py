"""What every panel shares: a header (title, one-line caption, and a legend strip), axis
styling that follows the font scale, and the contract the window relies on.

Legends live in the header as coloured text rather than as boxes inside the plots: they
wrap at any width and font size and never cover the data.

A panel exposes:
  draw(snapshot)          draw one snapshot (setData/setImage only);
  reset_view()            restore the ranges the panel chose itself;
  set_font_scale(scale)   presentation mode;
  bin_clicked(int)        emitted when the user clicks a bin;
  highlight(term)         show where a term of the bound is drawn (None: undo).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import style
from vdq_gui.app.panels.axes import limit_ticks
from vdq_gui.app.panels.fastcurve import cache_rendering


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in "…" when it does not fit, instead of being cut mid-word."""

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        text = self.fontMetrics().elidedText(self.text(), QtCore.Qt.TextElideMode.ElideRight, self.width())
        painter = QtGui.QPainter(self)
        try:
            painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            painter.drawText(self.rect(), int(self.alignment()), text)
        finally:
            # End explicitly: a painter left alive past paintEvent (the wrapper may outlive
            # the frame) corrupts the next widget painted on the same backing store.
            painter.end()

    def minimumSizeHint(self) -> QtCore.QSize:  # noqa: N802
        return QtCore.QSize(0, super().minimumSizeHint().height())


# Legend glyphs: how each kind of plot item looks, in text.
# (Box-drawing dashes: Qt breaks a line after "‒", even before a non-breaking space.)
GLYPHS = {"line": "━━", "dash": "╍╍", "dotted_line": "━●━", "dot": "●", "bar": "■", "band": "▮",
          "dot_line": "···", "dashdot": "╍·╍", "line_dash": "━╍╍"}


def legend_html(entries) -> str:
    """[(glyph, colour, name), ...] -> one rich-text line that may wrap between entries."""
    parts = []
    for glyph, colour, name in entries:
        label = name.replace(" ", "&nbsp;")
        parts.append(f"<span style='color:{style.themed(colour)}; font-weight:bold'>{GLYPHS[glyph]}</span>"
                     f"&nbsp;{label}")
    return " &nbsp; ".join(parts)


class PanelHeader(QtWidgets.QWidget):
    """Bold title, grey one-line caption, optional toggles; a legend strip below them."""

    def __init__(self, title: str, caption: str, parent=None):
        super().__init__(parent)
        self.title = QtWidgets.QLabel(title)
        self.caption = ElidedLabel(caption)
        style.set_sheet(self.caption, "color: #555;")
        self.caption.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter)
        self.caption.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                   QtWidgets.QSizePolicy.Policy.Preferred)
        self.caption.setToolTip(caption)
        self.legend = QtWidgets.QLabel()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.hide()
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 2, 4, 0)
        column.setSpacing(0)
        self._row = row = QtWidgets.QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.title)
        row.addWidget(self.caption, 1)
        self._toggles = QtWidgets.QHBoxLayout()
        self._toggles.setSpacing(6)
        row.addLayout(self._toggles)
        self._column = column
        column.addLayout(row)
        column.addWidget(self.legend)
        self.legend_beside_title = False
        # Presentation fonts: legend names as the panel shortens them (name -> short),
        # so a legend keeps to a line or two at 1280 px.
        self.short_names: dict[str, str] = {}
        self._short = False
        self.set_font_scale(1.0)

    def set_legend_beside_title(self, beside: bool) -> None:
        """The legend in the title's row (in the caption's place; hide the caption) or on
        its own line below: stacked panels (compare mode) save a line each so."""
        if beside == self.legend_beside_title:
            return
        self.legend_beside_title = beside
        (self._column if beside else self._row).removeWidget(self.legend)
        if beside:
            self._row.insertWidget(2, self.legend, 1)
        else:
            self._column.addWidget(self.legend)

    def add_toggle(self, widget: QtWidgets.QWidget) -> None:
        self._toggles.addWidget(widget)

    def set_legend(self, entries) -> None:
        self._legend_entries = list(entries)
        self.legend.setText(legend_html(self._shown_entries()))
        self.legend.setVisible(bool(entries))

    def _shown_entries(self) -> list:
        entries = getattr(self, "_legend_entries", [])
        if not self._short:
            return entries
        return [(glyph, colour, self.short_names.get(name, name)) for glyph, colour, name in entries]

    def restyle(self) -> None:
        """The theme changed: the legend's colours are in its HTML."""
        self.legend.setText(legend_html(self._shown_entries()))

    def set_font_scale(self, scale: float) -> None:
        self.title.setFont(style.font(scale, 1.1, bold=True))
        self.caption.setFont(style.font(scale, 0.95))
        self.legend.setFont(style.font(scale, 0.95))
        if self._short != (scale > 1.2):
            self._short = scale > 1.2
            self.restyle()


class PlotPanel(QtWidgets.QFrame):
    """Base class: a header above whatever graphics widget the subclass puts in ``body``."""

    bin_clicked = QtCore.Signal(int)

    def __init__(self, title: str, caption: str, tooltip: str = "", parent=None):
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.header = PanelHeader(title, caption)
        self.setToolTip(tooltip or caption)
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.header)
        self.font_scale = 1.0
        self._title = title
        self._run_label = None

    def set_title(self, title: str) -> None:
        self._title = title
        self._show_title()

    def set_run_label(self, name: str, colour: str) -> None:
        """Compare mode: a panel that shows one run says which, in the run's colour."""
        self._run_label = (name, colour) if name else None
        self._show_title()

    def _show_title(self) -> None:
        run = ""
        if self._run_label:
            name, colour = self._run_label
            run = f" — <span style='color:{style.themed(colour)}'>{name}</span>"
        self.header.title.setText(self._title + run)

    def restyle(self) -> None:
        """The theme changed: colours written into HTML (legend, run name) follow it."""
        self.header.restyle()
        self._show_title()

    def set_body(self, widget: QtWidgets.QWidget) -> None:
        self._layout.addWidget(widget, 1)

    # -- the contract; subclasses override ------------------------------------------
    def draw(self, snapshot) -> None:
        raise NotImplementedError

    def reset_view(self) -> None:
        pass

    def set_selected_bin(self, level: int) -> None:
        pass

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        self.header.set_font_scale(scale)

    # -- highlighting a term of the bound (the explanation panel) ---------------------
    highlighted_term: str | None = None

    def highlight_items(self, term: str) -> list:
        """The plot items of this panel that draw ``term`` (a key of
        ``explanations.TERM_PLOTS``; "plot": the panel as a whole); subclasses say."""
        return []

    def shows(self, term: str) -> bool:
        """Whether this panel draws ``term`` at the moment."""
        return True

    def highlight(self, term: str | None) -> None:
        """Show where ``term`` is drawn here (thicker pens and a frame), None: undo."""
        from vdq_gui.app.panels.highlight import HighlightFrame, ItemHighlight

        if not hasattr(self, "_item_highlight"):  # made on first use: most sessions never do
            self._item_highlight, self._frame = ItemHighlight(), HighlightFrame(self)
        self._item_highlight.restore()
        self.highlighted_term = term
        if term is None:
            self._frame.hide()
            return
        self._item_highlight.apply(self.highlight_items(term))
        self._frame.show_over(self)


def style_plot(plot: pg.PlotItem, scale: float, left_width: int = 56) -> None:
    """Fonts and fixed axis widths (fixed so that stacked plots line up and the layout
    does not jump when tick labels change length during training)."""
    tick_font = style.font(scale, 0.9)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        # "(x0.001)" in an axis label confuses more than it helps.  Empty enable-ranges
        # first: pyqtgraph would otherwise keep the scale it computes while disabling.
        axis.setSIPrefixEnableRanges(())
        axis.enableAutoSIPrefix(False)
        cache_rendering(axis)  # axes change rarely; curves next to them change every frame
        if not getattr(axis, "_repaints_on_resize", False):
            # A resized axis draws new ticks, but Qt keeps parts of its cached pixmap:
            # old tick labels stayed on screen beside the new ones.  Drop the cache.
            axis.geometryChanged.connect(lambda axis=axis: (drop_cache(axis), fit_label(axis)))
            axis._repaints_on_resize = True
        limit_ticks(axis)
        own_pens(axis)
        fit_label(axis)
        axis.setTickFont(tick_font)
        axis.setStyle(tickTextOffset=4)
        if axis.label is not None:
            axis.label.setFont(style.font(scale, 0.95))
            # pyqtgraph re-renders the label HTML with its own size unless told.
            axis.labelStyle["font-size"] = style.css_size(scale, 0.95)
            axis._updateLabel()
    plot.getAxis("left").setWidth(int(left_width * scale))
    plot.getAxis("bottom").setHeight(int(40 * scale))
    reserve_label_room(plot)


def reserve_label_room(plot: pg.PlotItem, top_edge: bool = True, bottom_edge: bool = True) -> None:
    """Room above the plot (and below it, with no bottom axis) for half a tick label.

    A vertical axis centres each label on its tick, so the label of a tick at the top of
    the range sticks out half a line above the axis; with nothing reserved there the
    view's edge cut it in half (the loss chart's top label looked buried under the
    read-out above it).  Only at the view's edges (``top_edge``, ``bottom_edge``):
    between two plots of one view a label may reach into the other's margin, and a
    stacked heatmap has no pixels to spare.  Call again after showing or hiding the
    bottom axis."""
    fonts = [plot.getAxis(name).style.get("tickFont") for name in ("left", "right")]
    heights = [QtGui.QFontMetricsF(font).height() for font in fonts if font is not None]
    half = int((max(heights) if heights else QtGui.QFontMetricsF(QtGui.QFont()).height()) / 2) + 1
    top = half if top_edge else 1
    bottom = half if bottom_edge and not plot.getAxis("bottom").isVisibleTo(plot) else 1
    plot.layout.setContentsMargins(1, top, 1, bottom)


def fixed_view(plot: pg.PlotItem) -> None:
    """No per-frame autorange: ranges are set explicitly (see AutoFit and reset_view)."""
    plot.disableAutoRange()
    plot.setMenuEnabled(False)
    plot.hideButtons()  # the "A" autorange button would re-enable autorange per frame
    plot.showGrid(x=False, y=False)




def finite_peak(array, default: float = 0.0) -> float:
    """The largest finite value, or ``default``: a state with NaN or inf in it (training
    that could not go back to a finite state) must not turn the axes into NaN."""
    import numpy as np

    values = np.asarray(array, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else float(default)


def drop_cache(item) -> None:
    """Re-render a cached item from scratch at its next paint."""
    mode = item.cacheMode()
    item.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.NoCache)
    item.setCacheMode(mode)
    item.update()


def own_pens(axis: pg.AxisItem) -> None:
    """Give an axis pens of its own, made in the current look (an axis left with
    pyqtgraph's default draws 1 px in the configured colour whatever the look, and the
    appearance module could not tell which look it was made in)."""
    if getattr(axis, "_own_pens", False):
        return
    axis._own_pens = True
    default = QtGui.QColor(pg.mkColor(pg.getConfigOption("foreground"))).name()
    text = axis.textPen()
    if text.color().name() == default:  # not a coloured axis (the loss chart's gap axis)
        text = style.pen(style.FOREGROUNDS["light"], 1)
    axis.setPen(style.pen(style.FOREGROUNDS["light"], 1))
    axis.setTextPen(text)  # after setPen, which recolours the label


def fit_label(axis: pg.AxisItem) -> None:
    """A vertical axis whose label is longer than the axis (a short plot at presentation
    fonts) hides the label rather than showing it cut off; it returns when it fits.  Only
    a label hidden here comes back: one the panel hid stays hidden."""
    if axis.orientation not in ("left", "right") or axis.label is None:
        return
    text = axis.label.boundingRect().width() - 2 * axis.label.document().documentMargin()
    fits = text <= axis.geometry().height() * 1.15  # (it may reach a little past the ends)
    if axis.label.isVisible() and not fits:
        axis.label.setVisible(False)
        axis._label_hidden_for_room = True
    elif fits and getattr(axis, "_label_hidden_for_room", False):
        axis._label_hidden_for_room = False
        axis.label.setVisible(True)
    axis.picture = None
