"""The session: the runs, the selected bin, the timeline position and view settings, between
the workers and the widgets.

A plain QObject with signals (napari style): the window and the plots *subscribe*, and
nothing reaches across.  The session owns the workers (one per run), the ~30 Hz frame
timer that takes their pictures, the timeline that keeps moments, and the lockstep that
keeps several runs at the same step.

One run (the usual window): Play is the worker's free run, as fast as it goes.
Compare mode (two or three runs, same data, seed, split and batch order; only the
dequantizer differs): Play is *lockstep*: every run gets a "step C" command, and when all
have done it, the next.  C is chosen so that a chunk takes about ``CHUNK_S`` for the
slowest run, so Pause (which just sends no next chunk) leaves every run at the same step
within a fraction of a second, and the faster runs wait rather than run ahead.

Frame budget: the session measures what drawing a frame costs (``frame_cost_ms``) and,
when it is more than ``DRAW_BUDGET_MS``, takes pictures from the runs less often (every
k-th tick, each run on a different tick): fewer pictures also mean less inspection work
for the relays, which leaves more CPU to training on a slow machine.
"""

from __future__ import annotations

import collections
import math
import time
from dataclasses import dataclass

from PySide6 import QtCore

from vdq_gui.app import style
from vdq_gui.app.timeline import CAPTURE_HZ, Moment, Timeline
from vdq_gui.training.loop import RunSpec

FRAME_INTERVAL_MS = 33  # ~30 frames per second
CHUNK_S = 0.25  # a lockstep chunk lasts about this long for the slowest run
MAX_CHUNK = 5000
DRAW_BUDGET_MS = 12.0  # drawing may take this much of each 33 ms tick on the GUI thread
MAX_RUNS = 3


@dataclass
class Run:
    """One run of the session: its name (the dequantizer), colour, spec and worker."""

    name: str
    colour: str
    spec: RunSpec
    worker: object
    snapshot: object = None  # the newest live snapshot taken from the worker


def run_colour(name: str, index: int) -> str:
    return style.RUN_COLOURS.get(name, style.EXTRA_RUN_COLOURS[index % len(style.EXTRA_RUN_COLOURS)])


class Lockstep:
    """Chunks of equal steps for every run (see the module docstring)."""

    def __init__(self):
        self.playing = False
        self.chunk = 10
        self._sent_at = None

    def start(self) -> None:
        self.playing = True
        self._sent_at = None

    def stop(self) -> None:
        self.playing = False

    def advance(self, workers) -> bool:
        """Send the next chunk if every run finished the last one; True if sent."""
        if not self.playing or any(w.is_running for w in workers):
            return False
        now = time.perf_counter()
        if self._sent_at is not None:
            took = max(now - self._sent_at, 1e-3)
            rate = self.chunk / took  # steps/s of the slowest run, round trip included
            self.chunk = int(min(MAX_CHUNK, max(1, round(rate * CHUNK_S))))
        self._sent_at = now
        for worker in workers:
            worker.step(self.chunk)
        return True


