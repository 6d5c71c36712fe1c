"""Vector figures: a panel (or several, placed as on screen) as one SVG document with its
title, caption, legend, axes and curves.

Each piece is drawn by what draws it best:
  * the plots (pyqtgraph scenes) by pyqtgraph's SVGExporter, which renders item by item
    and keeps each view's clipping (Qt's own SVG generator drops clipping, so curves and
    selection bands would spill out of their plots);
  * the Qt widgets around them (the header with title, caption and legend; compare mode's
    read-out) by QSvgGenerator, which writes their text as <text> elements.
The pieces are nested <svg> elements at the widgets' positions.  This is what keeps the
titles and legends in the file (TensorBoard's SVG export drops them, its issue #2400).
"""

from __future__ import annotations

import importlib
import re
import xml.etree.ElementTree as ElementTree

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401 (registers pg.exporters)
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ElementTree.register_namespace("", SVG_NS)
ElementTree.register_namespace("xlink", XLINK_NS)


def _close_path_as_line(d: str) -> str:
    """'M a L b L c Z' -> 'M a L b L c L a': the same outline without the Z command."""
    out, start = [], None
    for token in d.split():
        if token[0] in "Mm":
            start = token[1:]
        if token in ("Z", "z"):
            if start is not None:
                out.append("L" + start)
            continue
        out.append(token)
    return " ".join(out)


def _install_closed_path_workaround() -> None:
    """pyqtgraph 0.14's SVGExporter cannot parse closed paths ("... Z"), which Qt 6.11
    writes for every view's clip rectangle, and fails on any plot (pyqtgraph issue #3495,
    fixed upstream after 0.14).  Closing a subpath with a line to its start draws the same
    shape, so paths are rewritten that way just before pyqtgraph reads them."""
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates
    if getattr(original, "closes_paths_as_lines", False):
        return

    def correct_coordinates(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", _close_path_as_line(d))
        return original(node, defs, item, options)

    correct_coordinates.closes_paths_as_lines = True
    module.correctCoordinates = correct_coordinates


_install_closed_path_workaround()


def scene_svg(view: pg.GraphicsView) -> str:
    """A pyqtgraph view (PlotWidget, GraphicsLayoutWidget) as SVG, its size in pixels."""
    exporter = pg.exporters.SVGExporter(view.scene())
    return exporter.export(toBytes=True).decode("utf-8")


def widget_svg(widget: QtWidgets.QWidget) -> str:
    """A plain Qt widget (labels, buttons) as SVG through QSvgGenerator: text stays text."""
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    size = widget.size()
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
    painter = QtGui.QPainter(generator)
    try:
        widget.render(painter, QtCore.QPoint(0, 0))
    finally:
        painter.end()
    buffer.close()
    return bytes(buffer.data()).decode("utf-8")


class SvgFigure:
    """An SVG document of ``width`` x ``height`` pixels that pieces are placed into."""

    def __init__(self, width: int, height: int, title: str = "vdq-gui figure"):
        self.root = ElementTree.Element(f"{{{SVG_NS}}}svg", {
            "width": str(width), "height": str(height), "viewBox": f"0 0 {width} {height}", "version": "1.1"})
        ElementTree.SubElement(self.root, f"{{{SVG_NS}}}title").text = title
        ElementTree.SubElement(self.root, f"{{{SVG_NS}}}rect", {
            "x": "0", "y": "0", "width": str(width), "height": str(height), "fill": "#ffffff"})
        self._pieces = 0

    def place(self, svg_text: str, rect: QtCore.QRect) -> None:
        """Nest a whole SVG document at ``rect`` (its own coordinates are pixels of that size)."""
        self._pieces += 1
        svg_text = _prefix_ids(svg_text, f"p{self._pieces}_")
        piece = ElementTree.fromstring(svg_text.encode("utf-8"))
        width, height = rect.width(), rect.height()
        piece.attrib.update({"x": str(rect.x()), "y": str(rect.y()), "width": str(width), "height": str(height)})
        if "viewBox" not in piece.attrib:
            piece.set("viewBox", f"0 0 {width} {height}")
        for name in ("version", "baseProfile"):
            piece.attrib.pop(name, None)
        self.root.append(piece)

    def tostring(self) -> str:
        flatten_scaled_rects(self.root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(self.root, encoding="unicode")


MATRIX = re.compile(r"matrix\(([^)]*)\)")


def flatten_scaled_rects(root: ElementTree.Element) -> None:
    """Rectangles drawn in plot coordinates (a selection band's outline) come out of
    pyqtgraph as <rect>s under a scaling transform, with a non-scaling stroke.  Renderers
    without vector-effect support (librsvg, many slide programs) scale the stroke too: a
    2-pixel outline becomes a band bins wide.  Such groups get their corners transformed
    into paths instead, so no transform scales the stroke."""
    for group in root.iter(f"{{{SVG_NS}}}g"):
        match = MATRIX.fullmatch(group.get("transform", "").strip())
        children = list(group)
        if match is None or not children or any(child.tag != f"{{{SVG_NS}}}rect" for child in children):
            continue
        a, b, c, d, e, f = (float(v) for v in re.split(r"[ ,]+", match.group(1).strip()))
        for rect in children:
            x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
            w, h = float(rect.get("width", 0)), float(rect.get("height", 0))
            corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
            points = [(a * px + c * py + e, b * px + d * py + f) for px, py in corners]
            path = " ".join(f"{'M' if i == 0 else 'L'}{px:.3f},{py:.3f}" for i, (px, py) in enumerate(points))
            rect.tag = f"{{{SVG_NS}}}path"
            for name in ("x", "y", "width", "height"):
                rect.attrib.pop(name, None)
            rect.set("d", path + " Z")
        del group.attrib["transform"]


def _prefix_ids(text: str, prefix: str) -> str:
    """Ids (clip paths, gradients) are numbered per document: make them unique per piece."""
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}{m.group(1)}"', text)


def panel_pieces(panel: QtWidgets.QWidget) -> list[QtWidgets.QWidget]:
    """The visible widgets a panel is made of, top to bottom (header, read-outs, plot)."""
    layout = panel.layout()
    pieces = []
    for index in range(layout.count() if layout is not None else 0):
        widget = layout.itemAt(index).widget()
        if widget is not None and widget.isVisible() and widget.width() > 0 and widget.height() > 0:
            pieces.append(widget)
    return pieces


def panels_svg(panels, origin: QtWidgets.QWidget, title: str = "vdq-gui figure") -> str:
    """Panels placed as they are on screen, cropped to the rectangle they cover."""
    rects = [QtCore.QRect(p.mapTo(origin, QtCore.QPoint(0, 0)), p.size()) for p in panels]
    bounds = rects[0]
    for rect in rects[1:]:
        bounds = bounds.united(rect)
    figure = SvgFigure(bounds.width(), bounds.height(), title)
    for panel in panels:
        for piece in panel_pieces(panel):
            top_left = piece.mapTo(origin, QtCore.QPoint(0, 0)) - bounds.topLeft()
            rect = QtCore.QRect(top_left, piece.size())
            svg = scene_svg(piece) if isinstance(piece, pg.GraphicsView) else widget_svg(piece)
            figure.place(svg, rect)
    return figure.tostring()
