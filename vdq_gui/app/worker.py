"""The training loop in a QThread of the GUI process.

How a step reaches the screen, without ever blocking the GUI or queueing work:
  * the thread runs ``vdq_gui.training.loop.TrainingLoop``: steps, reading user commands
    (play, pause, step N, reset, learning rate, batch size, speed) between steps;
  * after a step, *only if the GUI has taken the previous snapshot*, it builds a new one
    (``inspect.snapshot``, a few ms) and stores it in a one-picture slot (no queue);
  * the window's frame timer (~30 Hz) calls ``take_snapshot()`` and draws what it gets.
No signal is sent per step.  The few signals (building, ready, failed, stopped,
running_changed) are queued to @Slot methods of the window.

Torch is imported here, inside the thread, so the window paints before torch has loaded.

This worker shares the GIL with painting; ``vdq_gui.app.process_worker`` is the same
interface with training in a separate process, which the app uses by default.
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable

import shiboken6
from PySide6 import QtCore

from vdq_gui.training.loop import (LoopHooks, RunSpec, TrainingLoop, build_trainer, inspect_trainer,
                                   limit_torch_threads)

__all__ = ["RunSpec", "TrainingWorker", "PictureSlot", "picture", "running_workers"]

# Every worker ever started, weakly: the test suite checks none is left running.
_WORKERS: "weakref.WeakSet" = weakref.WeakSet()


def register(worker) -> None:
    _WORKERS.add(worker)


def running_workers() -> list:
    """Workers whose thread still runs (a worker deleted by Qt is not running)."""
    return [w for w in list(_WORKERS) if shiboken6.isValid(w) and w.isRunning()]


class PictureSlot:
    """The newest snapshot not yet drawn: one slot, no queue.

    It remembers which run (generation) it accepts: a picture of a run that was reset
    meanwhile arrives too late and is dropped."""

    def __init__(self):
        self._lock = threading.Lock()
        self._latest = None
        self._generation = 0

    def put(self, snapshot, generation: int) -> bool:
        with self._lock:
            if generation != self._generation:
                return False
            self._latest = snapshot
            return True

    def take(self):
        with self._lock:
            snapshot, self._latest = self._latest, None
        return snapshot

    def expect(self, generation: int) -> None:
        """From now on only pictures of ``generation``; the one waiting is dropped."""
        with self._lock:
            self._generation = generation
            self._latest = None


def picture(inspect: Callable, trainer, steps_per_s: float):
    """The snapshot of ``trainer`` the window draws, carrying the measured training speed."""
    return inspect(trainer).with_speed(steps_per_s)


class WorkerCommands:
    """The commands both workers accept, forwarded to ``self._loop_commands`` (a
    TrainingLoop here, a pipe to the training process in process_worker)."""

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self, count: int = 1) -> None:
        """Do ``count`` more steps, then pause (stops free running first)."""
        self._send("step", int(count))

    def set_learning_rate(self, value: float) -> None:
        self._send("set_setting", "learning_rate", float(value))

    def set_batch_size(self, value: int) -> None:
        self._send("set_setting", "batch_size", int(value))

    def set_speed(self, steps_per_s: float | None) -> None:
        """None or inf: as fast as possible; otherwise at most that many steps a second."""
        self._send("set_speed", steps_per_s)

    def shutdown(self) -> None:
        """Stop and join.  A step in progress finishes first (never terminate())."""
        self.stop()
        if self.isRunning():
            self.wait()


class _SignalHooks(LoopHooks):
    """The loop's news as Qt signals (queued to the GUI thread) and slot pictures."""

    def __init__(self, worker: "TrainingWorker"):
        self.worker = worker

    def building(self, description: str, generation: int) -> None:
        self.worker.building.emit(description)

    def ready(self, description: str, generation: int) -> None:
        self.worker.ready.emit(description)

    def failed(self, message: str) -> None:
        self.worker.failed.emit(message)

    def stopped(self, reason: str) -> None:
        self.worker.stopped.emit(reason)

    def running_changed(self, running: bool) -> None:
        self.worker.running_changed.emit(running)

    def publish(self, trainer, generation: int, trainer_generation: int, steps_per_s: float) -> None:
        self.worker.slot.put(picture(self.worker.inspect, trainer, steps_per_s), generation)


class TrainingWorker(WorkerCommands, QtCore.QThread):
    """Runs a TrainingLoop in this QThread; only this thread touches the trainer."""

    building = QtCore.Signal(str)         # building a trainer started
    ready = QtCore.Signal(str)            # a trainer was built; argument: what it trains on
    failed = QtCore.Signal(str)           # an exception, already caught; training paused
    stopped = QtCore.Signal(str)          # the trainer stopped itself (non-finite loss)
    running_changed = QtCore.Signal(bool)

    def __init__(self, spec: RunSpec, parent=None,
                 build: Callable = build_trainer, inspect: Callable = inspect_trainer):
        super().__init__(parent)
        self.setObjectName("vdq-training-worker")
        self.inspect = inspect
        self.slot = PictureSlot()
        self.loop = TrainingLoop(spec, _SignalHooks(self), build)
        register(self)

    def _send(self, command: str, *arguments) -> None:
        getattr(self.loop, command)(*arguments)

    def reset(self, spec: RunSpec | None = None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause."""
        # The slot learns the new generation first, so no picture of the old run can
        # land in it after this returns.
        self.slot.expect(self.loop.generation + 1)
        self.loop.reset(spec)

    def stop(self) -> None:
        self.loop.stop()

    def take_snapshot(self):
        """The newest unseen snapshot, or None.  Taking it asks the loop for the next."""
        snapshot = self.slot.take()
        if snapshot is not None:
            self.loop.want_picture()
        return snapshot

    @property
    def trainer(self):
        return self.loop.trainer

    @property
    def spec(self) -> RunSpec | None:
        return self.loop.spec

    @property
    def is_running(self) -> bool:
        return self.loop.is_running

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once paused with nothing pending (for tests and the screenshot mode:
        then the trainer may be read from another thread)."""
        return self.loop.wait_idle(timeout)

    def run(self) -> None:  # noqa: D401 - QThread's name
        limit_torch_threads()
        self.loop.run()
