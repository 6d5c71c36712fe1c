"""File ▸ Open: show what is in a file before it replaces the current data.

Nothing slow runs on the GUI thread: the preview (headers and a bounded sample, see
``preview_file``) and the load both run in a ``ReadJob`` thread, with a busy bar and a
Cancel button; the result comes back by a queued signal.  A file that cannot even be
previewed closes the dialog with ``error`` set, which the window reports (one place for
bad files); a load that fails says why inside the dialog, so the options can be changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shiboken6
from PySide6 import QtCore, QtGui, QtWidgets

from vdq_gui.data.dataset import DataError, DiscreteData
from vdq_gui.data.loaders import FilePreview, load_data, preview_file

THUMBNAIL_PX = 64
THUMBNAILS_PER_ROW = 8
AUTO = "auto"
MAX_COMBO_ITEMS = 1000  # a combo box with 10^6 column names freezes the window
ERROR_STYLE = "color: #8b0000;"
NOTE_STYLE = "color: #8a5a00;"

_JOBS: set["ReadJob"] = set()


def running_jobs() -> list["ReadJob"]:
    """Read jobs whose thread still runs (for the tests' no-thread-left-behind check)."""
    return [job for job in list(_JOBS) if shiboken6.isValid(job) and job.isRunning()]


def wait_for_jobs(timeout_ms: int = 30_000) -> None:
    """Join the read threads still running (a job the user cancelled finishes its file)."""
    for job in running_jobs():
        job.wait(timeout_ms)


class ReadJob(QtCore.QThread):
    """Runs one reading function off the GUI thread; ``done`` carries its result or its error.

    Reading cannot be interrupted in the middle of a numpy call, so Cancel *abandons* a
    job: its result is dropped, and the thread ends when the bounded read does.
    """

    done = QtCore.Signal(object, object, object)  # (job, result, error): one of result and error is None

    def __init__(self, work: Callable[[], object], source: str, name: str):
        super().__init__()
        self.setObjectName(name)
        self._work, self._source = work, source
        _JOBS.add(self)
        self.finished.connect(self._forget)
        app = QtCore.QCoreApplication.instance()
        if app is not None and not app.property("vdq_read_jobs_joined"):
            app.setProperty("vdq_read_jobs_joined", True)
            app.aboutToQuit.connect(wait_for_jobs)  # never destroy a running QThread at exit

    def run(self) -> None:
        try:
            result, error = self._work(), None
        except DataError as exc:
            result, error = None, exc
        except Exception as exc:  # noqa: BLE001 - the readers raise only DataError; this is the last net
            result, error = None, DataError(self._source, f"{type(exc).__name__}: {exc}")
        self._work = None
        self.done.emit(self, result, error)

    @QtCore.Slot()
    def _forget(self) -> None:
        _JOBS.discard(self)
        self.deleteLater()


def parse_step(text: str) -> float | None:
    """The step field: empty is automatic; anything else must be a positive finite number."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        hint = " (use a point, not a comma, for decimals)" if "," in text else ""
        raise ValueError(f"step: {text!r} is not a number{hint}; write e.g. 0.1, or leave it empty "
                         "for the inferred step") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"step: {text!r} must be a positive number, e.g. 0.1")
    return value


class ImportDialog(QtWidgets.QDialog):
    """Preview + options.  ``options()`` returns keyword arguments for ``load_data``.

    Build it with ``ImportDialog(path)``: reading the preview may raise DataError, which
    the caller reports (the dialog never opens for a file that cannot be read).
    """

    def __init__(self, path: str | Path, parent=None):
        super().__init__(parent)
        self.path = str(path)
        self.preview: FilePreview | None = None
        self.data: DiscreteData | None = None  # set by a successful Load
        self.error: DataError | None = None  # set when not even a preview could be read
        self._job: ReadJob | None = None
        self.setWindowTitle(f"Open {Path(self.path).name}")
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        self.summary = QtWidgets.QLabel(f"<b>{self.path}</b><br>reading a preview…")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.rows_view = QtWidgets.QPlainTextEdit(readOnly=True)
        self.rows_view.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        self.rows_view.setMaximumHeight(180)
        self.rows_view.setLineWrapMode(QtWidgets.QPlainTextEdit.LineWrapMode.NoWrap)
        self.images_view = QtWidgets.QWidget()
        self.images_grid = QtWidgets.QGridLayout(self.images_view)
        self.images_grid.setSpacing(3)
        # Two widgets, one hidden (a stacked widget would keep the height of the larger).
        layout.addWidget(self.rows_view)
        layout.addWidget(self.images_view)
        self.images_view.hide()
        layout.addLayout(self._options_form())
        self.notes = QtWidgets.QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(NOTE_STYLE)
        layout.addWidget(self.notes)
        layout.addLayout(self._progress_row())
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.load_button = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.load_button.setText("Load")
        self.load_button.setEnabled(False)
        buttons.accepted.connect(self._on_load)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._start(lambda: preview_file(self.path), self._on_preview, "reading a preview…")

    def _progress_row(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)  # busy: a read has no meaningful percentage
        self.progress.setTextVisible(False)
        self.progress_label = QtWidgets.QLabel()
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.stop_button.setToolTip("Stop waiting for this read (the file is left alone)")
        self.stop_button.clicked.connect(self._on_stop)
        row.addWidget(self.progress_label)
        row.addWidget(self.progress, 1)
        row.addWidget(self.stop_button)
        self._progress_widgets = (self.progress, self.progress_label, self.stop_button)
        return row

    # -- reading off the GUI thread ----------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    def _start(self, work: Callable[[], object], on_done: Callable[[object, object], None], what: str) -> None:
        """Run ``work`` in a ReadJob; ``on_done(result, error)`` runs here when it ends."""
        self._abandon()
        job = ReadJob(work, self.path, f"import: {what}")
        self._job, self._on_done = job, on_done
        job.done.connect(self._on_job_done)
        self.progress_label.setText(what)
        for widget in self._progress_widgets:
            widget.show()
        self.load_button.setEnabled(False)
        job.start()

    def _abandon(self) -> None:
        """Drop the running job's result (it still ends by itself, see ReadJob)."""
        if self._job is not None and shiboken6.isValid(self._job):
            self._job.done.disconnect(self._on_job_done)
        self._job = None
        for widget in self._progress_widgets:
            widget.hide()
        self.load_button.setEnabled(self.preview is not None)

    @QtCore.Slot(object, object, object)
    def _on_job_done(self, job: object, result: object, error: object) -> None:
        if job is not self._job:
            return  # a job abandoned after it had already emitted
        on_done = self._on_done
        self._abandon()
        on_done(result, error)

    @QtCore.Slot()
    def _on_stop(self) -> None:
        if self.preview is None:
            self.reject()  # nothing to show without a preview
        else:
            self._abandon()
            self._set_message("stopped; nothing was loaded", error=True)

    def exec(self) -> int:
        if self.error is not None:  # the preview failed before the dialog was shown
            return QtWidgets.QDialog.DialogCode.Rejected
        return super().exec()

    def done(self, result: int) -> None:  # accept/reject: never keep waiting for a read
        self._abandon()
        super().done(result)

    def _set_message(self, text: str, error: bool = False) -> None:
        self.notes.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.notes.setText(text)

    def _on_preview(self, preview: FilePreview | None, error: DataError | None) -> None:
        if error is not None:
            if self.preview is None:  # the file itself cannot be read: the window reports it
                self.error = error
                self.reject()
            else:  # another column or array failed: keep the old preview, say why
                self._set_message(str(error), error=True)
            return
        first = self.preview is None
        self.preview = preview
        self._fill_choices(first)
        self._show_preview()
        self.load_button.setEnabled(True)

    @QtCore.Slot()
    def _on_load(self) -> None:
        """Load with the chosen options, off the GUI thread; bad options are said here."""
        try:
            options = self.options()
        except ValueError as exc:
            self._set_message(str(exc), error=True)
            self.step.setFocus()
            return
        self._start(lambda: load_data(self.path, **options), self._on_loaded, "loading…")

    def _on_loaded(self, data: DiscreteData | None, error: DataError | None) -> None:
        if error is not None:
            self._set_message(f"Could not load: {error.reason if error.source == self.path else error}", error=True)
            return
        self.data = data
        self.accept()

    # -- options -------------------------------------------------------------------------
    def _options_form(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        self.column = QtWidgets.QComboBox()
        self.column.setToolTip("Which column of the table holds the data")
        self.column.currentIndexChanged.connect(self._on_source_part_changed)
        self.key = QtWidgets.QComboBox()
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
        self.step.setToolTip("Real values are put on the grid origin + k * step (a positive number, e.g. 0.1)")
        self.as_ = QtWidgets.QComboBox()
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
        for field in (self.column, self.key, self.step, self.as_, self.patch):
            form.setRowVisible(field, False)
        return form

    def _fill_choices(self, first: bool) -> None:
        """Combo boxes from the preview: columns and arrays only the first time, views always."""
        p = self.preview
        if first:
            for combo, items in ((self.column, p.columns), (self.key, p.keys)):
                with QtCore.QSignalBlocker(combo):
                    combo.addItems(list(items[:MAX_COMBO_ITEMS]))
        with QtCore.QSignalBlocker(self.as_):
            self.as_.clear()
            self.as_.addItems(list(p.as_choices))
            if p.default_as:
                self.as_.setCurrentText(p.default_as)

    def options(self) -> dict:
        """Keyword arguments for ``load_data``; only what the user set (None = automatic).

        Raises ValueError, with a message for the user, when a field holds no valid value.
        """
        p = self.preview
        options: dict = {}
        if p is None:
            return options
        if p.columns:
            options["column"] = self.column.currentText()
        if p.keys:
            options["key"] = self.key.currentText()
        if self.levels.value():
            options["levels"] = self.levels.value()
        if self.bits.value():
            options["bits"] = self.bits.value()
        step = parse_step(self.step.text()) if p.real_valued else None  # ValueError says what is wrong
        if step is not None:
            options["step"] = step
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
        shape = f"shape {shape}" if p.complete else f"{p.shape[0]:,} values in the part read"
        k = f"suggested K = {p.levels}" if p.levels else "K cannot be chosen automatically (see notes)"
        self.summary.setText(f"<b>{self.path}</b><br>format: {p.format} · {what} · {shape} · {k}")
        self._set_row_visible(self.column, bool(p.columns))
        self._set_row_visible(self.key, bool(p.keys))
        self._set_row_visible(self.step, p.real_valued)
        self._set_row_visible(self.as_, bool(p.as_choices))
        self._on_view_changed(self.as_.currentText())
        self.step.setPlaceholderText(f"{AUTO} (inferred {p.step:g})" if p.step else AUTO)
        more = len(p.columns) - MAX_COMBO_ITEMS
        notes = list(p.notes) + ([f"only the first {MAX_COMBO_ITEMS} of {len(p.columns):,} columns can be chosen "
                                  "here"] if more > 0 else [])
        self._set_message("<br>".join(notes))
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
        """Another column or array: preview again (off the GUI thread) for its K and step."""
        column = self.column.currentText() or None
        key = self.key.currentText() or None
        self._start(lambda: preview_file(self.path, column=column, key=key), self._on_preview,
                    "reading a preview…")

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
