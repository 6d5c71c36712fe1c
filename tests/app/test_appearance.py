"""Presentation mode, themes and full screen: the existing plot items are restyled (never
rebuilt), presentation scales fonts, lines and markers and hides the advanced controls,
and leaving either restores exactly what was there."""

import pyqtgraph as pg
import pytest
from PySide6 import QtGui, QtWidgets

from tests.app.conftest import snapshot_1d
from vdq_gui.app import style
from vdq_gui.app.appearance import Look, restyle_pen
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec


@pytest.fixture
def window(qtbot, keep, dialog_log):
    """A window that draws a hand-made snapshot; no training (nothing here needs it)."""
    win = keep(MainWindow(RunSpec.of(load_data("builtin:bimodal")), worker_factory=TrainingWorker))
    win.show()
    win.draw(snapshot_1d(step=200))
    yield win
    win.close()


def look_of(win) -> dict:
    """Every pen colour and width, brush colour and marker size of every plot item, and
    every view's background, keyed by the item (so 'same keys' also means 'same items')."""
    seen = {}
    for view in win.findChildren(pg.GraphicsView):
        seen[("view", id(view))] = view.backgroundBrush().color().name()
        for item in view.scene().items():
            if isinstance(item, pg.PlotDataItem):
                pen = item.opts["pen"]
                seen[id(item)] = (None if pen is None else (pg.mkPen(pen).color().name(), pg.mkPen(pen).widthF()),
                                  item.opts["symbolSize"])
            elif isinstance(item, pg.AxisItem):
                seen[id(item)] = (item.pen().color().name(), item.pen().widthF(), item.textPen().color().name())
            elif isinstance(item, QtWidgets.QGraphicsPathItem):
                seen[id(item)] = (item.pen().color().name(), item.pen().widthF(), item.brush().color().name())
            elif isinstance(item, pg.TextItem):
                seen[id(item)] = (item.color.name(), item.fill.color().name())
    return seen


def test_presentation_scales_fonts_lines_and_markers_and_hides_advanced_controls(window):
    density, controls = window.density, window.controls
    width = density.density_curve.pen().widthF()
    marker = density.model_marks.opts["symbolSize"]
    font = window.font_scale
    before = look_of(window)
    assert controls.seed.isVisibleTo(window) and controls.batch_size.isVisibleTo(window)
    assert window.loss.log_scale.isVisibleTo(window)

    window.actions["presentation"].trigger()  # F5
    assert window.font_scale == style.PRESENTATION_SCALE > font
    assert density.density_curve.pen().widthF() == pytest.approx(width * style.PRESENTATION_LINE_SCALE)
    assert density.model_marks.opts["symbolSize"] == pytest.approx(marker * style.PRESENTATION_LINE_SCALE)
    axis = density.plot.getAxis("bottom")
    assert axis.pen().widthF() == pytest.approx(style.PRESENTATION_LINE_SCALE)
    assert controls.font().pointSizeF() == pytest.approx(style.BASE_POINT_SIZE * style.PRESENTATION_SCALE)
    # Only what a lecture uses stays: no seed, no batch size, no curve toggles.
    assert not controls.seed.isVisibleTo(window) and not controls.batch_size.isVisibleTo(window)
    assert not window.loss.log_scale.isVisibleTo(window) and not window.loss.smooth.isVisibleTo(window)
    for kept in (controls.play_button, controls.dequantizer, controls.speed, controls.learning_rate,
                 controls.dataset):
        assert kept.isVisibleTo(window)
    # High contrast: grey captions become the foreground colour.
    assert "#000000" in density.header.caption.styleSheet()

    window.actions["presentation"].trigger()
    assert window.font_scale == font
    assert look_of(window) == before
    assert controls.seed.isVisibleTo(window) and controls.batch_size.isVisibleTo(window)
    assert window.loss.log_scale.isVisibleTo(window)
    assert "#555555" in density.header.caption.styleSheet()


