"""The one interface of a training worker, declared once.

Two workers implement it: ``worker.TrainingWorker`` (the loop in a QThread of the
window's process) and ``process_worker.ProcessTrainingWorker`` (the loop in a training
process of its own, the default).  The session and the window only ever use what is
declared here, so they do not know which one they have.

Signals (queued to the GUI thread; a few per run, never one per step):
  building(str)          building a trainer started (argument: what it trains on)
  ready(str)             a trainer was built
  failed(str)            an exception, already caught; training paused
  stopped(str)           the trainer stopped itself (non-finite loss)
  running_changed(bool)  the loop started or stopped stepping
  idle()                 paused with every command sent so far done (e.g. the end of a
                         Step N: compare mode starts the runs' next lockstep chunk on it)

Commands (GUI thread; they return at once, the loop applies them between steps) are the
named methods below, one per entry of ``vdq_gui.training.loop.COMMANDS``.
"""

from __future__ import annotations

import collections
import itertools
import statistics
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Callable

import shiboken6
from PySide6 import QtCore

from vdq_gui.training.loop import COMMANDS, LoopHooks, RunSpec

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
        self._emptied = threading.Condition(self._lock)
        self._latest = None
        self._generation = 0
        self._drawing = False  # the last take() returned a picture: it is being drawn

    def put(self, snapshot, generation: int) -> bool:
        with self._lock:
            if generation != self._generation:
                return False
            self._latest = snapshot
            return True

    def take(self):
        with self._lock:
            snapshot, self._latest = self._latest, None
            self._drawing = snapshot is not None  # the frame timer takes again only once drawn
            self._emptied.notify_all()
        return snapshot

    def wait_drawn(self, timeout: float) -> bool:
        """Wait until the picture waiting (if any) has been taken and drawn; False on
        timeout.  Drawn: the frame timer has come back for the next one, as it does only
        after the tick that took it has drawn it."""
        with self._lock:
            return self._emptied.wait_for(
                lambda: self._latest is None and not self._drawing, timeout)

    def expect(self, generation: int) -> None:
        """From now on only pictures of ``generation``; the one waiting is dropped."""
        with self._lock:
            self._generation = generation
            self._latest = None


class PictureBudget:
    """How much of an image picture's costliest part to compute while training runs.

    The noise heatmap of images is a histogram of u over ~32k pixels, and computing their
    u costs as much as several training steps (digits: ~65 of a picture's ~75 ms on a
    quiet 2-core machine), so a picture a frame would take the window far below 30 frames
    a second.  While training runs, the budget halves the share of pixels whenever the
    median picture takes longer than TARGET_S (down to MIN_FRACTION) and doubles it back
    when pictures are cheap.  Paused pictures are always whole: a worker whose last
    picture was reduced asks for a fresh one when it goes idle (``refresh``), so what
    stays on screen, and what a test compares with ``inspect.snapshot``, is exact."""

    TARGET_S = 0.015
    MIN_FRACTION = 1 / 16

    def __init__(self):
        self.fraction = 1.0
        self.reduced = False  # the last picture was made with fewer pixels
        self._costs: collections.deque = collections.deque(maxlen=5)

    def parts(self, trainer, running: bool) -> dict:
        if not running or self.fraction >= 1.0 or not _is_images(trainer):
            return {}
        return {"noise_fraction": self.fraction}

    def record(self, trainer, seconds: float, parts: dict) -> None:
        self.reduced = "noise_fraction" in parts
        if not _is_images(trainer):
            return
        self._costs.append(seconds)
        if len(self._costs) < 3:
            return
        cost = statistics.median(self._costs)
        if cost > self.TARGET_S and self.fraction > self.MIN_FRACTION:
            self.fraction /= 2
            self._costs.clear()
        elif cost < self.TARGET_S / 3 and self.fraction < 1.0:
            self.fraction = min(1.0, self.fraction * 2)
            self._costs.clear()


def _is_images(trainer) -> bool:
    return getattr(getattr(trainer, "data", None), "kind", "1d") == "images"


def picture(inspect: Callable, trainer, steps_per_s: float, parts: dict | None = None,
            budget: PictureBudget | None = None, running: bool = False):
    """The snapshot of ``trainer`` the window draws, carrying the measured training speed;
    ``parts`` (e.g. ``{"ladder": False}``) leaves out what no panel shows, and ``budget``
    (while ``running``) thins the costliest part to fit the frame."""
    parts = {**(parts or {}), **(budget.parts(trainer, running) if budget is not None else {})}
    started = time.perf_counter()
    snapshot = (inspect(trainer, **parts) if parts else inspect(trainer)).with_speed(steps_per_s)
    if budget is not None:
        budget.record(trainer, time.perf_counter() - started, parts)
    return snapshot


