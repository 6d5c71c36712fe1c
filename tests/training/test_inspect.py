import numpy as np
import pytest

from vdq_gui.training.inspect import snapshot
from vdq_gui.training.trainer import TrainConfig, Trainer


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_1d_snapshot_densities_are_normalised(bimodal_small, name):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer=name, seed=0))
    trainer.run(50)
    snap = snapshot(trainer)
    assert snap.model_pmf.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.trapezoid(snap.q_density, snap.y_grid) == pytest.approx(1.0, abs=1e-3)
    # Rows on the u midpoint grid: the mean over cells is the integral over [0, 1).
    assert snap.posterior_density.mean(axis=1) == pytest.approx(np.ones(16), abs=2e-3)
    assert snap.noise_density.mean(axis=1) == pytest.approx(np.ones(16), abs=2e-2)
    assert (snap.gap_per_bin >= -1e-6).all()
    assert snap.is_bound


def test_snapshot_gap_matches_trainer_gap(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=0))
    trainer.run(100)
    snap = snapshot(trainer)
    values = trainer.x_val.numpy()
    expected = trainer.evaluate()["gap_bpd"]
    assert snap.gap_per_bin[values].mean() == pytest.approx(expected, abs=2e-3)


def test_none_snapshot_says_it_is_not_a_bound(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="none", seed=0))
    trainer.run(5)
    snap = snapshot(trainer)
    assert not snap.is_bound
    assert np.isnan(snap.gap_per_bin).all()
    assert snap.noise_density[:, 0] == pytest.approx(np.full(16, snap.u_grid.size))


def test_snapshot_is_immutable_and_history_does_not_move(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(seed=0, log_every=1))
    trainer.run(10)
    snap = snapshot(trainer)
    length, first = len(snap.history), snap.history.train_bound.copy()
    with pytest.raises(ValueError):
        snap.q_density[0] = 1.0
    trainer.run(2000)  # grows (and reallocates) the log
    assert len(snap.history) == length
    assert np.array_equal(snap.history.train_bound, first)


def test_image_snapshot_shapes(tiny_images):
    trainer = Trainer(tiny_images, TrainConfig(dequantizer="variational", seed=0, hidden=8))
    trainer.run(3)
    snap = snapshot(trainer)
    assert snap.kind == "images" and snap.y_grid is None and snap.gap_per_bin is None
    assert snap.data_images.shape == (16, 4, 4)
    assert snap.sample_images.shape == (16, 4, 4)
    assert snap.dequantized_images.shape == (16, 4, 4)
    assert snap.noise_density.shape == (5, snap.u_grid.size)
    assert 0.0 <= snap.dequantized_images.min() and snap.dequantized_images.max() <= 1.0
    present = snap.data_pmf > 0
    assert snap.noise_density[present].mean(axis=1) == pytest.approx(np.ones(present.sum()))


def test_a_snapshot_without_the_ladder_equals_the_full_one_but_for_the_ladder(bimodal_small):
    """What the window takes while the Bound ladder tab is hidden: the same picture, less
    the ladder rows and the all-data IW figures they give."""
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=0))
    trainer.run(20)
    full, light = snapshot(trainer), snapshot(trainer, ladder=False)
    assert full.iw_ladder_samples.size > 0 and light.iw_ladder_samples.size == 0
    assert light.iw_ladder_per_bin.shape == (0, full.levels)
    assert {k for k in full.metrics if not k.startswith("all_iw")} == set(light.metrics)
    for name in ("noise_density", "q_density", "gap_per_bin", "bound_per_bin", "model_pmf"):
        np.testing.assert_array_equal(getattr(full, name), getattr(light, name))
