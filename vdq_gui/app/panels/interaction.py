"""Mouse helpers shared by the panels: a hover crosshair with a value read-out, bin
clicks, a fixed text overlay in a corner of the plot, and the range policy that replaces
per-frame autorange."""

from __future__ import annotations

import math
import time
import weakref
from typing import Callable

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.app import style

Describe = Callable[[float, float], "str | None"]


class Crosshair:
    """Dashed cross under the mouse plus a small box with the values under it.

    ``describe(x, y)`` returns the HTML to show (or None to hide the read-out); it runs on
    mouse moves only, never per frame, so it may look values up in the last snapshot.
    """

    def __init__(self, plot: pg.PlotItem, describe: Describe, horizontal: bool = True):
        self._plot = plot
        self._describe = describe
        line_pen = style.pen(style.CROSSHAIR, 1, line="dash")
        self._vline = pg.InfiniteLine(angle=90, movable=False, pen=line_pen)
        self._hline = pg.InfiniteLine(angle=0, movable=False, pen=line_pen) if horizontal else None
        self._label = pg.TextItem(color=style.themed("k"), fill=style.brush((255, 255, 255, 225)),
                                  border=style.pen((160, 160, 160), 1))
        self._label.setZValue(100)
        for item in self._items():
            plot.addItem(item, ignoreBounds=True)
            item.hide()
        plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _items(self):
        return [i for i in (self._vline, self._hline, self._label) if i is not None]

    def hide(self) -> None:
        for item in self._items():
            item.hide()

    def set_font_scale(self, scale: float) -> None:
        self._label.setFont(style.font(scale, 0.9))

    def _on_mouse_moved(self, scene_pos) -> None:
        view = self._plot.getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self.hide()
            return
        point = view.mapSceneToView(scene_pos)
        x, y = point.x(), point.y()
        text = self._describe(x, y)
        if not text:
            self.hide()
            return
        self._vline.setPos(x)
        if self._hline is not None:
            self._hline.setPos(y)
        self._label.setHtml(text)
        # Keep the read-out inside the plot: open it towards the centre of the view.
        (x0, x1), (y0, y1) = view.viewRange()
        self._label.setAnchor((1.0 if x > (x0 + x1) / 2 else 0.0, 0.0 if y > (y0 + y1) / 2 else 1.0))
        self._label.setPos(x, y)
        for item in self._items():
            item.show()


class ClickToBin(QtCore.QObject):
    """Turns a left click inside a plot into ``clicked(level)``, level = floor(x)."""

    clicked = QtCore.Signal(int)

    def __init__(self, plot: pg.PlotItem, parent=None):
        super().__init__(parent)
        self._plot = plot
        self.levels = 0
        plot.scene().sigMouseClicked.connect(self._on_click)

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or not self.levels:
            return
        view = self._plot.getViewBox()
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        level = math.floor(view.mapSceneToView(event.scenePos()).x())
        if 0 <= level < self.levels:
            self.clicked.emit(level)


class CornerText:
    """Text pinned to a corner of a plot's view (in pixels, so zoom does not move it)."""

    FONT = 0.95  # of the application font
    SMALLEST = 0.7  # a text taller than its view shrinks, down to this
    PARAGRAPH_SMALLEST = 0.6  # and, run together as one paragraph, down to this

    def __init__(self, plot: pg.PlotItem, color: str = "k", corner: str = "top-left", top: int = 4):
        self._view = plot.getViewBox()
        self._corner = corner
        self._top = top
        self._scale = 1.0
        self._relative = self.FONT
        self._html = ""  # as given; it may be shown as one paragraph when lines do not fit
        self._item = pg.TextItem(color=style.themed(color), fill=style.brush((255, 255, 255, 200)),
                                 anchor=(0, 0) if corner == "top-left" else (1, 0))
        self._item.setParentItem(self._view)
        self._item.setZValue(90)
        self._view.sigResized.connect(self._place)
        self._place()

    def _place(self) -> None:
        rect = self._view.boundingRect()
        self._render()
        top = rect.top() + self._top * self._scale
        if self._corner == "top-left":
            self._item.setPos(rect.left() + 6, top)
        else:
            self._item.setPos(rect.right() - 6, top)

    def _wrap(self, width: float) -> None:
        """Wrap the text at the view's width, but only when it would not fit (a wrapped
        text item spans its whole width, and its box would then cover the plot)."""
        text = self._item.textItem
        text.setTextWidth(-1)
        if width > 40 and text.boundingRect().width() > width:
            text.setTextWidth(width)
        self._item.updateTextPos()

    def _fit_height(self, smallest: float = SMALLEST) -> None:
        """Smaller type rather than a cut-off last line: the view clips its children (three
        compared runs' lines in a short selected-bin chart at presentation fonts)."""
        while self._too_tall() and self._relative > smallest + 1e-6:
            self._set_font(max(smallest, self._relative - 0.05))
            self._wrap(self._view.boundingRect().width() - 12)

    def _set_font(self, relative: float) -> None:
        self._relative = relative
        self._item.setFont(style.font(self._scale, relative))

    def set_html(self, html: str) -> None:
        self._html = html
        if html:
            self._render()
            self._item.show()
        else:
            self._item.hide()

    def _render(self) -> None:
        """The lines as given; if they do not fit even in the smallest type, the same text
        as one wrapped paragraph (lines joined by " · "), which a wide, short view holds:
        three compared runs under a lesson caption in presentation mode at 1280x720 showed
        two of their four lines."""
        if not self._html:
            return
        if self._relative != self.FONT:  # new text or a new size: try the full font again
            self._set_font(self.FONT)
        self._item.setHtml(self._html)
        self._wrap(self._view.boundingRect().width() - 12)
        self._fit_height()
        if self._too_tall() and "<br>" in self._html:
            self._item.setHtml(self._html.replace("<br>", " · "))
            self._wrap(self._view.boundingRect().width() - 12)
            self._fit_height(self.PARAGRAPH_SMALLEST)

    def _too_tall(self) -> bool:
        room = self._view.boundingRect().height() - self._top * self._scale
        return self._item.boundingRect().height() > room

    def set_font_scale(self, scale: float) -> None:
        self._scale = scale
        self._set_font(self.FONT)
        self._place()


