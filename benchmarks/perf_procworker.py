"""PROTOTYPE, for measurement only (``perf_probe live --variant process_worker``): the
change proposed for vdq_gui/app/worker.py, i.e. train in a child process instead of a
QThread of the GUI process.

Why: a QThread shares the GIL with the GUI thread.  Every torch op releases and re-takes
the GIL, and pyqtgraph's painting holds it for milliseconds at a time (QPainter calls made
from Python do not release it), so while the window paints, the training thread stalls
after almost every op.  In a child process training has its own interpreter.

How (a drop-in for TrainingWorker as far as MainWindow is concerned):
  * the child builds the trainer, trains while playing, and whenever the GUI side asks
    (once per frame at most) sends a copy of the parameters, the new log rows and the
    scalar state: a few kB, microseconds to pickle;
  * this QThread loads that into a replica trainer built from the same spec and computes
    the snapshot here, so inspection costs the training process nothing either;
  * the window keeps calling take_snapshot() from its frame timer, as before.
Reset and dataset changes are left out of the prototype (the window never needs them in
the benchmark).
"""

from __future__ import annotations

import collections
import multiprocessing
import queue
import threading
import time

from PySide6 import QtCore

IDLE_POLL_S = 0.1
FRAME_S = 0.030  # how often the GUI side asks for the training state while the GUI is busy


# == child process ======================================================================
def _state(trainer, sent_rows: int) -> dict:
    log = trainer.log
    return {"density": {k: v.clone() for k, v in trainer.density.state_dict().items()},
            "dequantizer": {k: v.clone() for k, v in trainer.dequantizer.state_dict().items()},
            "rows": log._data[:, sent_rows:len(log)].copy(), "step": trainer.step_count,
            "elapsed": trainer.elapsed_s, "metrics": dict(trainer.last_metrics), "stopped": trainer.stopped_reason,
            "learning_rate": trainer.learning_rate, "batch_size": trainer.batch_size}


def child_main(conn, spec, inspect_here: bool = False) -> None:
    from vdq_gui.app.worker import build_trainer, limit_torch_threads
    from vdq_gui.training.inspect import snapshot

    limit_torch_threads()
    trainer = build_trainer(spec)
    conn.send(("ready", spec.data.describe()))
    playing, todo, wanted, dirty, sent_rows, was_busy = False, 0, False, True, 0, False
    while True:
        busy = playing or todo > 0
        while conn.poll(0 if busy or (wanted and dirty) else IDLE_POLL_S):
            command, argument = conn.recv()
            if command == "quit":
                return
            if command == "play":
                playing = True
            elif command == "pause":
                playing, todo = False, 0
            elif command == "step":
                playing, todo = False, todo + int(argument)
            elif command == "want":
                wanted = True
            elif command in ("learning_rate", "batch_size"):
                setattr(trainer, command, argument)
                dirty = True
            busy = playing or todo > 0
        if busy:
            trainer.step()
            dirty = True
            todo = max(0, todo - 1)
            if trainer.stopped_reason:
                playing, todo = False, 0
                conn.send(("stopped", trainer.stopped_reason))
        if wanted and dirty:
            if inspect_here:
                conn.send(("snapshot", (trainer.step_count, snapshot(trainer))))
            else:
                conn.send(("state", _state(trainer, sent_rows)))
            sent_rows, wanted, dirty = len(trainer.log), False, False
        now_busy = playing or todo > 0
        if was_busy and not now_busy:
            conn.send(("idle", None))
        was_busy = now_busy


