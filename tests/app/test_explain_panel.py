"""The explanation panel: hidden at first and toggled from View; its notes follow the
dequantizer and the moment on screen; hovering or clicking a term highlights the plot
items that draw it (thicker pens, a frame) and undoes it exactly.

Most tests draw hand-made snapshots through the session's own signal into a window whose
workers never start (no torch, no threads); one trains the real model a few steps."""

import pytest
from PySide6 import QtCore

from tests.app.conftest import snapshot_1d, snapshot_images
from vdq_gui.app import explanations, style
from vdq_gui.app.timeline import Moment
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec


@pytest.fixture(scope="module")
def bimodal():
    return load_data("builtin:bimodal")


@pytest.fixture
def window(qtbot, keep, dialog_log, bimodal):
    """A window that never starts training: moments are drawn by hand."""
    win = keep(MainWindow(RunSpec.of(bimodal, dequantizer="uniform"), worker_factory=TrainingWorker))
    win.show()
    yield win
    win.close()


def show(win, *snapshots):
    win.session.moment_changed.emit(Moment(tuple(snapshots)))


def width(item) -> float:
    pen = item.pen() if callable(getattr(item, "pen", None)) else item.opts["pen"]
    return pen.widthF()


def test_hidden_at_first_and_toggled_from_the_view_menu(qtbot, window):
    panel, toggle = window.explain, window.actions["explanations"]
    assert not panel.isVisible() and not toggle.isChecked()
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert toggle in view.actions() and toggle.shortcut().toString() == "F2"
    toggle.trigger()
    qtbot.waitUntil(panel.isVisible)
    assert toggle.isChecked()
    formula = panel.formula.toPlainText().replace(explanations.WJ, "")
    assert "KL(r(u|x)" in formula and "log q(x+u)" in formula
    # The plots keep most of the window.
    assert panel.width() <= window.width() // 3
    toggle.trigger()
    qtbot.waitUntil(lambda: not panel.isVisible())


def test_the_notes_follow_the_dequantizer_and_the_step(qtbot, window):
    window.explain.show()
    show(window, snapshot_1d(step=500, dequantizer="uniform"))
    qtbot.waitUntil(lambda: window.explain.state.step == 500)
    uniform = window.explain.notes.toPlainText()
    assert "flat steps" in uniform
    assert "r(u|x) = 1 in every bin" in uniform and "step 500" in uniform
    show(window, snapshot_1d(step=520, dequantizer="none"))
    qtbot.waitUntil(lambda: window.explain.state.dequantizer == "none")
    none = window.explain.notes.toPlainText()
    assert none != uniform and "NOT a bound" in none and "spikes" in none
    show(window, snapshot_1d(step=540, dequantizer="variational"))
    qtbot.waitUntil(lambda: window.explain.state.dequantizer == "variational")
    assert "bend towards" in window.explain.notes.toPlainText()


def test_images_get_their_own_formula_note_and_plots(qtbot, window):
    window.explain.show()
    show(window, snapshot_images(step=300))
    qtbot.waitUntil(lambda: window.explain.state.kind == "images")
    assert "no exact curve" in window.explain.formula.toPlainText()
    notes = window.explain.notes.toPlainText()
    assert "model samples" in notes.lower() or "samples from the model" in notes
    assert "Bound ladder" not in notes  # not on screen for images


def test_hovering_a_term_thickens_its_curves_and_leaving_restores_them(qtbot, window):
    show(window, snapshot_1d(step=200, dequantizer="uniform"))
    window.explain.show()
    loss, density, detail, noise = window.loss, window.density, window.detail, window.noise
    exact_before = width(loss.curves["exact"])
    q_before = width(density.density_curve)
    window.explain._on_hovered(QtCore.QUrl("term:exact"))
    assert width(loss.curves["exact"]) > exact_before
    assert loss.highlighted_term == "exact" and density.highlighted_term == "exact"
    assert density.model_marks.opts["symbolSize"] > 7  # the P(x) dots grow
    assert width(density.density_curve) == q_before  # not a curve of this term
    assert detail.highlighted_term is None
    assert loss._frame.isVisible()

    window.explain._on_hovered(QtCore.QUrl("term:gap"))  # moving to another term
    assert width(loss.curves["exact"]) == exact_before and loss.highlighted_term == "gap"
    assert detail.highlighted_term == "gap" and noise.highlighted_term == "gap"
    assert width(detail.noise) > 3 and width(detail.posterior) > 2.5
    assert width(noise.gap_bars) > 1.2

    window.explain._on_hovered(QtCore.QUrl())  # left the link
    assert all(panel.highlighted_term is None for panel in window.plots.panels)
    assert width(detail.noise) == 3 and width(noise.gap_bars) == pytest.approx(1.2)
    assert not loss._frame.isVisible()


