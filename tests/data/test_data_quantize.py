"""Step inference, discretization and requantization."""

from __future__ import annotations

import numpy as np
import pytest

from vdq_gui.data import DataError, DiscreteData
from vdq_gui.data.quantize import discretize, infer_step, quantize, requantize


@pytest.mark.parametrize(("values", "origin", "step"), [
    (np.arange(-23, 24) * 0.1, -2.3, 0.1),
    ([0.1, 0.30000000000000004, 0.7000000000000001], 0.1, 0.2),
    (np.arange(100, dtype=np.float32) / 10 + 1000, 1000.0, 0.1),   # float32 noise
    (np.arange(256, dtype=np.float32) / 255, 0.0, 1 / 255),         # not a decimal grid
    ([-3.0, -2.75, 1.5], -3.0, 0.25),
])
def test_infer_step(values, origin, step):
    found_origin, found_step = infer_step(np.asarray(values))
    assert found_origin == pytest.approx(origin) and found_step == pytest.approx(step, rel=1e-6)


@pytest.mark.parametrize(("values", "word"), [
    (np.random.default_rng(0).random(100), "continuous"),
    (np.random.default_rng(0).random(5000), "distinct"),
    (np.arange(5000) * 0.001, "levels"),
    ([1.0, np.inf], "infinite"),
])
def test_infer_step_refuses(values, word):
    with pytest.raises(DataError, match=word):
        infer_step(np.asarray(values), source="v.csv")


def test_quantize_tolerates_float_noise():
    assert quantize(np.array([0.1, 0.30000000000000004, 0.5]), 0.1, 0.1).tolist() == [0, 2, 4]
    big = np.array([2**60, 2**60 + 3], dtype=np.int64)
    assert quantize(big, 2**60, 1).tolist() == [0, 3]  # exact, no float rounding


def test_discretize_user_grid_and_depth():
    binned = discretize(np.array([0.0, 0.26, 0.5]), "x", step=0.25)
    assert binned.values.tolist() == [0, 1, 2] and any("rounded" in n for n in binned.notes)
    assert discretize(np.array([3, 4], np.uint8), "x", depth=256).levels == 256
    with pytest.raises(DataError, match="above the smallest"):
        discretize(np.array([1, 2]), "x", origin=2)
    with pytest.raises(DataError, match="positive"):
        discretize(np.array([1.5, 2.5]), "x", step=0)


def test_requantize_8_to_3_bits():
    data = DiscreteData(np.arange(256), 256, "1d", name="px")
    small = requantize(data, bits=3)
    assert small.levels == 8 and small.values.tolist() == np.repeat(np.arange(8), 32).tolist()
    assert small.step == 32 and small.to_original(0) == pytest.approx(15.5)  # middle of 0..31
    assert any("256 to 8" in n for n in small.notes)
    assert requantize(data, levels=256) is data
    with pytest.raises(DataError, match="only fewer"):
        requantize(small, levels=16)
    with pytest.raises(DataError, match="exactly one"):
        requantize(data)


def test_integers_start_at_their_minimum_unless_told_otherwise():
    values = np.array([70, 100, 162])
    assert discretize(values, "x").origin == 70 and discretize(values, "x").levels == 93
    assert discretize(values, "x", origin=0).levels == 163  # --origin 0 keeps zero
    assert discretize(values, "x", levels=200).origin == 0  # a stated K counts from 0
    pixels = discretize(values.astype(np.uint8), "x", depth=256)
    assert pixels.origin == 0 and pixels.levels == 256  # the format fixes K: 0 is black
    assert discretize(values, "x", zero_origin=True).origin == 0


@pytest.mark.parametrize(("name", "levels"), [("bimodal", 32), ("counts", 64), ("digits", 17), ("demo_patches", 256)])
def test_builtins_keep_their_levels_and_zero_origin(name, levels):
    from vdq_gui.data import load_data

    data = load_data(f"builtin:{name}")
    assert data.levels == levels and data.origin == 0
