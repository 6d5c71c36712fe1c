"""The whole window over the real trainer: what is plotted is what the engine says, the
controls drive training, files load (or fail) through the same code path as the dialog,
and closing while training never leaves a thread behind."""

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from vdq_gui.app import import_dialog
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec
from vdq_gui.training.inspect import snapshot as engine_snapshot

WAIT_MS = 20000


@pytest.fixture(scope="module")
def bimodal():
    return load_data("builtin:bimodal")


def open_window(qtbot, keep, spec, **options):
    win = keep(MainWindow(spec, **options))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.last_snapshot is not None, timeout=WAIT_MS)
    return win


@pytest.fixture
def window(qtbot, keep, dialog_log, bimodal):
    """The window as the app opens it: training in a separate process."""
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="variational"))
    yield win
    win.close()


@pytest.fixture
def thread_window(qtbot, keep, dialog_log, bimodal):
    """Training in a thread of this process, so a test can reach into the trainer."""
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="variational"), worker_factory=TrainingWorker)
    yield win
    win.close()


def settle(qtbot, win):
    """Wait until the worker is paused and its final state is what the window shows."""
    assert win.worker.wait_idle(10)
    qtbot.waitUntil(lambda: win.last_snapshot is not None
                    and win.last_snapshot.step == win.worker.trainer.step_count
                    and win.worker.take_snapshot() is None, timeout=WAIT_MS)


def train(qtbot, win, steps):
    win.controls.step_count.setValue(steps)
    win.actions["step_n"].trigger()
    settle(qtbot, win)


def test_paused_plots_equal_the_engine_snapshot(qtbot, window, tmp_path):
    window.actions["play"].setChecked(True)  # what Space does
    qtbot.waitUntil(lambda: window.last_snapshot.step >= 210, timeout=WAIT_MS)  # past an evaluation
    window.actions["play"].setChecked(False)
    settle(qtbot, window)
    expected = engine_snapshot(window.worker.trainer)
    assert window.last_snapshot.step == expected.step >= 210

    x, q = window.density.density_curve.getData()
    np.testing.assert_allclose(x, expected.y_grid)
    np.testing.assert_allclose(q, expected.q_density, rtol=1e-6)
    np.testing.assert_allclose(window.density.model_marks.getData()[1], expected.model_pmf, rtol=1e-6)
    np.testing.assert_allclose(window.density.data_bars.getData()[1], expected.data_pmf)
    np.testing.assert_allclose(window.noise.image.image, expected.noise_density.T, rtol=1e-6)
    drawn_gaps = window.noise.gap_bars.getData()[1] + window.noise.unseen_bars.getData()[1]  # seen + unseen bins
    np.testing.assert_allclose(drawn_gaps, expected.gap_per_bin, rtol=1e-5, atol=1e-9)
    level = window.selected_bin
    np.testing.assert_allclose(window.detail.noise.getData()[1], expected.noise_density[level], rtol=1e-6)
    np.testing.assert_allclose(window.detail.posterior.getData()[1], expected.posterior_density[level],
                               rtol=1e-6)
    # xData/yData: the whole curve (getData() gives only the part clipped to the view).
    np.testing.assert_allclose(window.loss.raw_train.xData, expected.history.step)
    np.testing.assert_allclose(window.loss.raw_train.yData, expected.history.train_bound)
    val = window.loss.curves["val_bound"]
    finite = np.isfinite(expected.history.val_bound)
    np.testing.assert_allclose(val.yData, expected.history.val_bound[finite])
    assert f"step {expected.step:,}" in window.status.step.text()
    assert window.save_screenshot(tmp_path / "paused.png")
    assert (tmp_path / "paused.png").stat().st_size > 10000


def test_step_and_step_n(qtbot, window):
    window.actions["step"].trigger()
    settle(qtbot, window)
    assert window.last_snapshot.step == 1
    train(qtbot, window, 7)
    assert window.last_snapshot.step == 8
    assert not window.actions["play"].isChecked()


def test_learning_rate_and_batch_size_apply_live(qtbot, window):
    train(qtbot, window, 3)
    window.controls.learning_rate.setValue(0.004)
    window.controls.batch_size.setValue(64)
    train(qtbot, window, 2)
    assert window.worker.trainer.learning_rate == pytest.approx(0.004)
    assert window.worker.trainer.batch_size == 64
    assert window.last_snapshot.step == 5  # no reset
    assert window.last_snapshot.learning_rate == pytest.approx(0.004)


def test_reset_asks_first_and_keeps_the_run_when_declined(qtbot, window, dialog_log):
    train(qtbot, window, 5)
    trainer = window.worker.trainer
    dialog_log["answer"] = False
    window.actions["reset"].trigger()
    assert dialog_log["confirms"] and window.worker.trainer is trainer
    dialog_log["answer"] = True
    window.actions["reset"].trigger()
    settle(qtbot, window)
    assert window.worker.trainer is not trainer and window.last_snapshot.step == 0


