"""The training thread: commands take effect between steps, snapshots are made only when
the GUI took the previous one, errors are reported and never kill the thread, and
shutdown always joins.  A fake trainer keeps these tests fast and exact."""

import threading
import time

import numpy as np
import pytest

from tests.app.conftest import snapshot_1d
from tests.app.fakes import FakeTrainer
from vdq_gui.app.worker import RunSpec, TrainingWorker
from vdq_gui.data.dataset import DiscreteData

DATA = DiscreteData(np.arange(10) % 4, 4, "1d", name="tiny")


class Inspector:
    def __init__(self):
        self.calls = 0

    def __call__(self, trainer, **_parts):
        self.calls += 1
        return snapshot_1d(step=trainer.step_count)


@pytest.fixture
def make_worker(qtbot):
    workers = []

    def make(step_s=0.0, build=None):
        inspector = Inspector()
        worker = TrainingWorker(RunSpec(DATA), build=build or (lambda spec: FakeTrainer(spec, step_s)),
                                inspect=inspector)
        worker.inspector = inspector
        workers.append(worker)
        worker.start()
        assert worker.wait_idle(5)
        return worker

    yield make
    for worker in workers:
        worker.shutdown()


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


def test_first_snapshot_is_of_the_untrained_model(make_worker):
    worker = make_worker()
    snap = worker.take_snapshot()
    assert snap is not None and snap.step == 0
    assert worker.take_snapshot() is None  # one slot, taken


def test_step_does_exactly_n_steps_in_the_worker_thread(make_worker):
    worker = make_worker()
    worker.step(1)
    assert worker.wait_idle(5)
    assert worker.trainer.step_count == 1
    worker.step(25)
    assert worker.wait_idle(5)
    assert worker.trainer.step_count == 26
    assert worker.trainer.thread_ids and threading.get_ident() not in worker.trainer.thread_ids
    assert worker.take_snapshot().step == 26  # the paused state is always published


def test_pause_takes_effect_within_one_step(make_worker):
    worker = make_worker(step_s=0.01)
    worker.play()
    assert wait_for(lambda: worker.trainer.step_count > 5)
    worker.pause()
    paused_at = worker.trainer.step_count
    assert worker.wait_idle(2)
    assert worker.trainer.step_count <= paused_at + 1
    time.sleep(0.05)
    assert worker.trainer.step_count <= paused_at + 1


def test_snapshots_are_made_only_when_the_gui_took_the_last_one(make_worker):
    worker = make_worker()
    worker.take_snapshot()
    worker.play()
    assert wait_for(lambda: worker.trainer.step_count > 300)
    calls_before = worker.inspector.calls
    assert wait_for(lambda: worker.trainer.step_count > 600)
    # Nobody took a snapshot meanwhile: at most the one already requested was made.
    calls_untaken = worker.inspector.calls
    assert calls_untaken - calls_before <= 1
    assert worker.take_snapshot() is not None
    assert wait_for(lambda: worker.inspector.calls > calls_untaken)  # taking asks for the next
    worker.pause()
    assert worker.wait_idle(2)


def test_speed_limit_slows_training(make_worker):
    worker = make_worker()
    worker.set_speed(20)
    worker.play()
    time.sleep(0.5)
    worker.pause()
    assert worker.wait_idle(2)
    assert 3 <= worker.trainer.step_count <= 15
    worker.set_speed(None)


def test_live_settings_reach_the_trainer_without_reset(make_worker):
    worker = make_worker()
    worker.step(3)
    worker.set_learning_rate(0.123)
    worker.set_batch_size(7)
    assert worker.wait_idle(2)
    assert worker.trainer.learning_rate == 0.123 and worker.trainer.batch_size == 7
    assert worker.trainer.step_count == 3


def test_reset_builds_a_new_trainer_and_drops_stale_snapshots(make_worker):
    worker = make_worker()
    worker.step(10)
    assert worker.wait_idle(2)
    old = worker.trainer
    worker.reset(RunSpec.of(DATA, dequantizer="uniform"))
    assert worker.take_snapshot() is None  # the old run's picture is gone at once
    assert worker.wait_idle(2)
    assert worker.trainer is not old and worker.trainer.step_count == 0
    assert worker.spec.dequantizer == "uniform"
    assert worker.take_snapshot().step == 0


def test_an_exception_is_reported_and_training_pauses(make_worker, qtbot):
    worker = make_worker()
    worker.trainer.fail_at = 4
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.play()
    assert "boom" in blocker.args[0]
    assert worker.wait_idle(2) and worker.isRunning()  # the thread survives
    worker.trainer.fail_at = None
    worker.step(2)
    assert worker.wait_idle(2) and worker.trainer.step_count == 5


def test_a_failing_build_is_reported_and_keeps_the_old_trainer(make_worker, qtbot):
    worker = make_worker()
    old = worker.trainer
    worker.loop.build = lambda spec: (_ for _ in ()).throw(ValueError("bad config"))
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.reset()
    assert "bad config" in blocker.args[0]
    assert worker.wait_idle(2) and worker.trainer is old
    worker.take_snapshot()
    worker.step(2)  # the old run goes on, and its pictures still reach the window
    assert worker.wait_idle(2) and worker.take_snapshot().step == old.step_count == 2


def test_non_finite_loss_pauses_and_says_why(make_worker, qtbot):
    worker = make_worker()
    worker.trainer.nan_at = 8
    with qtbot.waitSignal(worker.stopped, timeout=5000) as blocker:
        worker.play()
    assert "non-finite" in blocker.args[0]
    assert worker.wait_idle(2) and not worker.is_running
    assert worker.trainer.step_count == 7


def test_shutdown_while_training_joins_the_thread(make_worker):
    worker = make_worker(step_s=0.005)
    worker.play()
    assert wait_for(lambda: worker.trainer.step_count > 3)
    worker.shutdown()
    assert not worker.isRunning()
