"""Training ▸ Objective…: the window trains on the chosen bound, and says so."""

import dataclasses

import pytest

from tests.app.conftest import snapshot_1d
from tests.app.test_window import bimodal, open_window, train  # noqa: F401 (bimodal: a fixture)
from vdq_gui.app.objective_dialog import ObjectiveDialog
from vdq_gui.app.panels.loss import LossPanel, figures_html, legend_entries
from vdq_gui.training.config import TrainConfig
from vdq_gui.training.loop import RunSpec


def test_the_dialog_shows_the_config_and_returns_the_chosen_fields(qtbot):
    dialog = ObjectiveDialog(TrainConfig(objective="renyi", train_samples=4, alpha=0.3, iw_samples=64))
    qtbot.addWidget(dialog)
    assert dialog.changes() == {"objective": "renyi", "train_samples": 4, "alpha": pytest.approx(0.3),
                                "r_objective": "flowpp", "iw_samples": 64}
    assert dialog.alpha.isEnabled() and dialog.train_samples.isEnabled()
    dialog.objective.setCurrentIndex(dialog.objective.findData("elbo"))
    assert not dialog.train_samples.isEnabled() and not dialog.alpha.isEnabled()
    assert dialog.changes()["train_samples"] is None  # the ELBO takes one draw
    TrainConfig(**dialog.changes())  # whatever it returns, TrainConfig accepts


def test_choosing_the_iw_objective_starts_a_run_trained_on_it(qtbot, keep, dialog_log, bimodal):
    win = open_window(qtbot, keep, RunSpec.of(bimodal, dequantizer="variational"))
    win.ask_before_reset = False
    assert win.set_objective(objective="iw", train_samples=4, iw_samples=32)
    qtbot.waitUntil(lambda: win.last_snapshot is not None and win.last_snapshot.objective == "iw", timeout=30000)
    train(qtbot, win, 5)
    snap = win.last_snapshot
    assert (snap.objective, snap.train_samples, snap.iw_samples) == ("iw", 4, 32)
    assert win.worker.spec.config.objective == "iw"
    assert "trained on the IW-4 bound" in win.loss.header.caption.text()
    assert not win.set_objective(objective="iw", train_samples=4, iw_samples=32)  # nothing changed: no new run
    assert not win.set_objective(alpha=2.0, objective="renyi")  # refused by TrainConfig, with a dialog
    assert dialog_log["errors"] and "alpha" in dialog_log["errors"][-1][1]
    assert win.spec.config.objective == "iw"
    win.close()


def test_the_iw_curve_is_named_by_its_m():
    names = [name for _, _, name in legend_entries(True, True, iw_samples=64)]
    assert "IW-64 bound" in names


def test_figures_give_validation_and_all_data_with_standard_errors():
    metrics = {"live_val_bound_bpd": 3.838, "live_val_bound_se": 0.059, "live_val_exact_bpd": 3.8376,
               "live_val_exact_se": 0.058, "live_val_gap_bpd": 3.5e-4, "live_val_gap_se": 2e-5,
               "all_bound_bpd": 3.841, "all_bound_se": 0.019, "all_exact_bpd": 3.8406, "all_exact_se": 0.019,
               "all_gap_bpd": 3.5e-4, "all_gap_se": 7e-6}
    html = figures_html(dataclasses.replace(snapshot_1d(), metrics=metrics))
    val, everything = html.split("<br>")
    assert "val" in val and "bound 3.838±0.06" in val and "gap 3.5e-04±2e-05" in val
    assert "all data" in everything and "exact 3.841±0.02" in everything
    none = figures_html(dataclasses.replace(snapshot_1d(dequantizer="none"), metrics=metrics))
    assert "bound" not in none and "gap" not in none  # `none` has no bound


def test_the_loss_panel_shows_the_figures_of_the_drawn_state(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    snap = dataclasses.replace(snapshot_1d(), metrics={"all_exact_bpd": 2.5, "all_exact_se": 0.01})
    panel.draw(snap)
    assert "2.500±0.01" in panel.differences.text()
