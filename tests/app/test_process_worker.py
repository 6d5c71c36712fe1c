"""The process worker: the same commands and signals as the thread worker, with training
in a spawned process.  Commands reach it, pictures come back only when taken, errors and
a dying process are reported and never end the window's side, and shutdown always joins
both the relay thread and the process."""

import multiprocessing
import os
import time

import numpy as np
import pytest

from tests.app import fakes
from tests.app.test_worker import wait_for
from vdq_gui.app.process_worker import ProcessTrainingWorker
from vdq_gui.data.dataset import DiscreteData
from vdq_gui.training.loop import RunSpec

DATA = DiscreteData(np.arange(10) % 4, 4, "1d", name="tiny")
START_S = 60  # a spawned process imports torch: seconds on a busy machine


@pytest.fixture
def make_worker(qtbot):
    workers = []

    def make(mode="fake"):
        worker = ProcessTrainingWorker(RunSpec.of(DATA, dequantizer=mode), build=fakes.build, inspect=fakes.inspect)
        workers.append(worker)
        worker.start()
        assert wait_for(lambda: worker.trainer is not None, START_S)
        assert worker.wait_idle(START_S)
        return worker

    yield make
    for worker in workers:
        worker.shutdown()
    assert not multiprocessing.active_children()


def test_training_happens_in_another_process_and_steps_exactly(make_worker):
    worker = make_worker()
    assert worker.take_snapshot().step == 0
    worker.step(25)
    assert worker.wait_idle(10)
    assert worker.trainer.step_count == 25
    assert os.getpid() not in worker.trainer.pids
    assert worker.take_snapshot().step == 25  # the paused state is always published


def test_play_pause_and_live_settings(make_worker):
    worker = make_worker("slow")
    worker.play()
    assert worker.is_running
    assert wait_for(lambda: (worker.take_snapshot() or fakes.inspect(fakes.FakeTrainer(worker.spec))).step > 5)
    worker.pause()
    worker.set_learning_rate(0.123)
    worker.set_batch_size(7)
    assert not worker.is_running
    assert worker.wait_idle(10)
    paused_at = worker.trainer.step_count
    assert worker.trainer.learning_rate == 0.123 and worker.trainer.batch_size == 7
    assert worker.wait_idle(1) and worker.trainer.step_count == paused_at


def test_pictures_are_sent_only_when_the_last_one_was_taken(make_worker):
    worker = make_worker("slow")
    worker.take_snapshot()
    worker.play()
    assert wait_for(lambda: worker.slot._latest is not None)
    first = worker.slot._latest
    assert wait_for(lambda: False, 0.3) is False  # 0.3 s of training, nobody takes it
    assert worker.slot._latest is first
    assert worker.take_snapshot() is first
    assert wait_for(lambda: worker.slot._latest is not None)  # taking asked for the next
    worker.pause()
    assert worker.wait_idle(10)


def test_reset_builds_a_new_trainer_and_drops_stale_pictures(make_worker):
    worker = make_worker()
    worker.step(10)
    assert worker.wait_idle(10)
    old = worker.trainer
    worker.reset(RunSpec.of(DATA, dequantizer="other"))
    # The old run's step-10 picture is never shown; on a loaded machine the new model's
    # first picture (step 0) may already be here.
    first = worker.take_snapshot()
    assert first is None or first.step == 0
    assert worker.wait_idle(10)
    assert worker.trainer is not old and worker.trainer.step_count == 0
    assert worker.spec.dequantizer == "other"
    assert worker.take_snapshot().step == 0


def test_errors_are_reported_and_training_can_go_on(make_worker, qtbot):
    worker = make_worker("fail@4")
    with qtbot.waitSignal(worker.failed, timeout=10000) as blocker:
        worker.play()
    assert "boom" in blocker.args[0]
    assert worker.wait_idle(10) and worker.trainer.step_count == 3 and not worker.is_running


def test_a_failing_build_keeps_the_old_run(make_worker, qtbot):
    worker = make_worker()
    worker.step(2)
    assert worker.wait_idle(10)
    with qtbot.waitSignal(worker.failed, timeout=10000) as blocker:
        worker.reset(RunSpec.of(DATA, dequantizer="badbuild"))
    assert "bad config" in blocker.args[0]
    worker.step(3)  # the old run goes on under the new generation, and is shown
    assert worker.wait_idle(10) and worker.trainer.step_count == 5
    assert worker.take_snapshot().step == 5


