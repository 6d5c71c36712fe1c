"""The data tables behind File > Export data... and --export: every value is the
snapshot's, CSV and NPZ read back to the same numbers (NPZ with pickle off), and in
compare mode each run has its own columns."""

import numpy as np
import pytest

from vdq_gui.training import tables
from vdq_gui.training.snapshot import History, Snapshot


def make_snapshot(dequantizer="uniform", levels=6, cells=4, steps=(5, 10, 15), seed=0, images=False):
    rng = np.random.default_rng(seed)
    step = np.array(steps, dtype=float)
    n = step.size
    history = History(step, rng.random(n) + 3, np.where(np.arange(n) % 2 == 0, rng.random(n) + 3, np.nan),
                      np.full(n, np.nan), rng.random(n) + 2.5, rng.random(n) * 0.1)
    pmf = rng.random(levels) + 0.1
    pmf /= pmf.sum()
    y = np.linspace(0, levels, levels * 4 + 1)
    one_d = dict(y_grid=y, q_density=rng.random(y.size), model_pmf=pmf * 0.9 + 0.1 / levels,
                 posterior_density=rng.random((levels, cells)) + 0.5,
                 gap_per_bin=rng.random(levels) * 0.05, train_counts=rng.integers(0, 50, levels))
    return Snapshot(step=int(step[-1]), elapsed_s=1.0, kind="images" if images else "1d", dequantizer=dequantizer,
                    is_bound=dequantizer != "none", levels=levels, origin=-1.0, value_step=0.5,
                    learning_rate=0.01, batch_size=32, metrics={}, history=history, data_pmf=pmf,
                    u_grid=(np.arange(cells) + 0.5) / cells, noise_density=rng.random((levels, cells)) + 0.5,
                    **({} if images else one_d))


def column(table, name):
    columns, values = table
    return values[:, columns.index(name)]


def test_one_run_tables_hold_the_snapshot_values():
    snap = make_snapshot()
    metrics = tables.metrics_table([snap], ["uniform"])
    assert metrics[0] == ["step", "train_bound", "val_bound", "iw_bound", "exact", "gap"]
    for name in metrics[0]:
        np.testing.assert_array_equal(column(metrics, name), getattr(snap.history, name))
    noise = tables.noise_table([snap], ["uniform"])
    assert noise[0] == ["bin", "x", "u", "r(u|x)", "q(u|x)"]
    np.testing.assert_array_equal(column(noise, "r(u|x)").reshape(6, 4), snap.noise_density)
    np.testing.assert_array_equal(column(noise, "q(u|x)").reshape(6, 4), snap.posterior_density)
    np.testing.assert_array_equal(column(noise, "u")[:4], snap.u_grid)
    np.testing.assert_array_equal(column(noise, "x")[::4], -1.0 + 0.5 * np.arange(6))
    density = tables.density_table([snap], ["uniform"])
    np.testing.assert_array_equal(column(density, "y"), snap.y_grid)
    np.testing.assert_array_equal(column(density, "q(y)"), snap.q_density)
    gaps = tables.gaps_table([snap], ["uniform"])
    np.testing.assert_array_equal(column(gaps, "gap bits"), snap.gap_per_bin)
    np.testing.assert_array_equal(column(gaps, "model P(x)"), snap.model_pmf)
    np.testing.assert_array_equal(column(gaps, "train count"), snap.train_counts)


def test_compare_mode_gets_one_column_set_per_run_on_the_union_of_steps():
    a = make_snapshot("uniform", steps=(5, 10, 15))
    b = make_snapshot("variational", steps=(5, 10, 15, 20), seed=1)
    metrics = tables.metrics_table([a, b], ["uniform", "variational"])
    np.testing.assert_array_equal(column(metrics, "step"), [5, 10, 15, 20])
    np.testing.assert_array_equal(column(metrics, "uniform:train_bound")[:3], a.history.train_bound)
    assert np.isnan(column(metrics, "uniform:train_bound")[3])
    np.testing.assert_array_equal(column(metrics, "variational:gap"), b.history.gap)
    noise = tables.noise_table([a, b], ["uniform", "variational"])
    np.testing.assert_array_equal(column(noise, "variational:r(u|x)").reshape(6, 4), b.noise_density)
    gaps = tables.gaps_table([a, b], ["uniform", "variational"])
    np.testing.assert_array_equal(column(gaps, "uniform:gap bits"), a.gap_per_bin)
    np.testing.assert_array_equal(column(gaps, "variational:gap bits"), b.gap_per_bin)
    assert "gap bits" not in gaps[0]


def test_images_have_a_noise_grid_and_the_data_pmf_but_no_density_grid():
    snap = make_snapshot("variational", images=True)
    found = tables.all_tables([snap], ["variational"])
    np.testing.assert_array_equal(column(found["density"], "data P(x)"), snap.data_pmf)
    assert np.isnan(column(found["gaps"], "gap bits")).all()
    assert "q(u|x)" not in found["noise"][0]


def test_csv_and_npz_read_back_to_the_same_numbers(tmp_path):
    a, b = make_snapshot("uniform"), make_snapshot("none", seed=2)
    written = tables.export_tables(tmp_path, [a, b], ["uniform", "none"])
    assert sorted(p.name for p in written) == ["density.csv", "gaps.csv", "metrics.csv", "noise.csv", "tables.npz"]
    expected = tables.all_tables([a, b], ["uniform", "none"])
    with np.load(tmp_path / "tables.npz", allow_pickle=False) as npz:
        for key, (columns, values) in expected.items():
            read_columns, read_values = tables.read_csv(tmp_path / f"{key}.csv")
            assert read_columns == columns
            np.testing.assert_array_equal(read_values, values)  # NaN where unknown, exactly
            assert list(npz[f"{key}_columns"]) == columns
            np.testing.assert_array_equal(npz[key], values)
            assert npz[key].dtype == float


def test_runs_with_different_grids_are_refused():
    with pytest.raises(ValueError, match="grids differ"):
        tables.noise_table([make_snapshot(), make_snapshot(levels=7)], ["a", "b"])