class TrainingWorkerBase(QtCore.QThread):
    """Signals and commands shared by both workers; subclasses provide ``_send`` (how a
    command reaches the loop), ``reset``, ``stop``, ``take_snapshot``, ``wait_idle``, and
    the ``trainer``/``spec``/``is_running`` properties."""

    building = QtCore.Signal(str)
    ready = QtCore.Signal(str)
    failed = QtCore.Signal(str)
    stopped = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)
    idle = QtCore.Signal()

    # What pictures leave out (read by the thread that makes them; replaced, never mutated).
    picture_parts: dict = {}
    budget: PictureBudget | None = None  # set by a worker that adapts pictures to their cost

    def refresh_if_reduced(self) -> None:
        """Paused: a picture thinned for speed is replaced by a whole one (GUI thread)."""
        if self.budget is not None and self.budget.reduced:
            self.budget.reduced = False
            self._send("refresh")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._state_lock = threading.Lock()
        self._state_futures: dict[int, Future] = {}
        self._state_tokens = itertools.count()

    # -- commands ----------------------------------------------------------------------
    def set_picture_parts(self, **parts) -> None:
        """E.g. ``ladder=False`` while the bound ladder is hidden.  A part asked for again
        (``ladder=True``) comes with a fresh picture of the current state, paused or not."""
        wanted_more = any(value and not self.picture_parts.get(name, True) for name, value in parts.items())
        self.picture_parts = {name: value for name, value in {**self.picture_parts, **parts}.items() if not value}
        if wanted_more:
            self._send("refresh")

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self, count: int = 1) -> None:
        """Do ``count`` more steps, then pause (stops free running first)."""
        self._send("step", int(count))

    def set_learning_rate(self, value: float) -> None:
        self._send("set_learning_rate", float(value))

    def set_batch_size(self, value: int) -> None:
        self._send("set_batch_size", int(value))

    def set_speed(self, steps_per_s: float | None) -> None:
        """None or inf: as fast as possible; otherwise at most that many steps a second."""
        self._send("set_speed", steps_per_s)

    def reset(self, spec: RunSpec | None = None, state=None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause; with
        ``state`` (a saved ``TrainerState``) it continues from there."""
        raise NotImplementedError

    def request_full_state(self) -> Future:
        """The trainer's full state (to save a session), taken between two steps while
        training goes on: a Future that the loop's thread (or the relay) resolves with a
        ``TrainerState``, or fails with RuntimeError saying why."""
        future: Future = Future()
        with self._state_lock:
            token = next(self._state_tokens)
            self._state_futures[token] = future
        self._send("full_state", token)
        return future

    def _resolve_full_state(self, token, state, error: str | None) -> None:
        with self._state_lock:
            future = self._state_futures.pop(token, None)
        if future is None:
            return
        if error is None:
            future.set_result(state)
        else:
            future.set_exception(RuntimeError(error))

    def stop(self) -> None:
        raise NotImplementedError

    def shutdown(self) -> None:
        """Stop and join.  A step in progress finishes first (never terminate())."""
        self.stop()
        if self.isRunning():
            self.wait()

    def _send(self, command: str, *arguments) -> None:
        raise NotImplementedError

    # -- pictures and state -------------------------------------------------------------
    def take_snapshot(self):
        """The newest unseen snapshot, or None.  Taking it asks for the next."""
        raise NotImplementedError

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once paused with nothing pending and the trainer (or replica) holds the
        final state (for tests and the screenshot mode)."""
        raise NotImplementedError

    @property
    def trainer(self):
        """The trainer the snapshots come from (read it only while idle)."""
        raise NotImplementedError

    @property
    def spec(self) -> RunSpec | None:
        raise NotImplementedError

    @property
    def is_running(self) -> bool:
        raise NotImplementedError


# want_picture and refresh are sent by the worker itself (taking a picture; set_picture_parts).
assert {"play", "pause", "step", "reset", "set_learning_rate", "set_batch_size", "set_speed", "stop"} \
    <= set(COMMANDS) and all(hasattr(TrainingWorkerBase, {"full_state": "request_full_state"}.get(name, name))
                             for name in COMMANDS if name not in ("want_picture", "refresh"))


class SignalHooks(LoopHooks):
    """The loop's news as the worker's signals.  Subclasses add ``publish``.

    ``current_generation()`` filters "building"/"ready" of a run reset meanwhile."""

    def __init__(self, worker: TrainingWorkerBase, current_generation: Callable[[], int]):
        self.worker = worker
        self.current_generation = current_generation

    def building(self, description: str, generation: int) -> None:
        if generation == self.current_generation():
            self.worker.building.emit(description)

    def ready(self, description: str, generation: int) -> None:
        if generation == self.current_generation():
            self.worker.ready.emit(description)

    def failed(self, message: str) -> None:
        self.worker.failed.emit(message)

    def stopped(self, reason: str) -> None:
        self.worker.stopped.emit(reason)

    def running_changed(self, running: bool) -> None:
        self.worker.running_changed.emit(running)

    def idle(self, command_count: int) -> None:
        self.worker.idle.emit()

    def full_state(self, token, state, error: str | None) -> None:
        self.worker._resolve_full_state(token, state, error)
