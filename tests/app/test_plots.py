"""The layout of the plots fits 1280 x 720 and 1920 x 1080 (issues 8 and 9, projectors):
no tick label cut off or under the loss read-out, three runs' heatmaps with room to read,
and presentation mode beside the explanation panel keeps a real loss chart."""

import dataclasses

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from tests.app.conftest import snapshot_1d
from vdq_gui.app import explain_panel, style
from vdq_gui.app.panels.loss import MIN_PLOT_HEIGHT
from vdq_gui.app.timeline import Moment
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec

RUNS = ["none", "uniform", "variational"]
# What the loss read-out shows (one run: four lines at presentation fonts beside the panel).
FIGURES = {"live_val_bound_bpd": 3.838, "live_val_bound_se": 0.059, "live_val_exact_bpd": 3.8376,
           "live_val_exact_se": 0.059, "live_val_gap_bpd": 5.7e-4, "live_val_gap_se": 3e-5,
           "all_bound_bpd": 3.841, "all_bound_se": 0.019, "all_exact_bpd": 3.8406, "all_exact_se": 0.019,
           "all_gap_bpd": 5.7e-4, "all_gap_se": 1e-5, "val_bound_bpd": 3.84, "iw_bound_bpd": 3.83,
           "exact_bpd": 3.8}


def open_window(qtbot, keep, size, runs=RUNS, presentation=False, explanations=False):
    """A window at ``size`` drawing hand-made snapshots, one per run (no training)."""
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), compare=runs if len(runs) > 1 else None,
                          ask_before_reset=False, worker_factory=TrainingWorker))
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    if presentation:
        win.actions["presentation"].trigger()
    if explanations:
        win.actions["explanations"].trigger()
    snapshots = tuple(dataclasses.replace(snapshot_1d(step=200, dequantizer=name, seed=i), metrics=FIGURES)
                      for i, name in enumerate(runs))
    if len(runs) > 1:
        win.plots.draw(Moment(snapshots))
    else:
        win.draw(snapshots[0])
    settle_layout(win)
    return win


def settle_layout(win):
    app = QtWidgets.QApplication.instance()
    for _ in range(3):  # widgets, then the graphics layouts inside them
        app.processEvents()


def tick_label_rects(axis, view) -> list[QtCore.QRect]:
    """Where ``axis`` writes its tick labels, in ``view``'s widget coordinates."""
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None, "the axis draws nothing"
    return [view.mapFromScene(axis.mapRectToScene(rect)).boundingRect() for rect, _flags, _text in specs[2]]


def in_window(widget, rect: QtCore.QRect) -> QtCore.QRect:
    return QtCore.QRect(widget.mapTo(widget.window(), rect.topLeft()), rect.size())


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("presentation", [False, True])
def test_the_loss_charts_tick_labels_are_whole_and_clear_of_the_readout(qtbot, keep, dialog_log, size,
                                                                         presentation):
    win = open_window(qtbot, keep, size, presentation=presentation)
    assert (win.width(), win.height()) == size, "the window's minimum outgrew the screen"
    # The selected bin's read-out (a line per run) stays inside its chart.
    box = win.detail.info._item.sceneBoundingRect()
    assert win.detail.plot.getViewBox().sceneBoundingRect().adjusted(0, 0, 0, 2).contains(box), box
    loss = win.loss
    assert loss.differences.isVisible() and "NOT a bound" in loss.differences.text()
    view = loss.widget
    labels = tick_label_rects(loss.plot.getAxis("left"), view)
    assert len(labels) >= 2
    readout = in_window(loss.differences, loss.differences.rect())
    for label in labels:
        assert view.rect().contains(label), f"a tick label cut off at the chart's edge: {label} in {view.rect()}"
        assert not in_window(view, label).intersects(readout)
    # Every panel's top label is whole too (the heatmaps', the density's).
    for panel, plot in ((win.density, win.density.plot), (win.plots.noise_panels[0], win.plots.noise_panels[0].heat)):
        for label in tick_label_rects(plot.getAxis("left"), panel.widget):
            assert panel.widget.rect().contains(label)
    win.close()


def test_three_runs_give_each_heatmap_room_and_one_run_keeps_the_grid(qtbot, keep, dialog_log):
    win = open_window(qtbot, keep, (1280, 720))
    heights = [panel.heat.getViewBox().sceneBoundingRect().height() for panel in win.plots.noise_panels]
    # Before three runs had three rows the screenshots showed ~70, 42, 26 px (1280 x 720).
    assert min(heights) >= 36 and heights[0] >= 80, heights
    assert win.loss.plot.getViewBox().sceneBoundingRect().height() >= 150
    # The first heatmap's legend sits beside its title: one line of header, not two.
    first = win.plots.noise_panels[0].header
    assert first.legend_beside_title and first.legend.isVisible()
    assert abs(first.legend.geometry().center().y() - first.title.geometry().center().y()) < first.title.height()
    assert win.plots.bottom_right.height() >= 190
    # The selected bin's read-out (a line per run) stays inside its chart, under a lesson's
    # caption too (it took the last run's line at 160 px).
    win.lessons.caption.text.setText("<b>Lesson · All three side by side</b> — " + "words " * 40)
    win.lessons.caption.show()
    settle_layout(win)
    detail = win.detail
    box = detail.info._item.sceneBoundingRect()
    assert "variational" in detail.info._item.toPlainText()
    assert detail.plot.getViewBox().sceneBoundingRect().adjusted(0, 0, 0, 2).contains(box), box

    win.set_compare(["uniform"])  # one run: the 2 x 2 grid again, the legend on its own line
    settle_layout(win)
    grid = win.plots.grid
    assert grid.getItemPosition(grid.indexOf(win.plots.cells["noise"])) == (0, 1, 1, 1)
    assert grid.getItemPosition(grid.indexOf(win.plots.cells["loss"])) == (1, 0, 1, 1)
    assert not win.noise.header.legend_beside_title
    win.close()


