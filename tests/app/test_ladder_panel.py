"""The bound-ladder panel draws exactly the snapshot's rungs, as gaps above the exact value."""

import numpy as np
import pytest

from vdq_gui.app.panels.ladder import LadderPanel, ladder_rungs
from vdq_gui.data.loaders import load_data
from vdq_gui.training.inspect import snapshot
from vdq_gui.training.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def trained():
    pictures = {}
    for name in ("uniform", "variational", "none"):
        trainer = Trainer(load_data("builtin:bimodal"), TrainConfig(dequantizer=name, seed=0, eval_every=50))
        trainer.run(60)
        pictures[name] = snapshot(trainer)
    return pictures


def heights(bars):
    return np.asarray(bars.opts["height"], dtype=float)


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_ladder_bars_are_the_snapshot_gaps(keep, trained, name):
    snap = trained[name]
    panel = keep(LadderPanel())
    panel.resize(520, 330)
    panel.show()
    level = int(np.argmax(snap.data_pmf))
    panel.set_selected_bin(level)
    panel.draw(snap)
    names, bin_gaps, all_gaps, exact_bin, exact_all = ladder_rungs(snap, level)
    assert names[0] == "ELBO" and names[1:] == [f"IW-{int(m)}" for m in snap.iw_ladder_samples if m > 1]
    # The ELBO's bar is the gap KL(r || q(u|x)) of the bin, and the all-data gap.
    assert bin_gaps[0] == pytest.approx(snap.gap_per_bin[level], abs=1e-6)  # float32 sums
    assert exact_bin == pytest.approx(-np.log2(snap.model_pmf[level]))
    assert all_gaps[0] == pytest.approx(snap.metrics["all_gap_bpd"], abs=1e-6)
    np.testing.assert_allclose(heights(panel.bin_bars), bin_gaps)
    np.testing.assert_allclose(heights(panel.all_bars), all_gaps)
    # IW rungs are ordered for every draw (M grows: the gap shrinks).
    assert (np.diff(bin_gaps[1:]) <= 1e-9).all()
    assert [t for t, _ in panel.plot.getAxis("bottom")._tickLevels[0]] == list(range(len(names)))
    assert all(label.toPlainText() for label in panel.labels)


def test_ladder_says_none_is_no_bound(keep, trained):
    panel = keep(LadderPanel())
    panel.show()
    panel.draw(trained["none"])
    assert heights(panel.bin_bars).size == 0 and not panel.labels
    assert "no bound" in panel.info._item.toPlainText()
