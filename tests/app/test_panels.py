"""Each panel draws a hand-made snapshot exactly: the arrays read back from the plot
items are the snapshot's arrays.  No training here, so these run in milliseconds."""

import numpy as np
import pytest

from tests.app.conftest import snapshot_1d, snapshot_images
from vdq_gui.app.panels.axes import LevelAxis, bin_label
from vdq_gui.app.panels.density import NOT_A_BOUND, DensityPanel
from vdq_gui.app.panels.detail import DetailPanel, format_bits
from vdq_gui.app.panels.images import ImageGridPanel, tile_images
from vdq_gui.app.panels.loss import LossPanel, nice_ceiling, trailing_mean
from vdq_gui.app.panels.noise_map import NoiseMapPanel


def make(keep, cls):
    panel = keep(cls())
    panel.resize(520, 330)
    panel.show()
    return panel


def test_density_panel_draws_the_snapshot(keep):
    panel = make(keep, DensityPanel)
    snap = snapshot_1d()
    panel.draw(snap)
    x, y = panel.density_curve.getData()
    np.testing.assert_array_equal(x, snap.y_grid)
    np.testing.assert_array_equal(y, snap.q_density)
    np.testing.assert_array_equal(panel.model_marks.getData()[1], snap.model_pmf)
    edges, bars = panel.data_bars.getData()
    np.testing.assert_array_equal(edges, np.arange(snap.levels + 1))
    np.testing.assert_array_equal(bars, snap.data_pmf)
    assert not panel.warning._item.isVisible()  # a bound: no warning


def test_density_panel_warns_that_none_is_not_a_bound(keep):
    panel = make(keep, DensityPanel)
    panel.draw(snapshot_1d(dequantizer="none"))
    assert panel.warning._item.isVisible()
    assert "not" in NOT_A_BOUND and "bound" in NOT_A_BOUND


def test_density_hover_reads_out_bin_value_and_probabilities(keep):
    panel = make(keep, DensityPanel)
    snap = snapshot_1d()
    panel.draw(snap)
    text = panel._describe(3.5, 0.01)
    assert "bin 3" in text and "x = -1.5" in text  # origin -3, step 0.5
    assert f"{snap.data_pmf[3]:.4f}" in text and f"{snap.model_pmf[3]:.4f}" in text
    assert panel._describe(-1, 0) is None


def test_noise_map_draws_heatmap_and_gaps(keep):
    panel = make(keep, NoiseMapPanel)
    snap = snapshot_1d()
    panel.draw(snap)
    np.testing.assert_array_equal(panel.image.image, snap.noise_density.T)  # u up, bins across
    levels = panel.image.getLevels()
    assert levels[0] == 0 and levels[1] >= 2  # explicit levels, uniform (1) mid-scale
    np.testing.assert_array_equal(panel.gap_bars.getData()[1], snap.gap_per_bin)
    rect = panel.image.mapRectToParent(panel.image.boundingRect())
    assert (rect.width(), rect.height()) == pytest.approx((snap.levels, 1.0))
    assert "r(u|x)" in panel._describe_heat(2.5, 0.5)


def test_noise_map_without_bound_shows_zero_bars_and_says_why(keep):
    panel = make(keep, NoiseMapPanel)
    panel.draw(snapshot_1d(dequantizer="none"))
    assert np.all(panel.gap_bars.getData()[1] == 0)
    assert panel.gap_note._item.isVisible()


def test_noise_map_for_images_has_no_gap_plot(keep):
    panel = make(keep, NoiseMapPanel)
    panel.draw(snapshot_images())
    assert not panel._gap_shown
    panel.draw(snapshot_1d())
    assert panel._gap_shown


def test_detail_panel_follows_the_selected_bin(keep):
    panel = make(keep, DetailPanel)
    snap = snapshot_1d()
    panel.set_selected_bin(5)
    panel.draw(snap)
    np.testing.assert_array_equal(panel.noise.getData()[1], snap.noise_density[5])
    np.testing.assert_array_equal(panel.posterior.getData()[1], snap.posterior_density[5])
    assert format_bits(snap.gap_per_bin[5]) in panel.info._item.toPlainText()
    panel.set_selected_bin(2)
    np.testing.assert_array_equal(panel.noise.getData()[1], snap.noise_density[2])