# == GUI process ========================================================================
class ProcessWorker(QtCore.QThread):
    """TrainingWorker's interface, backed by a training process."""

    ready = QtCore.Signal(str)
    building = QtCore.Signal(str)
    failed = QtCore.Signal(str)
    stopped = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, spec, parent=None, inspect_in_child: bool = False):
        super().__init__(parent)
        self._inspect_in_child = inspect_in_child
        self.setObjectName("vdq-training-proxy")
        self.spec = spec
        self.trainer = None  # the replica snapshots are computed from
        self._commands: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._latest = None
        self._wanted = threading.Event()
        self._wanted.set()
        self._stop = threading.Event()
        self._running = False
        self._speed: collections.deque = collections.deque()

    # -- commands (GUI thread) ---------------------------------------------------------
    def play(self) -> None:
        self._running = True
        self._commands.put(("play", None))

    def pause(self) -> None:
        self._running = False
        self._commands.put(("pause", None))

    def step(self, count: int = 1) -> None:
        self._running = True
        self._commands.put(("step", int(count)))

    def reset(self, spec=None) -> None:
        raise NotImplementedError("the prototype trains one spec")

    def set_learning_rate(self, value: float) -> None:
        self._commands.put(("learning_rate", float(value)))

    def set_batch_size(self, value: int) -> None:
        self._commands.put(("batch_size", int(value)))

    def set_speed(self, steps_per_s) -> None:
        pass  # full speed only in the prototype

    def take_snapshot(self):
        with self._lock:
            snapshot, self._latest = self._latest, None
        if snapshot is not None:
            self._wanted.set()
        return snapshot

    @property
    def is_running(self) -> bool:
        return self._running

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        self.stop()
        if self.isRunning():
            self.wait()

    # -- the relay (this thread) -------------------------------------------------------
    def run(self) -> None:
        context = multiprocessing.get_context("spawn")
        conn, child_conn = context.Pipe()
        process = context.Process(target=child_main, args=(child_conn, self.spec, self._inspect_in_child),
                                  daemon=True)
        self.building.emit(self.spec.data.describe())
        process.start()
        import torch

        from vdq_gui.app.worker import build_trainer

        torch.set_num_threads(1)  # inspection only: never let torch's pool compete with painting
        replica = build_trainer(self.spec)
        asked, asked_at = False, 0.0
        try:
            while not self._stop.is_set():
                while not self._commands.empty():
                    conn.send(self._commands.get())
                # Keep one fresh picture ready at the frame rate (asking only when the GUI took
                # the last one would add the whole round trip to every frame).
                now = time.perf_counter()
                ahead = not self._inspect_in_child and now - asked_at > FRAME_S
                if self.trainer is not None and not asked and (self._wanted.is_set() or ahead):
                    conn.send(("want", None))
                    asked, asked_at = True, now
                if not conn.poll(0.005):
                    continue
                kind, payload = conn.recv()
                if kind == "ready":
                    self.trainer = replica
                    self.ready.emit(payload)
                elif kind == "state":
                    asked = False
                    self._publish(replica, payload)
                elif kind == "snapshot":
                    asked = False
                    replica.step_count = payload[0]  # only the step count is read from it
                    self._store(payload[0], lambda speed: payload[1].with_speed(speed))
                elif kind == "stopped":
                    self._running = False
                    self.stopped.emit(payload)
                elif kind == "idle":
                    self._running = False
                    self.running_changed.emit(False)
        finally:
            conn.send(("quit", None))
            process.join(10)
            if process.is_alive():
                process.kill()

    def _publish(self, replica, state: dict) -> None:
        from vdq_gui.training.inspect import snapshot
        from vdq_gui.training.history import LOG_COLUMNS

        replica.density.load_state_dict(state["density"])
        replica.dequantizer.load_state_dict(state["dequantizer"])
        for row in state["rows"].T:
            replica.log.append(**dict(zip(LOG_COLUMNS, row)))
        replica.step_count, replica.elapsed_s = state["step"], state["elapsed"]
        replica.last_metrics, replica.stopped_reason = state["metrics"], state["stopped"]
        replica.learning_rate, replica.batch_size = state["learning_rate"], state["batch_size"]
        self._store(state["step"], lambda speed: snapshot(replica, steps_per_s=speed))

    def _store(self, step: int, make) -> None:
        now = time.perf_counter()
        self._speed.append((now, step))
        while len(self._speed) > 2 and now - self._speed[0][0] > 1.0:
            self._speed.popleft()
        (t0, s0), (t1, s1) = self._speed[0], self._speed[-1]
        picture = make((s1 - s0) / (t1 - t0) if t1 > t0 else 0.0)
        with self._lock:
            self._latest = picture
        self._wanted.clear()


def install(window_module, inspect_in_child: bool = False) -> None:
    """Make MainWindow build a ProcessWorker (the probe calls this before the window exists)."""
    original = window_module.MainWindow.__init__

    def factory(spec, parent=None):
        return ProcessWorker(spec, parent, inspect_in_child=inspect_in_child)

    def init(self, spec, **kwargs):
        kwargs["worker_factory"] = factory
        original(self, spec, **kwargs)

    window_module.MainWindow.__init__ = init