def test_clicking_flashes_and_brings_a_tabbed_panel_to_the_front(qtbot, window, monkeypatch):
    from vdq_gui.app import explain_panel

    show(window, snapshot_1d(step=200, dequantizer="variational"))
    window.explain.show()
    window.explain._flash.setInterval(50)
    window.plots.bottom_right.setCurrentWidget(window.plots.ladder)
    window.explain._on_clicked(QtCore.QUrl("term:gap"))
    assert window.plots.bottom_right.currentWidget() is window.detail  # revealed
    assert window.detail.highlighted_term == "gap"
    qtbot.waitUntil(lambda: window.detail.highlighted_term is None, timeout=2000)  # the flash ends
    assert explain_panel.FLASH_MS >= 500


def test_a_plot_heading_frames_that_plot(qtbot, window):
    show(window, snapshot_1d(step=200))
    window.explain.show()
    shown = window.explain.show_link(QtCore.QUrl("plot:noise"))
    assert shown == [window.noise] and window.noise._frame.isVisible()
    assert window.loss.highlighted_term is None


def test_every_term_reaches_a_visible_panel_in_one_d_compare_and_images(qtbot, window):
    for snapshots in ((snapshot_1d(step=10),), (snapshot_images(step=10),)):
        show(window, *snapshots)
        for term in explanations.TERM_PLOTS:
            panels = window.plots.highlight(term)
            if term == "exact" and snapshots[0].kind == "images":
                assert panels == []  # no exact value for images: nothing to point at
                continue
            assert panels, term
            tabbed = window.plots.bottom_right
            assert all(panel.isVisible() or tabbed.indexOf(panel) >= 0 for panel in panels), term
        window.plots.highlight(None)


def test_compare_mode_highlights_every_run(qtbot, keep, dialog_log, bimodal):
    win = keep(MainWindow(RunSpec.of(bimodal), compare=["uniform", "variational"], worker_factory=TrainingWorker))
    win.show()
    show(win, snapshot_1d(step=50, dequantizer="uniform"), snapshot_1d(step=50, dequantizer="variational", seed=1))
    iw_items = [curves["iw_bound"] for curves in win.loss._run_curves]
    before = [width(item) for item in iw_items]
    win.plots.highlight("iw")
    assert all(width(item) > b for item, b in zip(iw_items, before))
    win.plots.highlight(None)
    assert [width(item) for item in iw_items] == before
    win.close()


def test_the_notes_keep_up_with_real_training(qtbot, window):
    """The real model in a thread, a few steps: the paused state's step is in the notes."""
    window.explain.show()
    window.start()
    qtbot.waitUntil(lambda: window.last_snapshot is not None, timeout=30000)
    window.controls.step_count.setValue(12)
    window.actions["step_n"].trigger()
    qtbot.waitUntil(lambda: window.last_snapshot is not None and window.last_snapshot.step == 12, timeout=30000)
    qtbot.waitUntil(lambda: "step 12" in window.explain.notes.toPlainText(), timeout=5000)


def test_dark_theme_gives_the_terms_and_the_lesson_dark_theme_colours(qtbot, window):
    panel = window.explain
    window.actions["explanations"].trigger()
    qtbot.waitUntil(panel.isVisible)
    panel.set_lesson("Learned noise", "watch the columns bend")
    light_formula, light_notes = panel.formula.toHtml().lower(), panel.notes.toHtml().lower()
    assert "#0072b2" in light_formula and "#fff4d6" in light_notes
    window.actions["theme_dark"].trigger()  # the panel renders again on the palette's change
    qtbot.waitUntil(lambda: "#0072b2" not in panel.formula.toHtml().lower())
    dark_formula, dark_notes = panel.formula.toHtml().lower(), panel.notes.toHtml().lower()
    # The light theme's blue is too dark on the dark background; the cream box too bright.
    assert "#0072b2" not in dark_formula and style.themed("#0072B2", in_theme="dark") in dark_formula
    assert "#fff4d6" not in dark_notes and style.themed("#fff4d6", fill=True, in_theme="dark") in dark_notes
    assert style.themed("#3d2f00", in_theme="dark") in dark_notes
    window.actions["theme_light"].trigger()
    qtbot.waitUntil(lambda: "#fff4d6" in panel.notes.toHtml().lower())
