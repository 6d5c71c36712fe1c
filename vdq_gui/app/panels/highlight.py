"""Highlighting what a term of the bound looks like on screen (the explanation panel's
hover and click): the curves that draw it get a thicker pen (their dots bigger), and the
panel gets a coloured frame.  Undone exactly: every pen and size is put back as it was.

Panels say which of their items show a term (``PlotPanel.highlight_items``); nobody
outside a panel touches its items.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

WIDTH_FACTOR = 2.2
WIDTH_EXTRA = 1.5  # pixels, so that thin lines become clearly thicker too
SYMBOL_FACTOR = 1.7
FRAME_COLOUR = "#E69F00"
FRAME_WIDTH = 4


def widened(pen: QtGui.QPen) -> QtGui.QPen:
    wide = QtGui.QPen(pen)
    wide.setWidthF(max(pen.widthF(), 1.0) * WIDTH_FACTOR + WIDTH_EXTRA)
    return wide


class ItemHighlight:
    """Thicker pens on some plot items until ``restore``."""

    def __init__(self):
        self._saved: list = []  # (item, pen or None, symbol size or None)

    def apply(self, items) -> None:
        self.restore()
        for item in items:
            pen = symbol_size = None
            if isinstance(item, QtWidgets.QAbstractGraphicsShapeItem):  # FastCurve and the like
                pen = QtGui.QPen(item.pen())
                item.setPen(widened(pen))
            elif hasattr(item, "opts") and hasattr(item, "setPen"):  # pyqtgraph PlotDataItem
                if item.opts.get("pen") is not None:
                    pen = QtGui.QPen(item.opts["pen"])
                    item.setPen(widened(pen))
                if item.opts.get("symbol") is not None and item.opts.get("symbolSize"):
                    symbol_size = item.opts["symbolSize"]
                    item.setSymbolSize(symbol_size * SYMBOL_FACTOR)
            self._saved.append((item, pen, symbol_size))

    def restore(self) -> None:
        for item, pen, symbol_size in self._saved:
            if pen is not None:
                item.setPen(pen)
            if symbol_size is not None:
                item.setSymbolSize(symbol_size)
        self._saved = []


class HighlightFrame(QtWidgets.QWidget):
    """A coloured border over a whole panel; clicks pass through it."""

    def __init__(self, panel: QtWidgets.QWidget):
        super().__init__(panel)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hide()
        panel.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QtCore.QEvent.Type.Resize and self.isVisible():
            self.setGeometry(watched.rect())
        return False

    def show_over(self, panel: QtWidgets.QWidget) -> None:
        self.setGeometry(panel.rect())
        self.show()
        self.raise_()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QtGui.QPainter(self)
        try:
            pen = QtGui.QPen(QtGui.QColor(FRAME_COLOUR), FRAME_WIDTH)
            painter.setPen(pen)
            half = FRAME_WIDTH // 2
            painter.drawRect(self.rect().adjusted(half, half, -half - 1, -half - 1))
        finally:
            painter.end()
