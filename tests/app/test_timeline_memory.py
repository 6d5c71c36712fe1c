"""The timeline keeps one log buffer per run, however often the log has grown, and a
moment still shows the loss curve it showed live."""

import numpy as np

from vdq_gui.app.timeline import Moment, Timeline
from vdq_gui.training.history import TrainingLog


def _moment(log, step):
    from vdq_gui.training.snapshot import Snapshot

    fields = dict(step=step, elapsed_s=0.0, kind="1d", dequantizer="uniform", is_bound=True, levels=4,
                  origin=0.0, value_step=1.0, learning_rate=1e-3, batch_size=8, metrics={},
                  history=log.history(), data_pmf=np.full(4, 0.25), u_grid=np.linspace(0, 1, 5),
                  noise_density=np.ones((4, 5)))
    return Moment((Snapshot(**fields),))


def _buffers(timeline):
    bases = set()
    for index in range(len(timeline)):
        array = timeline[index].snapshots[0].history.step
        while isinstance(array.base, np.ndarray):
            array = array.base
        bases.add(id(array))
    return bases


def test_old_moments_share_the_newest_log_buffer_and_keep_their_curves():
    log, timeline, shown = TrainingLog(capacity=4), Timeline(recent=1000), []
    for step in range(1, 200):
        log.append(step=step, train_bound=1.0 / step)
        moment = _moment(log, step)
        shown.append(moment.snapshots[0].history.train_bound.copy())
        timeline.add(moment)
    assert len(timeline) == 199
    assert len(_buffers(timeline)) == 1  # the log grew 6 times; only its newest buffer is held
    for index in range(len(timeline)):
        np.testing.assert_array_equal(timeline[index].snapshots[0].history.train_bound, shown[index])


def test_a_cut_log_starts_a_new_lineage_and_earlier_moments_keep_theirs():
    log, timeline = TrainingLog(capacity=4), Timeline(recent=1000)
    for step in range(1, 10):
        log.append(step=step, train_bound=float(step))
        timeline.add(_moment(log, step))
    before = timeline[8].snapshots[0].history.train_bound.copy()
    log.truncate(3)  # a divergence went back to row 3; new rows differ from the old ones
    for step in range(4, 12):
        log.append(step=step, train_bound=-float(step))
        timeline.add(_moment(log, 100 + step))
    np.testing.assert_array_equal(timeline[8].snapshots[0].history.train_bound, before)
    assert timeline[8].snapshots[0].history.lineage is not timeline[len(timeline) - 1].snapshots[0].history.lineage