def test_dark_theme_restyles_the_existing_items_and_light_restores_them(window):
    before = look_of(window)
    curve = window.density.density_curve
    exact = window.loss.curves["exact"]
    window.actions["theme_dark"].trigger()
    assert window.density.density_curve is curve and window.loss.curves["exact"] is exact  # not rebuilt
    after = look_of(window)
    assert after.keys() == before.keys()
    backgrounds = {value for key, value in after.items() if isinstance(key, tuple)}
    assert backgrounds == {style.BACKGROUNDS["dark"]}
    axis = window.density.plot.getAxis("left")
    assert axis.pen().color().name() == style.FOREGROUNDS["dark"]
    assert pg.mkPen(exact.opts["pen"]).color().name() == style.DARK_COLOURS[style.EXACT]  # black line: light
    assert curve.pen().color().name() == style.themed(style.MODEL, in_theme="dark")
    palette = QtWidgets.QApplication.instance().palette()
    assert palette.color(QtGui.QPalette.ColorRole.Window).lightness() < 80
    assert style.DARK_COLOURS["#555555"] in window.density.header.caption.styleSheet()
    assert style.themed(style.MODEL, in_theme="dark") in window.density.header.legend.text()

    window.actions["theme_light"].trigger()
    assert look_of(window) == before
    assert palette.color(QtGui.QPalette.ColorRole.Window) != QtWidgets.QApplication.instance().palette().color(
        QtGui.QPalette.ColorRole.Window)


def test_presentation_and_dark_combine_and_undo_in_any_order(window):
    before = look_of(window)
    window.actions["presentation"].trigger()
    window.actions["theme_dark"].trigger()
    window.actions["presentation"].trigger()
    assert window.density.density_curve.pen().widthF() == pytest.approx(2.5)
    window.actions["theme_light"].trigger()
    assert look_of(window) == before


def test_runs_added_in_the_dark_theme_are_dark_too(window):
    window.appearance.set_theme("dark")
    window.set_compare(["uniform", "variational", "none"])
    for view in window.findChildren(pg.GraphicsView):
        assert view.backgroundBrush().color().name() == style.BACKGROUNDS["dark"]
    for panel in window.plots.noise_panels:
        assert panel.heat.getAxis("left").pen().color().name() == style.FOREGROUNDS["dark"]
        assert style.DARK_COLOURS["#555555"] in panel.header.caption.styleSheet()


def test_the_dark_map_inverts_and_never_hides_a_light_colour():
    light_colours = set(style.DARK_COLOURS) | set(style.DARK_FILLS)
    dark_colours = list(style.DARK_COLOURS.values()) + list(style.DARK_FILLS.values())
    assert len(set(dark_colours)) == len(dark_colours)
    assert not light_colours & set(dark_colours)
    for colour in light_colours:
        for fill in (False, True):
            shown = style.themed(colour, fill=fill, in_theme="dark")
            assert style.unthemed(shown, fill=fill, in_theme="dark") == colour
    pen = style.pen(style.EXACT, 2)
    back = restyle_pen(restyle_pen(pen, Look(), Look("dark", True)), Look("dark", True), Look())
    assert (back.color().name(), back.widthF()) == (pen.color().name(), pen.widthF())


def test_every_run_colour_stands_out_from_both_backgrounds():
    def luminance(name):
        channels = [c / 255 for c in QtGui.QColor(name).getRgb()[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for colour in (*style.RUN_COLOURS.values(), *style.EXTRA_RUN_COLOURS):
        for theme in style.THEMES:
            # 3:1 is WCAG's minimum for graphics next to their background.
            assert contrast(style.themed(colour, in_theme=theme), style.BACKGROUNDS[theme]) >= 3.0, (colour, theme)


def test_f11_toggles_full_screen(window):
    action = window.actions["full_screen"]
    assert action.shortcut().toString() == "F11"
    action.trigger()
    assert window.isFullScreen()
    action.trigger()
    assert not window.isFullScreen()


def test_runs_added_in_presentation_mode_are_drawn_thick_and_thin_again_after(window):
    window.appearance.set_presentation(True)
    window.set_compare(["uniform", "variational"])
    curve, _ = window.density._run_items[0]
    assert curve.pen().widthF() == pytest.approx(2.5 * style.PRESENTATION_LINE_SCALE)
    assert not window.controls.seed.isVisibleTo(window)
    for panel in window.plots.noise_panels:
        assert panel.heat.getAxis("left").pen().widthF() == pytest.approx(style.PRESENTATION_LINE_SCALE)
    window.appearance.set_presentation(False)
    assert curve.pen().widthF() == pytest.approx(2.5)
    assert window.density.density_curve.pen().widthF() == pytest.approx(2.5)