def test_presentation_beside_the_explanations_at_1280_keeps_a_loss_chart(qtbot, keep, dialog_log):
    win = open_window(qtbot, keep, (1280, 720), runs=["variational"], presentation=True, explanations=True)
    dock = win.explain
    assert dock.isVisible()
    assert dock.width() <= 1280 // 4 + 10
    assert dock.notes.font().pointSizeF() <= style.BASE_POINT_SIZE * explain_panel.PRESENTATION_TEXT + 0.01
    assert win.control_scroll.width() <= 300  # was 360: the speed label set it
    loss = win.loss
    assert "all data" in loss.differences.text()
    # Four lines of figures would leave the chart ~40 px: the read-out gives way.
    assert not loss.differences.isVisible()
    assert loss.widget.height() >= MIN_PLOT_HEIGHT * win.font_scale
    # Short legend names at presentation fonts.
    assert "train&nbsp;bound" not in win.loss.header.legend.text() and "train" in win.loss.header.legend.text()
    assert "model&nbsp;density" not in win.density.header.legend.text() and "q(y)" in win.density.header.legend.text()
    win.actions["presentation"].trigger()  # off: the long names and the full-size read-out return
    settle_layout(win)
    assert "train&nbsp;bound" in win.loss.header.legend.text()
    assert "model&nbsp;density&nbsp;q(y)" in win.density.header.legend.text()
    assert win.loss.differences.isVisible()
    assert dock.notes.font().pointSizeF() == pytest.approx(style.BASE_POINT_SIZE)
    win.close()


def test_three_runs_at_presentation_fonts_drop_the_gap_bars_and_get_them_back(qtbot, keep, dialog_log):
    win = open_window(qtbot, keep, (1280, 720), presentation=True)
    noise = win.plots.noise_panels
    assert not any(panel.gap.isVisible() for panel in noise)
    assert "gap" not in noise[0].header.legend.text()  # nor in the legend
    heights = [panel.heat.getViewBox().sceneBoundingRect().height() for panel in noise]
    assert min(heights) >= 30, heights  # 15 px with the gap bars under them
    for panel in noise:  # labels of one heatmap must not run into each other
        labels = tick_label_rects(panel.heat.getAxis("left"), panel.widget)
        assert all(not a.intersects(b) for i, a in enumerate(labels) for b in labels[i + 1:])
    win.actions["presentation"].trigger()  # off: the bars return, drawn from the moment shown
    settle_layout(win)
    assert all(panel.gap.isVisible() for panel in noise[1:])  # (none has no gap)
    assert not noise[0].gap.isVisible()
    assert noise[1].gap_bars.path().elementCount() > 0
    assert "gap" in noise[0].header.legend.text()
    win.close()


def test_three_runs_at_presentation_fonts_keep_the_gap_bars_at_1920(qtbot, keep, dialog_log):
    win = open_window(qtbot, keep, (1920, 1080), presentation=True)
    noise = win.plots.noise_panels
    assert all(panel.gap.isVisible() for panel in noise[1:])
    assert min(panel.heat.getViewBox().sceneBoundingRect().height() for panel in noise) >= 40
    win.close()


def test_the_selected_bins_read_out_keeps_every_run_in_presentation_under_a_caption(qtbot, keep, dialog_log):
    """Four lines (the bin, three runs) do not fit a 1280x720 presentation chart under a
    lesson caption even in the smallest type: they become one wrapped paragraph, and every
    run's figure stays on screen (it showed two of the four lines)."""
    win = open_window(qtbot, keep, (1280, 720), presentation=True)
    win.lessons.caption.text.setText("<b>Lesson · All three side by side</b> — " + "words " * 40)
    win.lessons.caption.show()
    settle_layout(win)
    detail = win.detail
    text = detail.info._item.toPlainText()
    assert all(name in text for name in RUNS), text
    box = detail.info._item.sceneBoundingRect()
    assert detail.plot.getViewBox().sceneBoundingRect().adjusted(0, 0, 0, 2).contains(box), box
    win.actions["presentation"].trigger()  # normal type: still every run, still inside
    settle_layout(win)
    assert all(name in detail.info._item.toPlainText() for name in RUNS)
    box = detail.info._item.sceneBoundingRect()
    assert detail.plot.getViewBox().sceneBoundingRect().adjusted(0, 0, 0, 2).contains(box), box
    win.close()
