"""Compare mode and the timeline: several runs side by side on the same data, in lockstep;
every panel holds every run; paused plots equal each run's engine snapshot; scrubbing shows
what was drawn live; the timeline's memory stays bounded; closing joins everything."""

import numpy as np
import pytest

from tests.app.conftest import snapshot_1d
from tests.app.fakes import FakeTrainer
from vdq_gui.app.panels.images import tile_images
from vdq_gui.app.session import Lockstep, Session
from vdq_gui.app.timeline import Moment, Timeline
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.dataset import DiscreteData
from vdq_gui.data.loaders import load_data
from vdq_gui.training.inspect import snapshot as engine_snapshot
from vdq_gui.training.loop import RunSpec

WAIT_MS = 60000


def open_compare(qtbot, keep, data, names, **options):
    win = keep(MainWindow(RunSpec.of(data), compare=names, ask_before_reset=False, **options))
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.plots.last_moment is not None, timeout=WAIT_MS)
    return win


def settle(qtbot, win):
    """Every run paused, and what the plots show is each run's final state."""
    assert win.session.wait_idle(30)

    def shown():
        moment = win.plots.last_moment
        return (moment is not None and len(moment.snapshots) == len(win.session.runs)
                and all(s.step == run.worker.trainer.step_count and s is run.snapshot
                        for s, run in zip(moment.snapshots, win.session.runs)))

    qtbot.waitUntil(shown, timeout=WAIT_MS)


def step_all(qtbot, win, steps):
    win.controls.step_count.setValue(steps)
    win.actions["step_n"].trigger()
    settle(qtbot, win)


def assert_panels_equal_engine(win):
    """Each run's curves, heatmap and selected bin are what inspect.snapshot says."""
    runs = win.session.runs
    expected = [engine_snapshot(run.worker.trainer) for run in runs]
    level = win.selected_bin
    curves = [win.density.density_curve] + [curve for curve, _ in win.density._run_items[:len(runs) - 1]]
    marks = [win.density.model_marks] + [m for _, m in win.density._run_items[:len(runs) - 1]]
    noise = [win.detail.noise] + [n for n, _ in win.detail._run_items[:len(runs) - 1]]
    for index, want in enumerate(expected):
        assert win.plots.last_moment.snapshots[index].step == want.step
        np.testing.assert_allclose(curves[index].getData()[1], want.q_density, rtol=1e-6)
        np.testing.assert_allclose(marks[index].getData()[1], want.model_pmf, rtol=1e-6)
        np.testing.assert_allclose(win.plots.noise_panels[index].image.image, want.noise_density.T, rtol=1e-6)
        np.testing.assert_allclose(noise[index].getData()[1], want.noise_density[level], rtol=1e-6)
        loss = win.loss._run_curves[index]["train_bound"]
        np.testing.assert_allclose(loss.xData, want.history.step)


@pytest.fixture(scope="module")
def bimodal():
    return load_data("builtin:bimodal")


def test_two_runs_in_processes_step_in_lockstep_and_match_the_engine(qtbot, keep, dialog_log, bimodal):
    win = open_compare(qtbot, keep, bimodal, ["uniform", "variational"])
    runs = win.session.runs
    assert [run.name for run in runs] == ["uniform", "variational"]
    assert len({run.colour for run in runs}) == 2
    assert all(run.spec.data is bimodal and run.spec.seed == 0 for run in runs)  # only r differs
    step_all(qtbot, win, 30)
    assert [run.worker.trainer.step_count for run in runs] == [30, 30]
    assert_panels_equal_engine(win)
    # Play runs both in lockstep; pause leaves them at one step.
    win.actions["play"].setChecked(True)
    qtbot.waitUntil(lambda: min(run.snapshot.step for run in runs) > 210, timeout=WAIT_MS)
    win.actions["play"].setChecked(False)
    settle(qtbot, win)
    steps = {run.worker.trainer.step_count for run in runs}
    assert len(steps) == 1 and steps.pop() > 210  # past an evaluation
    assert_panels_equal_engine(win)
    assert "variational − uniform" in win.loss.differences.text()
    # Clicking a bin selects it in every run's panels.
    win.plots._on_bin_clicked(4)
    assert all(panel.selection.getRegion() == (4, 5) for panel in win.plots.noise_panels)
    assert_panels_equal_engine(win)
    processes = [run.worker.process for run in runs]
    win.close()
    assert not any(run.worker.isRunning() for run in runs)
    assert not any(process.is_alive() for process in processes)


def test_three_image_runs_have_a_row_of_grids_each(qtbot, keep, dialog_log, tmp_path):
    digits = load_data("builtin:digits")
    win = open_compare(qtbot, keep, digits, ["none", "uniform", "variational"], worker_factory=TrainingWorker)
    step_all(qtbot, win, 2)
    assert win.top_left.currentWidget() is win.plots.image_column
    assert len(win.plots.image_panels) == len(win.plots.noise_panels) == 3
    for run, grid, noise in zip(win.session.runs, win.plots.image_panels, win.plots.noise_panels):
        expected = engine_snapshot(run.worker.trainer)
        np.testing.assert_allclose(grid.items["data_images"].image, tile_images(expected.data_images))
        np.testing.assert_allclose(noise.image.image, expected.noise_density.T)
        assert run.name in grid.header.title.text() and run.name in noise.header.title.text()
    assert "none" in win.loss.differences.text() and "NOT a bound" in win.loss.differences.text()
    assert win.save_screenshot(tmp_path / "three.png")
    win.close()
    assert not any(run.worker.isRunning() for run in win.session.runs)