def test_detail_panel_for_images_hides_the_posterior(keep):
    panel = make(keep, DetailPanel)
    panel.draw(snapshot_images())
    assert not panel.posterior.isVisible()
    assert "pixel value" in panel.info._item.toPlainText()
    assert "q(u|x)" not in panel.header.legend.text()


def test_detail_panel_in_compare_mode_names_a_posterior_only_where_there_is_one(keep):
    panel = make(keep, DetailPanel)
    panel.set_runs(["uniform", "variational"], ["#1f77b4", "#d62728"])
    panel.draw_runs([snapshot_images(), snapshot_images()])  # images: noise histograms, no q(u|x)
    legend = panel.header.legend.text()
    assert "q(u|x)" not in legend and "histogram" in panel.header.caption.text()
    panel.draw_runs([snapshot_1d(), snapshot_1d(dequantizer="variational")])
    assert "posterior q(u|x)" in panel.header.caption.text()


def test_loss_panel_draws_finite_points_and_smooths_only_for_display(keep):
    panel = make(keep, LossPanel)
    snap = snapshot_1d(step=200)
    panel.draw(snap)
    h = snap.history
    x, y = panel.curves["val_bound"].getData()
    keep = np.isfinite(h.val_bound)
    np.testing.assert_array_equal(x, h.step[keep])
    np.testing.assert_array_equal(y, h.val_bound[keep])
    np.testing.assert_array_equal(panel.raw_train.getData()[1], h.train_bound)
    panel.smooth.setChecked(False)
    np.testing.assert_array_equal(panel.curves["train_bound"].getData()[1], h.train_bound)
    panel.log_scale.setChecked(True)  # must not raise with NaN or zero values around
    panel.log_scale.setChecked(False)
    assert "step" in panel._describe(50, 0)


def test_loss_panel_skips_work_when_history_did_not_grow(keep, monkeypatch):
    panel = make(keep, LossPanel)
    snap = snapshot_1d(step=100)
    panel.draw(snap)
    calls = []
    monkeypatch.setattr(panel, "_draw", lambda *a, **k: calls.append(a))
    panel.draw(snap)
    assert calls == []


def test_image_panel_tiles_the_three_grids(keep):
    panel = make(keep, ImageGridPanel)
    snap = snapshot_images()
    panel.draw(snap)
    np.testing.assert_array_equal(panel.items["data_images"].image, tile_images(snap.data_images))
    np.testing.assert_array_equal(panel.items["sample_images"].image, tile_images(snap.sample_images))
    assert tuple(panel.items["dequantized_images"].getLevels()) == (0.0, 1.0)


def test_tile_images_places_every_image():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    mosaic = tile_images(images)
    assert mosaic.shape == (1 + 2 * 3, 1 + 3 * 4)  # 3 columns x 2 rows of 2x3 tiles + padding
    np.testing.assert_array_equal(mosaic[1:3, 1:4], images[0])
    np.testing.assert_array_equal(mosaic[4:6, 1:4], images[3])
    assert tile_images(np.zeros((4, 2, 2, 1))).ndim == 2  # one channel drawn as gray


def test_level_axis_labels_bin_centres_in_original_units(keep):
    axis = LevelAxis()
    axis.set_units(origin=-3.0, step=0.5)
    assert axis.value_of(0.5) == -3.0 and axis.position_of(-3.0) == 0.5
    ticks = axis.tickValues(0, 16, 400)
    positions = [p for _, values in ticks for p in values]
    assert positions and all(abs((p - 0.5) % 1) < 1e-9 for p in positions)  # only at bin centres
    assert axis.tickStrings([0.5, 2.5], 1, 2)[0] in ("-3", "-3.0")
    assert bin_label(3, 0, 1) == "bin 3" and bin_label(3, -3, 0.5) == "bin 3 (x = -1.5)"


