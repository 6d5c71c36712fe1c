"""File ▸ Open: show what is in a file before it replaces the current data.

The dialog only *chooses options*; loading goes through ``MainWindow.load_source`` (the
same code path that tests call directly), so a bad file is reported in one place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.data.loaders import FilePreview, preview_file

THUMBNAIL_PX = 64
THUMBNAILS_PER_ROW = 8
AUTO = "auto"


class ImportDialog(QtWidgets.QDialog):
    """Preview + options.  ``options()`` returns keyword arguments for ``load_data``.

    Build it with ``ImportDialog(path)``: reading the preview may raise DataError, which
    the caller reports (the dialog never opens for a file that cannot be read).
    """

    def __init__(self, path: str | Path, parent=None):
        super().__init__(parent)
        self.path = str(path)
        self.preview: FilePreview = preview_file(self.path)
        self.setWindowTitle(f"Open {Path(self.path).name}")
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.rows_view = QtWidgets.QPlainTextEdit(readOnly=True)
        self.rows_view.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.rows_view.setMaximumHeight(180)
        self.images_view = QtWidgets.QWidget()
        self.images_grid = QtWidgets.QGridLayout(self.images_view)
        self.images_grid.setSpacing(3)
        # Two widgets, one hidden (a stacked widget would keep the height of the larger).
        layout.addWidget(self.rows_view)
        layout.addWidget(self.images_view)
        layout.addLayout(self._options_form())
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #8a5a00;")
        layout.addWidget(self.notes)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("Load")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._show_preview()

    # -- options -------------------------------------------------------------------------
    def _options_form(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        p = self.preview
        self.column = QtWidgets.QComboBox()
        self.column.addItems(list(p.columns))
        self.column.setToolTip("Which column of the table holds the data")
        self.column.currentIndexChanged.connect(self._on_source_part_changed)
        self.key = QtWidgets.QComboBox()
        self.key.addItems(list(p.keys))
        self.key.setToolTip("Which array of the .npz archive holds the data")
        self.key.currentIndexChanged.connect(self._on_source_part_changed)
        self.levels = QtWidgets.QSpinBox()
        self.levels.setRange(0, 65536)
        self.levels.setSpecialValueText(AUTO)
        self.levels.setToolTip("K, the number of levels (bins); auto = the range of the values")
        self.bits = QtWidgets.QSpinBox()
        self.bits.setRange(0, 16)
        self.bits.setSpecialValueText("keep")
        self.bits.setToolTip("Merge levels down to 2^bits (e.g. 8-bit pixels to 3 bits)")
        self.step = QtWidgets.QLineEdit()
        self.step.setToolTip("Real values are put on the grid origin + k * step")
        self.step.setValidator(QtGui.QDoubleValidator(1e-12, 1e12, 12))
        self.as_ = QtWidgets.QComboBox()
        self.as_.addItems(list(p.as_choices))
        if p.default_as:
            self.as_.setCurrentText(p.default_as)
        self.as_.setToolTip("images: train on whole images · patches: on small tiles of them · "
                            "pixels: on all pixel values as 1-D data")
        self.as_.currentTextChanged.connect(self._on_view_changed)
        self.patch = QtWidgets.QSpinBox()
        self.patch.setRange(2, 64)
        self.patch.setValue(8)
        self.patch.setToolTip("Side of a square patch, in pixels")
        form.addRow("column", self.column)
        form.addRow("array", self.key)
        form.addRow("levels K", self.levels)
        form.addRow("reduce to bits", self.bits)
        form.addRow("step", self.step)
        form.addRow("use as", self.as_)
        form.addRow("patch size", self.patch)
        self._form = form
        return form

    def options(self) -> dict:
        """Keyword arguments for ``load_data``; only what the user set (None = automatic)."""
        p = self.preview
        options: dict = {}
        if p.columns:
            options["column"] = self.column.currentText()
        if p.keys:
            options["key"] = self.key.currentText()
        if self.levels.value():
            options["levels"] = self.levels.value()
        if self.bits.value():
            options["bits"] = self.bits.value()
        if p.real_valued and self.step.text().strip():
            options["step"] = float(self.step.text())
        if p.as_choices:
            options["as_"] = self.as_.currentText()
            if options["as_"] == "patches":
                options["patch"] = self.patch.value()
        return options

    # -- showing the preview -------------------------------------------------------------
    def _show_preview(self) -> None:
        p = self.preview
        what = "image data" if p.kind == "images" else "1-D values"
        shape = " × ".join(str(s) for s in p.shape)
        k = f"suggested K = {p.levels}" if p.levels else "K cannot be chosen automatically (see notes)"
        self.summary.setText(f"<b>{self.path}</b><br>format: {p.format} · {what} · shape {shape} · {k}")
        self._set_row_visible(self.column, bool(p.columns))
        self._set_row_visible(self.key, bool(p.keys))
        self._set_row_visible(self.step, p.real_valued)
        self._set_row_visible(self.as_, bool(p.as_choices))
        self._on_view_changed(self.as_.currentText())
        self.step.setPlaceholderText(f"{AUTO} (inferred {p.step:g})" if p.step else AUTO)
        self.notes.setText("<br>".join(p.notes))
        images = p.kind == "images" and bool(p.images)
        if images:
            self._show_images(p.images)
        else:
            self.rows_view.setPlainText("\n".join(p.rows))
        self.images_view.setVisible(images)
        self.rows_view.setVisible(not images)

    def _show_images(self, images) -> None:
        while self.images_grid.count():
            item = self.images_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        size = THUMBNAIL_PX if len(images) > 2 else 3 * THUMBNAIL_PX  # one picture: show it big
        for index, image in enumerate(images):
            label = QtWidgets.QLabel()
            label.setPixmap(thumbnail(image, size))
            self.images_grid.addWidget(label, index // THUMBNAILS_PER_ROW, index % THUMBNAILS_PER_ROW)

    def _set_row_visible(self, field: QtWidgets.QWidget, visible: bool) -> None:
        self._form.setRowVisible(field, visible)

    @QtCore.Slot()
    def _on_source_part_changed(self) -> None:
        """Another column or array: preview again for its K and step."""
        column = self.column.currentText() or None
        key = self.key.currentText() or None
        try:
            self.preview = preview_file(self.path, column=column, key=key)
        except Exception as error:  # keep the old preview; say why in the notes
            self.notes.setText(str(error))
            return
        with QtCore.QSignalBlocker(self.as_):
            self.as_.clear()
            self.as_.addItems(list(self.preview.as_choices))
            if self.preview.default_as:
                self.as_.setCurrentText(self.preview.default_as)
        self._show_preview()

    @QtCore.Slot(str)
    def _on_view_changed(self, view: str) -> None:
        self._set_row_visible(self.patch, view == "patches")


def thumbnail(image: np.ndarray, size: int = THUMBNAIL_PX) -> QtGui.QPixmap:
    """A uint8 (H, W) or (H, W, 3) array as a pixmap scaled without smoothing."""
    array = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = array.shape[:2]
    if array.ndim == 2:
        qimage = QtGui.QImage(array.data, width, height, width, QtGui.QImage.Format.Format_Grayscale8)
    else:
        qimage = QtGui.QImage(array.data, width, height, 3 * width, QtGui.QImage.Format.Format_RGB888)
    pixmap = QtGui.QPixmap.fromImage(qimage.copy())  # copy: the numpy buffer goes away
    return pixmap.scaled(size, size, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                         QtCore.Qt.TransformationMode.FastTransformation)