def test_switching_to_none_rebuilds_and_warns_on_the_plot(qtbot, window):
    window.controls.dequantizer.setCurrentIndex(window.controls.dequantizer.findData("none"))
    window.controls._on_dequantizer_activated(window.controls.dequantizer.currentIndex())
    settle(qtbot, window)
    assert window.last_snapshot.dequantizer == "none" and not window.last_snapshot.is_bound
    assert window.density.warning._item.isVisible()


def test_loading_a_good_file(qtbot, window, tmp_path):
    path = tmp_path / "grades.csv"
    values = np.random.default_rng(0).integers(-2, 9, size=400)
    path.write_text("grade\n" + "\n".join(str(v) for v in values) + "\n")
    assert window.load_source(str(path))
    settle(qtbot, window)
    snap = window.last_snapshot
    assert snap.levels == 11 and snap.origin == -2
    assert window.controls.dataset.currentText() == "grades"
    assert window.density.axis.value_of(0.5) == -2  # axis in the file's units


def test_loading_a_bad_file_changes_nothing(qtbot, window, tmp_path, dialog_log):
    train(qtbot, window, 4)
    trainer, spec = window.worker.trainer, window.spec
    path = tmp_path / "broken.csv"
    path.write_text("name\nalice\nbob\n")
    assert not window.load_source(str(path))
    (title, text), = dialog_log["errors"]
    assert "broken.csv" in text
    assert window.worker.trainer is trainer and window.spec is spec
    assert window.controls.dataset.currentText() == "bimodal"
    assert not window.open_path(str(tmp_path / "missing.npy"))  # unreadable: same dialog
    assert "missing.npy" in dialog_log["errors"][-1][1]


def test_import_dialog_previews_and_returns_load_options(qtbot, keep, tmp_path, monkeypatch, window):
    path = tmp_path / "two.csv"
    path.write_text("a,b\n" + "\n".join(f"{i % 5},{i % 3}" for i in range(50)))
    dialog = keep(import_dialog.ImportDialog(path))
    qtbot.waitUntil(lambda: dialog.preview is not None)  # previewed off the GUI thread
    assert "csv" in dialog.summary.text() and "a,b" in dialog.rows_view.toPlainText()
    dialog.column.setCurrentText("b")
    dialog.levels.setValue(4)
    assert dialog.options() == {"column": "b", "levels": 4}
    # open_path = dialog + load_source; accept the dialog without a modal loop.
    monkeypatch.setattr(import_dialog.ImportDialog, "exec", lambda self: QtWidgets.QDialog.DialogCode.Accepted)
    assert window.open_path(str(path))
    settle(qtbot, window)
    assert window.last_snapshot.levels == 5


def test_import_dialog_shows_image_thumbnails(qtbot, keep):
    from vdq_gui.data.builtin import resource_file

    with resource_file("digits.npz") as path:
        dialog = keep(import_dialog.ImportDialog(path))
        qtbot.waitUntil(lambda: dialog.preview is not None)
    assert dialog.preview.kind == "images"
    assert dialog.images_grid.count() == len(dialog.preview.images) > 0
    assert dialog.options()["as_"] in dialog.preview.as_choices


def test_images_dataset_switches_panels(qtbot, window, tmp_path):
    assert window.load_source("builtin:digits")
    train(qtbot, window, 2)
    assert window.top_left.currentWidget() is window.plots.image_column
    expected = engine_snapshot(window.worker.trainer)
    from vdq_gui.app.panels.images import tile_images

    np.testing.assert_allclose(window.images.items["data_images"].image, tile_images(expected.data_images))
    np.testing.assert_allclose(window.noise.image.image, expected.noise_density.T)
    assert not window.noise._gap_shown
    window.save_screenshot(tmp_path / "digits.png")


def test_clicking_a_bin_selects_it_everywhere(qtbot, window):
    train(qtbot, window, 1)
    plot = window.density.plot
    view = plot.getViewBox()
    scene_point = view.mapViewToScene(QtCore.QPointF(4.5, 0.01))
    widget_point = window.density.widget.mapFromScene(scene_point)
    qtbot.mouseClick(window.density.widget.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget_point)
    qtbot.waitUntil(lambda: window.selected_bin == 4, timeout=2000)
    assert window.detail.selected == 4
    assert window.noise.selection.getRegion() == (4, 5)


def test_worker_errors_open_a_dialog_and_pause(qtbot, thread_window, dialog_log, monkeypatch):
    window = thread_window

    def explode():
        raise RuntimeError("trainer exploded")

    monkeypatch.setattr(window.worker.trainer, "step", explode)
    window.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: bool(dialog_log["errors"]), timeout=WAIT_MS)
    assert "trainer exploded" in dialog_log["errors"][0][1]
    qtbot.waitUntil(lambda: not window.actions["play"].isChecked(), timeout=WAIT_MS)