def test_display_helpers():
    values = np.array([1.0, np.nan, 3.0, 5.0])
    np.testing.assert_allclose(trailing_mean(values, 2), [1.0, 1.0, 3.0, 4.0])
    assert nice_ceiling(4) == 5 and nice_ceiling(120) == 150 and nice_ceiling(10) == 10


def test_panels_accept_a_larger_font_scale(keep):
    for cls in (DensityPanel, NoiseMapPanel, DetailPanel, LossPanel, ImageGridPanel):
        panel = make(keep, cls)
        panel.set_font_scale(1.5)
        panel.draw(snapshot_images() if cls is ImageGridPanel else snapshot_1d())
        panel.reset_view()


def test_loss_panel_hides_the_gap_when_there_is_no_bound(keep):
    panel = make(keep, LossPanel)
    panel.draw(snapshot_1d(step=100, dequantizer="none"))
    assert not panel.curves["gap"].isVisible() and not panel.plot.getAxis("right").isVisible()
    assert "NOT a bound" in panel.header.caption.text()
    panel.draw(snapshot_1d(step=105))
    assert panel.curves["gap"].isVisible() and panel.plot.getAxis("right").isVisible()
    assert "gap" in panel.header.legend.text()


def test_noise_map_draws_bins_without_training_data_apart(keep):
    from dataclasses import replace

    panel = make(keep, NoiseMapPanel)
    snap = snapshot_1d()
    counts = np.full(snap.levels, 7)
    counts[[0, 5]] = 0
    snap = replace(snap, train_counts=counts)
    panel.draw(snap)
    _, seen = panel.gap_bars.getData()
    _, unseen = panel.unseen_bars.getData()
    np.testing.assert_array_equal(unseen[[0, 5]], snap.gap_per_bin[[0, 5]])
    assert (seen[[0, 5]] == 0).all() and (unseen[counts > 0] == 0).all()
    np.testing.assert_array_equal(seen[counts > 0], snap.gap_per_bin[counts > 0])
    assert "no&nbsp;training&nbsp;data" in panel.header.legend.text()
    assert "no training data here" in panel._describe_gap(5.5, 0.0)


def test_a_short_vertical_axis_gets_no_more_labels_than_fit(qapp):
    import pyqtgraph as pg

    from vdq_gui.app.panels.axes import limit_ticks

    axis = pg.AxisItem("left")
    limit_ticks(axis)
    # 40 px at a ~13 px font: two labels fit, on round values spanning the range.
    (spacing, values), *more = axis.tickValues(0.0, 1.03, 40)
    assert values == [0.0, 1.0] and not more
    (spacing, values), *_ = axis.tickValues(-0.03, 1.03, 90)
    assert values == pytest.approx([0.0, 0.5, 1.0])
    (spacing, values), *_ = axis.tickValues(0.0, 0.066, 40)
    assert values == pytest.approx([0.0, 0.05])
    tall = axis.tickValues(0.0, 1.0, 600)
    assert len(tall[0][1]) >= 5  # room: pyqtgraph's own ticks


def test_thinned_ticks_keep_the_decimals_they_need(qapp):
    import pyqtgraph as pg

    from vdq_gui.app.panels.axes import limit_ticks

    axis = pg.AxisItem("left")
    limit_ticks(axis)
    # 3.3 .. 4.7 on 45 px: round spacings above 0.5 leave at most one label, so every
    # other given tick is kept, written with its decimals.
    levels = axis.tickValues(3.3, 4.7, 45)
    strings = axis.tickStrings(levels[0][1], 1.0, levels[0][0])
    assert len(strings) == len(set(strings)) >= 2, strings


def test_a_vertical_axis_label_that_does_not_fit_is_hidden_not_cut(qtbot, keep):
    from vdq_gui.app.panels.detail import DetailPanel

    panel = keep(DetailPanel())
    panel.resize(500, 400)
    panel.show()
    qtbot.waitExposed(panel)
    axis = panel.plot.getAxis("left")
    assert axis.label.isVisible()
    panel.resize(500, 120)  # shorter than "density of u" is long
    qtbot.waitUntil(lambda: not axis.label.isVisible())
    panel.resize(500, 400)
    qtbot.waitUntil(lambda: axis.label.isVisible())