class Session(QtCore.QObject):
    runs_changed = QtCore.Signal()          # runs were replaced: views rebuild their layout
    moment_changed = QtCore.Signal(object)  # a Moment to draw (live or from the timeline)
    selected_bin_changed = QtCore.Signal(int)
    position_changed = QtCore.Signal(int)   # timeline index shown, -1 = live
    timeline_changed = QtCore.Signal(int)   # number of moments kept
    running_changed = QtCore.Signal(bool)
    building = QtCore.Signal(str)
    ready = QtCore.Signal(str)
    failed = QtCore.Signal(str)
    stopped = QtCore.Signal(str)

    def __init__(self, specs: list[RunSpec], worker_factory, parent=None):
        super().__init__(parent)
        self.worker_factory = worker_factory
        self.runs: list[Run] = []
        self.selected_bin = 0
        self.position = -1  # -1: live; otherwise an index into the timeline
        self.timeline = Timeline()
        self.lockstep = Lockstep()
        self.speed: float | None = None
        # What pictures leave out because no panel shows it (the ladder's tab starts hidden).
        self.picture_parts: dict = {"ladder": False}
        self.frame_costs = collections.deque(maxlen=120)  # seconds per drawn frame
        self.picture_every = 1  # take a run's picture every k-th tick (frame budget)
        self._tick = 0
        self._last_capture = 0.0
        self._started = False
        self._running = False
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(FRAME_INTERVAL_MS)
        self.timer.timeout.connect(self._on_tick)
        self._make_runs(specs)

    # == runs ===========================================================================
    @property
    def compare(self) -> bool:
        return len(self.runs) > 1

    @property
    def specs(self) -> list[RunSpec]:
        return [run.spec for run in self.runs]

    def _make_runs(self, specs: list[RunSpec]) -> None:
        if not 1 <= len(specs) <= MAX_RUNS:
            raise ValueError(f"a session holds 1 to {MAX_RUNS} runs, not {len(specs)}")
        self.runs = []
        for index, spec in enumerate(specs):
            worker = self.worker_factory(spec, self)
            # Queued across threads, each to a @Slot method (never a lambda).
            worker.building.connect(self._on_building)
            worker.ready.connect(self._on_ready)
            worker.failed.connect(self._on_failed)
            worker.stopped.connect(self._on_stopped)
            worker.running_changed.connect(self._on_running_changed)
            worker.idle.connect(self._on_idle)
            worker.set_picture_parts(**self.picture_parts)
            self.runs.append(Run(spec.dequantizer, run_colour(spec.dequantizer, index), spec, worker))

    def set_picture_parts(self, **parts) -> None:
        """E.g. ``ladder=False``: every run's pictures leave the ladder out (a panel that
        is shown again asks with ``ladder=True`` and gets a fresh picture)."""
        self.picture_parts = {**self.picture_parts, **parts}
        for run in self.runs:
            run.worker.set_picture_parts(**parts)

    def set_runs(self, specs: list[RunSpec]) -> None:
        """Replace every run (e.g. View > Compare): the old workers stop and are joined."""
        self.lockstep.stop()
        for run in self.runs:
            run.worker.shutdown()
            run.worker.deleteLater()
        self._make_runs(specs)
        self.timeline.clear()
        self.position = -1
        self.runs_changed.emit()
        self.timeline_changed.emit(0)
        if self._started:
            self._start_workers()

    def reset(self, specs: list[RunSpec] | None = None, states: list | None = None) -> None:
        """New models for every run (``specs``: one per run, or the current ones); with
        ``states`` (saved ``TrainerState``s, one per run) they continue from those."""
        specs = specs or self.specs
        if len(specs) != len(self.runs):
            self.set_runs(specs)
            if states is None:
                return
        self.lockstep.stop()
        for run, spec, state in zip(self.runs, specs, states or [None] * len(specs)):
            run.spec, run.name, run.snapshot = spec, spec.dequantizer, None
            run.worker.reset(spec, state)
        self.timeline.clear()
        self.position = -1
        self.timeline_changed.emit(0)
        self.position_changed.emit(-1)

    def restore_timeline(self, moments: list) -> None:
        """Put saved moments (tuples of Snapshots, one per run) on the timeline."""
        for snapshots in moments:
            self.timeline.add(Moment(tuple(snapshots)))
        self.timeline_changed.emit(len(self.timeline))

    def request_states(self) -> list:
        """Every run's full state (Futures, see ``TrainingWorkerBase.request_full_state``)."""
        return [run.worker.request_full_state() for run in self.runs]

    # == life cycle =====================================================================
    def start(self) -> None:
        self._started = True
        self._start_workers()
        self.timer.start()

    def _start_workers(self) -> None:
        for run in self.runs:
            run.worker.set_speed(self.speed)
            if not run.worker.isRunning():
                run.worker.start()

    @QtCore.Slot()
    def shutdown(self) -> None:
        """Stop the frames and every worker, and join them (idempotent)."""
        self.timer.stop()
        self.lockstep.stop()
        for run in self.runs:
            run.worker.shutdown()

    # == commands: they act on every run together ========================================
    def play(self) -> None:
        if self.compare:
            self.lockstep.start()
            self.lockstep.advance(self.workers())
        else:
            self.runs[0].worker.play()

    def pause(self) -> None:
        if self.compare:
            self.lockstep.stop()  # the chunk under way finishes: every run at one step
        else:
            self.runs[0].worker.pause()

    def step(self, count: int = 1) -> None:
        self.lockstep.stop()
        for worker in self.workers():
            worker.step(count)

    def set_learning_rate(self, value: float) -> None:
        for run in self.runs:
            run.spec = run.spec.with_changes(learning_rate=value)  # a reset keeps it
            run.worker.set_learning_rate(value)

    def set_batch_size(self, value: int) -> None:
        for run in self.runs:
            run.spec = run.spec.with_changes(batch_size=value)
            run.worker.set_batch_size(value)

    def set_speed(self, steps_per_s: float | None) -> None:
        self.speed = steps_per_s
        for worker in self.workers():
            worker.set_speed(steps_per_s)

    def workers(self) -> list:
        return [run.worker for run in self.runs]

    @property
    def is_running(self) -> bool:
        return self.lockstep.playing or any(w.is_running for w in self.workers())

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Every run paused with nothing pending (tests, screenshots)."""
        deadline = time.monotonic() + timeout
        return all(w.wait_idle(max(0.0, deadline - time.monotonic())) for w in self.workers())

    # == view state =====================================================================
    def select_bin(self, level: int) -> None:
        if int(level) != self.selected_bin:
            self.selected_bin = int(level)
        self.selected_bin_changed.emit(self.selected_bin)

    def scrub_to(self, index: int) -> None:
        """Show timeline moment ``index`` (training goes on; -1 or past the end: live)."""
        if index < 0 or index >= len(self.timeline) or not len(self.timeline):
            return self.go_live()
        self.position = int(index)
        self.position_changed.emit(self.position)
        self.moment_changed.emit(self.timeline[self.position])

    def scrub_by(self, delta: int) -> None:
        if not len(self.timeline):
            return
        here = len(self.timeline) - 1 if self.position < 0 else self.position
        self.scrub_to(min(max(0, here + delta), len(self.timeline) - 1))

    def go_live(self) -> None:
        self.position = -1
        self.position_changed.emit(-1)
        moment = self.live_moment()
        if moment is not None:
            self.moment_changed.emit(moment)

    def live_moment(self) -> Moment | None:
        if any(run.snapshot is None for run in self.runs):
            return None
        return Moment(tuple(run.snapshot for run in self.runs))

    # == frames =========================================================================
    @QtCore.Slot()
    def _on_tick(self) -> None:
        self._tick += 1
        new = False
        for index, run in enumerate(self.runs):
            # Over the budget, each run's picture is taken on its own tick of every k.
            if (self._tick + index) % self.picture_every:
                continue
            snapshot = run.worker.take_snapshot()
            if snapshot is not None:
                run.snapshot, new = snapshot, True
        if self.compare and self.lockstep.playing:
            self.lockstep.advance(self.workers())
        if not new:
            return
        moment = self.live_moment()
        if moment is None:
            return
        self._capture(moment)
        if self.position < 0:
            self.moment_changed.emit(moment)

    def _capture(self, moment: Moment) -> None:
        now = time.monotonic()
        if now - self._last_capture >= 1.0 / CAPTURE_HZ or not self.is_running:
            self._last_capture = now
            self.timeline.add(moment)
            self.timeline_changed.emit(len(self.timeline))

    def record_frame_cost(self, seconds: float) -> None:
        """Views report what drawing a moment cost; the picture rate follows the budget."""
        self.frame_costs.append(seconds)
        if len(self.frame_costs) >= 10:
            recent = sorted(self.frame_costs)[len(self.frame_costs) // 2] * 1000
            want = max(1, min(len(self.runs) * 2, math.ceil(recent / DRAW_BUDGET_MS)))
            if not self.is_running:
                want = 1  # paused: every final picture at once
            self.picture_every = want

    # == slots: the workers =============================================================
    def _run_of(self, worker) -> Run | None:
        return next((run for run in self.runs if run.worker is worker), None)

    def _label(self, text: str) -> str:
        run = self._run_of(self.sender())
        return f"{run.name}: {text}" if run is not None and self.compare else text

    @QtCore.Slot(str)
    def _on_building(self, description: str) -> None:
        self.building.emit(description)

    @QtCore.Slot(str)
    def _on_ready(self, description: str) -> None:
        self.ready.emit(description)

    @QtCore.Slot(str)
    def _on_failed(self, message: str) -> None:
        self.lockstep.stop()
        self.failed.emit(self._label(message))

    @QtCore.Slot(str)
    def _on_stopped(self, reason: str) -> None:
        self.lockstep.stop()
        self.stopped.emit(self._label(reason))

    @QtCore.Slot(bool)
    def _on_running_changed(self, _running: bool) -> None:
        self._report_running()

    @QtCore.Slot()
    def _on_idle(self) -> None:
        if self.compare and self.lockstep.playing:
            self.lockstep.advance(self.workers())
        else:  # paused: what stays on screen is a whole picture (see PictureBudget)
            for run in self.runs:
                run.worker.refresh_if_reduced()
        self._report_running()

    def _report_running(self) -> None:
        running = self.is_running
        if running != self._running:
            self._running = running
            self.running_changed.emit(running)
