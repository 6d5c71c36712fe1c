"""The explanation texts (vdq_gui.app.explanations, no Qt): every term has words and a
link, and the per-plot notes change with the dequantizer, compare mode, images and the
state of training."""

import dataclasses
import subprocess
import sys

import numpy as np

from tests.app.conftest import snapshot_1d, snapshot_images
from vdq_gui.app import explanations as ex


def notes(state) -> dict:
    return {key: text for key, _title, text in ex.plot_notes(state)}


def test_the_module_needs_no_qt():
    code = "import sys, vdq_gui.app.explanations; sys.exit(1 if 'PySide6' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_every_term_is_a_link_in_the_formula_and_has_words():
    formula, words = ex.formula_html("1d").replace(ex.WJ, ""), ex.terms_html("1d")
    for key in ex.TERM_PLOTS:
        assert f"term:{key}" in formula + words
        assert ex.TERM_WORDS[key][0] in words
        assert all(plot in ex.PLOT_TITLES for plot in ex.TERM_PLOTS[key])
    assert "KL(r(u|x)" in formula and "log q(x+u)" in formula and "IW" in formula
    assert "no exact curve" in ex.formula_html("images") and "no exact curve" not in formula


def test_each_plot_says_something_else_for_each_dequantizer():
    by_name = {name: notes(ex.ViewState(runs=(name,), step=1000)) for name in ("none", "uniform", "variational")}
    for key in ("density", "noise", "loss", "detail"):
        texts = {name: by_name[name][key] for name in by_name}
        assert len(set(texts.values())) == 3, key
    assert "spikes" in by_name["none"]["density"] and "NOT a bound" in by_name["none"]["loss"]
    assert "steps" in by_name["uniform"]["density"] and "flat colour" in by_name["uniform"]["noise"]
    assert "bend towards" in by_name["variational"]["noise"]


def test_compare_and_images_have_their_own_notes():
    compare = notes(ex.ViewState(runs=("none", "uniform", "variational"), step=500))
    assert "One heatmap per run" in compare["noise"] and "Colour = run" in compare["loss"]
    assert all(word in compare["density"] for word in ("none", "uniform", "learned"))
    images = notes(ex.ViewState(kind="images", runs=("variational",), step=500))
    assert list(images) == ["images", "noise", "loss", "detail"]
    assert "samples" in images["images"] and "no exact value" in images["loss"]


def test_the_notes_follow_the_state_of_training():
    early = notes(ex.ViewState(runs=("variational",), step=10))["noise"]
    later = notes(ex.ViewState(runs=("variational",), step=5000))["noise"]
    assert "still nearly flat" in early and "still nearly flat" not in later
    assert "Early on q is still smooth" in notes(ex.ViewState(runs=("none",), step=10))["density"]
    spikes = notes(ex.ViewState(runs=("none",), step=3000, spike_ratio=12.0))["density"]
    assert "12× the tallest bar" in spikes
    gap = notes(ex.ViewState(runs=("variational",), step=3000, selected_bin=4, bin_gap=0.0123, mean_gap=0.004))
    assert "bin 4: gap 0.012 bits" in gap["detail"] and "gap 4.0e-03 bits/dim" in gap["loss"]


def test_state_of_a_moment():
    snapshot = snapshot_1d(step=300, dequantizer="uniform")
    snapshot = dataclasses.replace(snapshot, metrics={"gap_bpd": 0.02})
    state = ex.state_of((snapshot,), selected_bin=3)
    assert (state.step, state.runs, state.selected_bin, state.kind) == (300, ("uniform",), 3, "1d")
    assert state.bin_gap == float(snapshot.gap_per_bin[3]) and state.mean_gap == 0.02
    assert state.spike_ratio is None
    none = snapshot_1d(step=300, dequantizer="none")
    spiky = dataclasses.replace(none, q_density=np.where(np.arange(none.y_grid.size) == 8, 50.0, none.q_density))
    pair = ex.state_of((spiky, snapshot), selected_bin=99)  # a bin past the end is clamped
    assert pair.selected_bin == snapshot.levels - 1 and pair.spike_ratio > ex.SPIKE_RATIO
    assert pair.bin_gap == float(snapshot.gap_per_bin[-1])  # of the first run that is a bound
    images = ex.state_of((snapshot_images(step=40),), live=False)
    assert images.kind == "images" and not images.live and "(timeline)" in ex.notes_html(images)


def test_notes_html_has_the_lesson_and_plot_links():
    html = ex.notes_html(ex.ViewState(runs=("uniform",), step=7), lesson="Uniform noise")
    assert "Lesson:</b> Uniform noise" in html and "step 7" in html
    assert all(f"plot:{key}" in html for key in ex.plot_keys("1d"))
