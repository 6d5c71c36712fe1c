import numpy as np

from vdq_gui.app.panels.loss import MAX_DRAWN_POINTS, decimate


def test_long_histories_are_drawn_with_a_bounded_number_of_points():
    x = np.arange(50_000, dtype=float)
    y = np.sin(x)
    dx, dy = decimate(x, y)
    assert dx.size <= MAX_DRAWN_POINTS
    assert dx[0] == 0 and dx[-1] == x[-1]  # the newest point is always drawn
    assert np.array_equal(dy, np.sin(dx))


def test_short_histories_are_drawn_whole():
    x = np.arange(10, dtype=float)
    dx, dy = decimate(x, x * 2)
    assert np.array_equal(dx, x) and np.array_equal(dy, x * 2)
