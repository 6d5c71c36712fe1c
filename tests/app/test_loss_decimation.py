import numpy as np

from vdq_gui.app.panels.loss import MAX_DRAWN_POINTS, decimate


def test_long_histories_are_drawn_as_bucket_means_of_bounded_count():
    x = np.arange(50_000, dtype=float)
    y = np.where(x % 2 == 0, 1.0, 3.0)  # pure noise around a flat trend of 2
    dx, dy = decimate(x, y)
    assert MAX_DRAWN_POINTS // 2 <= dx.size <= MAX_DRAWN_POINTS
    np.testing.assert_allclose(dy[:-1], 2.0)  # the zigzag averages out
    size = 256  # the power of two that brings 50,000 rows to at most 200 points
    np.testing.assert_allclose(dx[:3], [(size - 1) / 2, size + (size - 1) / 2, 2 * size + (size - 1) / 2])
    assert dx[-1] == np.mean(x[(x.size // size) * size:])  # the newest rows, in a partial bucket


def test_drawn_points_stay_put_as_rows_arrive():
    rng = np.random.default_rng(0)
    y = rng.random(40_000)
    x = np.arange(y.size, dtype=float)
    before = decimate(x[:39_000], y[:39_000])
    after = decimate(x, y)
    full = before[0].size - 1  # every bucket but the last, partial one
    np.testing.assert_array_equal(before[0][:full], after[0][:full])
    np.testing.assert_array_equal(before[1][:full], after[1][:full])


def test_short_histories_are_drawn_whole():
    x = np.arange(10, dtype=float)
    dx, dy = decimate(x, x * 2)
    assert np.array_equal(dx, x) and np.array_equal(dy, x * 2)