def test_non_finite_loss_pauses_and_says_why(make_worker, qtbot):
    worker = make_worker("nan@8")
    with qtbot.waitSignal(worker.stopped, timeout=10000) as blocker:
        worker.play()
    assert "non-finite" in blocker.args[0]
    assert worker.wait_idle(10) and not worker.is_running
    assert worker.trainer.step_count == 7


def test_a_dying_process_is_reported_and_reset_starts_a_new_one(make_worker, qtbot):
    worker = make_worker("crash@3")
    first = worker.process.pid
    with qtbot.waitSignal(worker.failed, timeout=10000) as blocker:
        worker.play()
    assert "ended unexpectedly" in blocker.args[0] and "exit code 3" in blocker.args[0]
    assert not worker.is_running
    worker.reset(RunSpec.of(DATA, dequantizer="fake"))
    assert wait_for(lambda: worker.process is not None and worker.process.pid != first, START_S)
    assert worker.wait_idle(START_S) and worker.trainer.step_count == 0
    worker.step(4)
    assert worker.wait_idle(10) and worker.trainer.step_count == 4


def test_shutdown_while_training_joins_thread_and_process(make_worker):
    worker = make_worker("slow")
    worker.play()
    assert wait_for(lambda: worker.is_running and worker.process.is_alive())
    worker.shutdown()
    assert not worker.isRunning() and not worker.process.is_alive()


def test_the_data_of_runs_that_cannot_come_back_is_let_go(make_worker):
    worker = make_worker()
    for name in ("a", "b", "c", "d"):
        worker.reset(RunSpec.of(DATA, dequantizer=name))
        assert worker.wait_idle(10)
    assert worker.spec.dequantizer == "d"
    assert sorted(worker._specs) == [4]  # only the run on screen is kept


def test_a_process_started_before_the_window_is_used_and_sends_the_first_picture(qtbot):
    from vdq_gui.training.prestart import start_training_process

    spec = RunSpec.of(DATA, dequantizer="fake")
    started = start_training_process(spec, fakes.build, fakes.inspect)
    worker = ProcessTrainingWorker(spec, build=fakes.build, inspect=fakes.inspect, started=started)
    pictures = []
    original = worker.slot.put
    worker.slot.put = lambda snapshot, generation: pictures.append(worker.trainer) or original(snapshot, generation)
    try:
        worker.start()
        assert wait_for(lambda: worker.trainer is not None, START_S) and worker.wait_idle(START_S)
        assert worker.process is started.process  # no second process was spawned
        assert pictures[0] is None  # step 0 reached the slot from the process, before any replica
        worker.step(3)
        assert worker.wait_idle(10) and worker.trainer.step_count == 3
    finally:
        worker.shutdown()
    assert not started.process.is_alive()


def test_a_warm_process_started_before_its_run_is_known_serves_the_run_it_is_given(qtbot):
    """vdq-gui starts the training process before it has read its settings and data (it
    imports torch meanwhile) and gives it its run later."""
    from vdq_gui.training.prestart import start_warm_process

    warm = start_warm_process()
    spec = RunSpec.of(DATA, dequantizer="fake")
    started = warm.assign(spec, fakes.build, fakes.inspect)
    worker = ProcessTrainingWorker(spec, build=fakes.build, inspect=fakes.inspect, started=started)
    try:
        worker.start()
        assert wait_for(lambda: worker.trainer is not None, START_S) and worker.wait_idle(START_S)
        assert worker.process is warm.process
        worker.step(2)
        assert worker.wait_idle(10) and worker.trainer.step_count == 2
    finally:
        worker.shutdown()
    warm.close()  # assigned: its worker owns it now; closing again does nothing
    assert not warm.process.is_alive()


def test_a_warm_process_nobody_needs_ends_when_closed(qtbot):
    from vdq_gui.training.prestart import start_warm_process

    warm = start_warm_process()
    began = time.perf_counter()
    warm.close()  # while it imports torch: ended at once, not after the import
    assert not warm.process.is_alive() and time.perf_counter() - began < 1.0


def test_a_process_started_for_another_run_is_stopped_and_replaced(qtbot):
    from vdq_gui.training.prestart import start_training_process

    started = start_training_process(RunSpec.of(DATA, dequantizer="fake"), fakes.build, fakes.inspect)
    worker = ProcessTrainingWorker(RunSpec.of(DATA, dequantizer="slow"), build=fakes.build, inspect=fakes.inspect,
                                   started=started)
    try:
        worker.start()
        assert wait_for(lambda: worker.trainer is not None, START_S) and worker.wait_idle(START_S)
        assert worker.process is not started.process and not started.process.is_alive()
        assert worker.spec.dequantizer == "slow"
    finally:
        worker.shutdown()