_THROTTLES: "weakref.WeakSet[Throttle]" = weakref.WeakSet()


def hurry_all() -> None:
    """Make every throttle due now: when training pauses, the final frame should get
    fitted ranges at once rather than up to half a second later."""
    for throttle in list(_THROTTLES):
        throttle.reset()


class Throttle:
    """True at most once per interval: for work that must not run every frame."""

    def __init__(self, interval_s: float = 0.5):
        self._interval_s = interval_s
        self._next_s = 0.0
        _THROTTLES.add(self)

    def due(self) -> bool:
        now = time.monotonic()
        if now < self._next_s:
            return False
        self._next_s = now + self._interval_s
        return True

    def reset(self) -> None:
        self._next_s = 0.0


class AutoFit:
    """Fits a plot's y range to its data at most twice a second, and only when the data
    left the range or shrank to a small part of it, so the axis (and its tick text) is
    re-laid out rarely.  Once the user zooms or pans, it stops until ``reset``."""

    def __init__(self, plot: "pg.PlotItem | pg.ViewBox", interval_s: float = 0.5, headroom: float = 1.15,
                 shrink_below: float = 0.45):
        self._view = plot if isinstance(plot, pg.ViewBox) else plot.getViewBox()
        self._shrink_below = shrink_below
        self._throttle = Throttle(interval_s)
        self._headroom = headroom
        self.user_moved = False
        self._view.sigRangeChangedManually.connect(self._on_manual_change)

    def _on_manual_change(self, *_):
        self.user_moved = True

    def reset(self) -> None:
        self.user_moved = False
        self._throttle.reset()

    def due(self) -> bool:
        return not self.user_moved and self._throttle.due()

    def fit_y(self, low: float, high: float, force: bool = False) -> None:
        if not (math.isfinite(low) and math.isfinite(high)):
            return
        if high <= low:
            high = low + 1.0
        (_, _), (y0, y1) = self._view.viewRange()
        inside = y0 <= low and high <= y1
        roomy = (high - low) * self._headroom < self._shrink_below * (y1 - y0)
        if force or not inside or roomy:
            span = high - low
            top = high + (self._headroom - 1.0) * span
            # A range that starts at 0 (probabilities, gaps) keeps 0 on the floor.
            bottom = low if low == 0 else low - 0.08 * span
            self._view.setYRange(bottom, top, padding=0)

    def fit_x(self, low: float, high: float) -> None:
        (x0, x1), _ = self._view.viewRange()
        if low < x0 or high > x1 or (high - low) < 0.45 * (x1 - x0):
            self._view.setXRange(low, high, padding=0)


class BinBand(pg.GraphicsObject):
    """The selected bin: a band over [k, k+1) and all of y, in one cheap paint.

    pyqtgraph's LinearRegionItem recomputes its bounds in Python on every repaint (most of
    a millisecond, every frame).  This item caches its rectangle and spans the y range of
    its view, refreshed only when that range changes.
    """

    def __init__(self, brush: QtGui.QBrush, pen: QtGui.QPen | None = None):
        super().__init__()
        self._brush = QtGui.QBrush(brush)
        self._pen = QtGui.QPen(pen) if pen is not None else QtGui.QPen(QtCore.Qt.PenStyle.NoPen)
        self._pen.setCosmetic(True)
        self._region = (0.0, 1.0)
        self._rect = QtCore.QRectF(0.0, 0.0, 1.0, 1.0)
        self.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def setRegion(self, region) -> None:  # noqa: N802 (LinearRegionItem's name)
        self._region = (float(region[0]), float(region[1]))
        self._update_rect()

    def getRegion(self):  # noqa: N802
        return self._region

    def viewRangeChanged(self) -> None:  # noqa: N802 - pyqtgraph calls this on zoom/pan
        self._update_rect()

    def _update_rect(self) -> None:
        view = self.getViewBox()
        if isinstance(view, pg.ViewBox):  # (before being added, it may be the GraphicsView)
            _, (y0, y1) = view.viewRange()
            span = y1 - y0
            y0, y1 = y0 - span, y1 + span  # a margin so small pans need no refresh
        else:
            y0, y1 = 0.0, 1.0
        self.prepareGeometryChange()
        self._rect = QtCore.QRectF(self._region[0], y0, self._region[1] - self._region[0], y1 - y0)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return self._rect

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802 - never widen autorange
        return None

    def paint(self, painter, *args) -> None:
        painter.setBrush(self._brush)
        painter.setPen(self._pen)
        painter.drawRect(self._rect)
