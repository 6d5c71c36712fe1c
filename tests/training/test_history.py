import numpy as np
import pytest

from vdq_gui.training.history import LOG_COLUMNS, TrainingLog


def test_last_is_the_newest_finite_value_of_each_column():
    log = TrainingLog(capacity=2)
    log.append(step=1, train_bound=3.0, val_bound=2.5)
    log.append(step=2, train_bound=2.9)
    log.append(step=3, train_bound=float("nan"))
    assert log.last("train_bound") == 2.9
    assert log.last("val_bound") == 2.5
    assert np.isnan(log.last("gap"))


def test_extend_continues_the_log_like_appending_row_by_row():
    source = TrainingLog()
    for i in range(1, 40):
        source.append(step=i, train_bound=5.0 / i, **({"val_bound": 4.0 / i} if i % 7 == 0 else {}))
    copy = TrainingLog(capacity=4)  # has to grow on the way
    for start, stop in ((0, 3), (3, 3), (3, 39)):
        copy.extend(source.rows_from(start)[:, : stop - start])
    assert len(copy) == len(source) == 39
    for name in LOG_COLUMNS:
        np.testing.assert_array_equal(copy.column(name), source.column(name))
        assert copy.last(name) == source.last(name) or np.isnan(source.last(name))
    assert copy.last("val_bound") == 4.0 / 35


def test_views_handed_out_earlier_do_not_change_when_the_log_grows():
    log = TrainingLog(capacity=2)
    log.append(step=1, train_bound=1.0)
    view = log.history()
    log.extend(np.ones((len(LOG_COLUMNS), 10)))
    assert len(view) == 1 and view.train_bound[0] == 1.0


def test_extend_refuses_rows_of_the_wrong_shape():
    with pytest.raises(ValueError, match="shaped"):
        TrainingLog().extend(np.zeros((3, 2)))