def test_non_finite_loss_pauses_with_a_banner(qtbot, thread_window, monkeypatch):
    window = thread_window
    trainer = window.worker.trainer

    def nan_step():
        trainer.stopped_reason = "non-finite loss (nan) at step 1"
        return {}

    monkeypatch.setattr(trainer, "step", nan_step)
    window.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: window.banner.isVisible() and "non-finite" in window.banner.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.actions["play"].isChecked(), timeout=WAIT_MS)
    assert window.last_snapshot is not None  # the last good state stays on screen


def test_presentation_mode_and_reset_view(qtbot, window, tmp_path):
    train(qtbot, window, 20)
    window.density.plot.getViewBox().setXRange(3, 6)
    window.actions["reset_view"].trigger()
    (x0, x1), _ = window.density.plot.getViewBox().viewRange()
    assert x0 <= 0.5 and x1 >= 31.5
    window.actions["presentation"].setChecked(True)
    assert window.font_scale > 1
    qtbot.wait(50)
    window.save_screenshot(tmp_path / "presentation.png")
    window.actions["presentation"].setChecked(False)


def test_closing_while_training_stops_the_thread_and_the_process(qtbot, window):
    window.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: window.last_snapshot.step > 5, timeout=WAIT_MS)
    process = window.worker.process
    window.close()
    assert not window.worker.isRunning() and not process.is_alive()


def test_closing_while_training_in_a_thread_stops_it(qtbot, thread_window):
    thread_window.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: thread_window.last_snapshot.step > 5, timeout=WAIT_MS)
    thread_window.close()
    assert not thread_window.worker.isRunning()


def test_redraw_cost_per_frame(qtbot, window, record_property):
    """A frame's draw (all panels' setData) plus the paint it causes stays cheap."""
    import time

    train(qtbot, window, 50)
    snap = window.last_snapshot
    costs = []
    for _ in range(30):
        started = time.perf_counter()
        window.plots._drawn.clear()  # same layout, but every panel draws (not only what changed)
        window.loss._drawn_length = -1  # force the loss curves too (worst case)
        window.draw(snap)
        window.repaint()
        costs.append(time.perf_counter() - started)
    median_ms = 1000 * float(np.median(costs))
    record_property("redraw_ms", median_ms)
    print(f"redraw + paint: median {median_ms:.1f} ms per frame")
    assert median_ms < 100


def test_space_toggles_play_and_pause(qtbot, window):
    window.activateWindow()
    window.setFocus()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert window.actions["play"].isChecked() and window.worker.is_running
    qtbot.waitUntil(lambda: window.last_snapshot.step > 0, timeout=WAIT_MS)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    assert not window.actions["play"].isChecked()
    settle(qtbot, window)


def test_dropping_a_file_opens_it_through_the_import_dialog(qtbot, window, tmp_path, monkeypatch):
    from vdq_gui.app.window import dropped_path

    path = tmp_path / "drop.csv"
    path.write_text("v\n" + "\n".join(str(i % 6) for i in range(60)))
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(path))])
    assert dropped_path(mime) == str(path)
    assert dropped_path(QtCore.QMimeData()) is None
    opened = []
    monkeypatch.setattr(window, "open_path", lambda p: opened.append(p))
    window._dropped = str(path)
    window._open_dropped()
    assert opened == [str(path)]


def test_choosing_a_builtin_from_the_dataset_menu(qtbot, window):
    action = next(a for a in window.dataset_menu.actions() if a.data() == "builtin:counts")
    action.trigger()
    settle(qtbot, window)
    assert window.last_snapshot.levels == 64
    assert window.controls.dataset.currentText() == "counts"
    assert "counts" in window.status.dataset.text()


def test_the_bound_ladder_tab_draws_the_shown_state(qtbot, window):
    from vdq_gui.app.panels.ladder import ladder_rungs

    train(qtbot, window, 30)
    plots = window.plots
    assert plots.bottom_right.currentWidget() is plots.detail
    # Hidden, the ladder is not computed (a third of a picture's cost) ...
    assert window.last_snapshot.iw_ladder_samples.size == 0
    plots.bottom_right.setCurrentWidget(plots.ladder)  # drawn at once, from the last moment
    assert "computed while this tab is shown" in plots.ladder.info._item.textItem.toPlainText()
    # ... and shown, it comes with a fresh picture of the paused state.
    qtbot.waitUntil(lambda: window.last_snapshot.iw_ladder_samples.size > 0, timeout=10000)
    snap = window.last_snapshot
    assert snap.step == 30
    _, bin_gaps, all_gaps, _, _ = ladder_rungs(snap, window.session.selected_bin)
    np.testing.assert_allclose(np.asarray(plots.ladder.bin_bars.opts["height"], dtype=float), bin_gaps)
    np.testing.assert_allclose(np.asarray(plots.ladder.all_bars.opts["height"], dtype=float), all_gaps)
    assert (bin_gaps >= 0).all() and (np.diff(bin_gaps) <= 1e-12).all()