def test_leaving_compare_mode_returns_to_one_run(qtbot, keep, dialog_log, bimodal):
    win = open_compare(qtbot, keep, bimodal, ["uniform", "variational"], worker_factory=TrainingWorker)
    old = [run.worker for run in win.session.runs]
    assert win.set_compare(["variational"])
    assert len(win.session.runs) == 1 and not any(w.isRunning() for w in old)
    step_all(qtbot, win, 3)
    assert win.last_snapshot.dequantizer == "variational" and win.controls.dequantizer.isEnabled()
    win.close()


def ids(moment):
    """Which snapshot objects a moment holds (a snapshot is not hashable: it holds arrays)."""
    return tuple(id(s) for s in moment.snapshots)


def test_scrubbing_shows_what_was_drawn_live(qtbot, keep, dialog_log, bimodal):
    win = open_compare(qtbot, keep, bimodal, ["uniform", "variational"], worker_factory=TrainingWorker)
    drawn = {}

    def remember(_step):
        moment = win.plots.last_moment
        drawn[ids(moment)] = (win.density.density_curve.getData()[1].copy(),
                                   win.plots.noise_panels[1].image.image.copy())

    win.frame_drawn.connect(remember)
    for _ in range(3):
        step_all(qtbot, win, 10)
    timeline = win.session.timeline
    assert len(timeline) >= 3
    for index in (0, 1, len(timeline) - 2):
        moment = timeline[index]
        win.session.scrub_to(index)
        assert ids(win.plots.last_moment) == ids(moment) and not win.plots.last_moment.live
        q, heat = drawn[ids(moment)]  # drawn live before, exactly these arrays
        np.testing.assert_array_equal(win.density.density_curve.getData()[1], q)
        np.testing.assert_array_equal(win.plots.noise_panels[1].image.image, heat)
        assert win.loss.marker.isVisible() and win.loss.marker.value() == moment.step
        assert f"step {moment.step:,}" in win.plots.timeline_bar.label.text()
    win.plots._on_bin_clicked(3)  # selecting a bin while scrubbing
    assert win.detail.selected == 3
    np.testing.assert_allclose(win.detail.noise.getData()[1], timeline[len(timeline) - 2].snapshots[0].noise_density[3])
    win.actions["live"].trigger()
    assert win.session.position == -1 and win.plots.last_moment.live and not win.loss.marker.isVisible()
    win.actions["back"].trigger()
    assert win.session.position == len(timeline) - 2
    win.close()


def test_timeline_memory_stays_bounded_and_keeps_old_moments():
    timeline = Timeline(recent=64)
    snap = snapshot_1d(step=0)
    for step in range(1, 40001):
        # Distinct steps, shared arrays: only the count matters here.
        timeline.add(Moment((snap.__class__(**{**vars(snap), "step": step}),)))
    assert len(timeline) < 64 + 32 * 11  # RECENT/2 per doubling of the run's length
    steps = timeline.steps()
    assert steps[0] == 1 and steps[-1] == 40000 and steps == sorted(steps)
    assert len([s for s in steps if s > 40000 - 64]) == 64  # the recent ones, all of them
    assert timeline.nbytes() < 5e6


def test_lockstep_waits_for_the_slowest_and_pauses_runs_at_one_step(qtbot):
    data = DiscreteData(np.arange(10) % 4, 4, "1d", name="tiny")
    times = iter([0.0, 0.004])
    session = Session([RunSpec.of(data, dequantizer="uniform"), RunSpec.of(data, dequantizer="variational")],
                      lambda spec, parent: TrainingWorker(spec, parent, build=lambda s, t=next(times):
                                                          FakeTrainer(s, t),
                                                          inspect=lambda tr, **_: snapshot_1d(step=tr.step_count)))
    session.start()
    try:
        assert session.wait_idle(10)
        session.play()
        qtbot.waitUntil(lambda: session.runs[1].worker.trainer.step_count > 100, timeout=20000)
        assert session.lockstep.playing
        session.pause()
        qtbot.waitUntil(lambda: not session.is_running, timeout=10000)
        assert session.wait_idle(10)
        fast, slow = (run.worker.trainer.step_count for run in session.runs)
        assert fast == slow > 100
    finally:
        session.shutdown()


def test_lockstep_chunks_follow_the_slowest_run():
    lockstep = Lockstep()

    class Idle:
        is_running = False
        steps = 0

        def step(self, count):
            self.steps += count

    workers = [Idle(), Idle()]
    lockstep.start()
    assert lockstep.advance(workers) and [w.steps for w in workers] == [10, 10]
    lockstep._sent_at -= 0.5  # that chunk took half a second: 20 steps/s
    assert lockstep.advance(workers) and lockstep.chunk == 5  # CHUNK_S * 20
    lockstep.stop()
    assert not lockstep.advance(workers)
