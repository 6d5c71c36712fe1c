"""Panel 1 for image data: a grid of data images, of samples from the model, and of the
dequantized images (x + u) / K the flow is actually trained on.

Each grid is a single ImageItem of the tiled images with fixed levels 0..1, so a frame is
one setImage per grid.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from vdq_gui.app import style
from vdq_gui.app.panels.base import PlotPanel

CAPTION = "data, model samples, and what the flow is trained on"
TOOLTIP = ("The flow never sees the integer pixels: it is trained on the dequantized images, "
           "where every pixel got noise u in [0, 1) added.\nModel samples improve as the "
           "bound (bits/dim) falls.")
GRIDS = (("data_images", "data x"), ("sample_images", "model samples"),
         ("dequantized_images", "dequantized (x+u)/K"))
PADDING = 1  # pixels of background between tiles


class EqualColumns(pg.GraphicsLayoutWidget):
    """Three grids side by side, always the same width (a title's length must not decide)."""

    columns = len(GRIDS)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if not hasattr(self, "ci"):  # pyqtgraph resizes once before the layout exists
            return
        width = (self.viewport().width() - 30) / self.columns  # minus margins and spacing
        for column in range(self.columns):
            self.ci.layout.setColumnFixedWidth(column, max(width, 10))


class ImageGridPanel(PlotPanel):
    def __init__(self, parent=None):
        super().__init__("Images", CAPTION, TOOLTIP, parent)
        self.widget = EqualColumns()
        self.set_body(self.widget)
        self.titles = {}
        self.items = {}
        self.views = {}
        for column, (field, title) in enumerate(GRIDS):
            self.titles[field] = self.widget.addLabel(title, row=0, col=column)
            view = self.widget.addViewBox(row=1, col=column, lockAspect=True, invertY=True,
                                          enableMouse=False)
            view.setMenuEnabled(False)
            item = pg.ImageItem(axisOrder="row-major")
            view.addItem(item)
            self.items[field] = item
            self.views[field] = view
        self._shapes = {}
        self.set_font_scale(1.0)

    def set_compact(self, compact: bool, titles: bool = True) -> None:
        """Compare mode (a row of grids per run): no caption; grid titles on the first row only."""
        self.header.caption.setVisible(not compact)
        for field, _ in GRIDS:
            self.titles[field].setVisible(titles or not compact)
            self.titles[field].setMaximumHeight(1e6 if titles or not compact else 0)

    def draw(self, snapshot) -> None:
        for field, _ in GRIDS:
            images = getattr(snapshot, field)
            if images is None:
                continue
            tiled = tile_images(images)
            self.items[field].setImage(tiled, levels=(0.0, 1.0), autoLevels=False)
            if self._shapes.get(field) != tiled.shape:
                self._shapes[field] = tiled.shape
                self.views[field].autoRange(padding=0.02)

    def reset_view(self) -> None:
        for view in self.views.values():
            view.autoRange(padding=0.02)

    def set_font_scale(self, scale: float) -> None:
        super().set_font_scale(scale)
        for field, title in GRIDS:
            if scale > 1.2:  # presentation fonts: a long title would widen its column
                title = title.split(" (")[0]
            self.titles[field].setText(title, size=style.css_size(scale, 1.0), color=style.themed("k"))


def tile_images(images: np.ndarray) -> np.ndarray:
    """(n, H, W) or (n, H, W, C) -> one near-square mosaic (rows, cols[, C]) with padding
    set to mid-grey so tile borders stay visible on black and white digits alike."""
    if images.ndim == 4 and images.shape[3] == 1:
        images = images[..., 0]  # one channel: draw as greyscale
    n, height, width = images.shape[:3]
    channels = images.shape[3:]
    columns = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / columns))
    cell_h, cell_w = height + PADDING, width + PADDING
    mosaic = np.full((rows * cell_h + PADDING, columns * cell_w + PADDING, *channels), 0.5,
                     dtype=np.float32)
    for index in range(n):
        r, c = divmod(index, columns)
        top, left = PADDING + r * cell_h, PADDING + c * cell_w
        mosaic[top:top + height, left:left + width] = images[index]
    return mosaic
