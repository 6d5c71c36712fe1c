"""The training loop in its own QThread.

How a step reaches the screen, without ever blocking the GUI or queueing work:
  * the worker runs ``trainer.step()`` in a loop, reading user commands (play, pause,
    step N, reset, learning rate, batch size, speed) from fields guarded by a lock and
    threading.Event flags that it checks before every step;
  * after a step, *only if the GUI has taken the previous snapshot*, it builds a new one
    (``inspect.snapshot``, a few ms) and stores it as "latest" (one slot, no queue);
  * the window's frame timer (~30 Hz) calls ``take_snapshot()`` and draws what it gets.
No signal is sent per step.  The few signals (ready, failed, stopped, running_changed)
are queued to @Slot methods of the window.

Torch is imported here, inside the thread, so the window paints before torch has loaded.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, replace
from typing import Callable

import shiboken6
from PySide6 import QtCore

from vdq_gui.data.dataset import DiscreteData

IDLE_POLL_S = 0.25  # how long an idle worker sleeps between checks of its flags

# Every worker ever started, weakly: the test suite checks none is left running.
_WORKERS: "weakref.WeakSet[TrainingWorker]" = weakref.WeakSet()


def running_workers() -> list["TrainingWorker"]:
    """Workers whose thread still runs (a worker deleted by Qt is not running)."""
    return [w for w in list(_WORKERS) if shiboken6.isValid(w) and w.isRunning()]


@dataclass(frozen=True)
class RunSpec:
    """What a run is made of; changing any of it means building a new trainer."""

    data: DiscreteData
    dequantizer: str = "variational"
    seed: int = 0
    learning_rate: float | None = None
    batch_size: int | None = None

    def with_changes(self, **changes) -> "RunSpec":
        return replace(self, **changes)


def build_trainer(spec: RunSpec):
    """Runs in the worker thread: the heavy imports (torch) happen here."""
    from vdq_gui.training.trainer import TrainConfig, Trainer

    options = {"dequantizer": spec.dequantizer, "seed": spec.seed}
    if spec.learning_rate is not None:
        options["learning_rate"] = spec.learning_rate
    if spec.batch_size is not None:
        options["batch_size"] = spec.batch_size
    return Trainer(spec.data, TrainConfig(**options))


def inspect_trainer(trainer):
    from vdq_gui.training.inspect import snapshot

    return snapshot(trainer)


def limit_torch_threads() -> None:
    """Leave a core for painting: on a 2-core machine torch's intra-op threads would
    otherwise compete with the GUI thread for both cores."""
    try:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    except Exception:  # torch missing or already configured: training will say so itself
        pass


class StepRate:
    """Steps per second over the last second or so."""

    def __init__(self, horizon: int = 64):
        self._times = collections.deque(maxlen=horizon)

    def tick(self) -> None:
        self._times.append(time.perf_counter())

    def clear(self) -> None:
        self._times.clear()

    def per_second(self) -> float:
        now = time.perf_counter()
        while len(self._times) > 2 and now - self._times[0] > 1.5:
            self._times.popleft()
        if len(self._times) < 2 or now - self._times[-1] > 1.0:
            return 0.0
        return (len(self._times) - 1) / max(self._times[-1] - self._times[0], 1e-9)


class TrainingWorker(QtCore.QThread):
    """Owns the trainer; only its own thread touches it (except while idle, see wait_idle)."""

    ready = QtCore.Signal(str)            # a trainer was built; argument: what it trains on
    building = QtCore.Signal(str)         # building a trainer started
    failed = QtCore.Signal(str)           # an exception, already caught; training paused
    stopped = QtCore.Signal(str)          # the trainer stopped itself (non-finite loss)
    running_changed = QtCore.Signal(bool)

    def __init__(self, spec: RunSpec, parent=None,
                 build: Callable = build_trainer, inspect: Callable = inspect_trainer):
        super().__init__(parent)
        self.setObjectName("vdq-training-worker")
        self._build = build
        self._inspect = inspect
        self.trainer = None
        self.spec: RunSpec | None = None
        # Commands from the GUI thread.
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._play = threading.Event()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._snapshot_wanted = threading.Event()
        self._snapshot_wanted.set()
        self._pending_spec: RunSpec | None = spec
        self._steps_requested = 0
        self._pending_settings: dict = {}
        self._min_interval_s = 0.0
        # Worker-side state.
        self._latest = None
        self._dirty = True
        self._next_step_due = 0.0
        self._rate = StepRate()
        self._reported_running = False
        _WORKERS.add(self)

    # == commands (GUI thread) ==========================================================
    def play(self) -> None:
        self._play.set()
        self._command()

    def pause(self) -> None:
        self._play.clear()
        with self._lock:
            self._steps_requested = 0
        self._command()

    def step(self, count: int = 1) -> None:
        """Do ``count`` more steps, then pause (stops free running first)."""
        self._play.clear()
        with self._lock:
            self._steps_requested += max(0, int(count))
        self._command()

    def reset(self, spec: RunSpec | None = None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause."""
        self._play.clear()
        with self._lock:
            self._pending_spec = spec or self._pending_spec or self.spec
            self._steps_requested = 0
            self._latest = None  # a picture of the old run must not be drawn after this
        self._command()

    def set_learning_rate(self, value: float) -> None:
        self._set_setting("learning_rate", float(value))

    def set_batch_size(self, value: int) -> None:
        self._set_setting("batch_size", int(value))

    def set_speed(self, steps_per_s: float | None) -> None:
        """None or inf: as fast as possible; otherwise at most that many steps a second."""
        fast = steps_per_s is None or steps_per_s == float("inf") or steps_per_s <= 0
        self._min_interval_s = 0.0 if fast else 1.0 / float(steps_per_s)
        self._command()

    def stop(self) -> None:
        self._stop.set()
        self._command()

    def shutdown(self) -> None:
        """Stop and join.  A step in progress finishes first (never terminate())."""
        self.stop()
        if self.isRunning():
            self.wait()

    def take_snapshot(self):
        """The newest unseen snapshot, or None.  Taking it asks the worker for the next."""
        with self._lock:
            snapshot, self._latest = self._latest, None
        if snapshot is not None:
            self._snapshot_wanted.set()
        return snapshot

    @property
    def is_running(self) -> bool:
        return self._play.is_set() or self._steps_requested > 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once the worker is paused with nothing pending (for tests and the
        screenshot mode: then the trainer may be read from another thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(0.02) and not self._has_work():
                return True
        return False

    def _set_setting(self, name: str, value) -> None:
        with self._lock:
            self._pending_settings[name] = value
        self._command()

    def _command(self) -> None:
        self._idle.clear()
        self._wake.set()

    # == the loop (worker thread) =======================================================
    def run(self) -> None:  # noqa: D401 - QThread's name
        limit_torch_threads()
        while not self._stop.is_set():
            try:
                self._loop_once()
            except Exception as error:  # never let an exception kill the thread or the app
                self._report(error)
        self._idle.set()

    def _loop_once(self) -> None:
        if self._rebuild_if_requested():
            return
        self._apply_settings()
        if self.trainer is None or not self._has_work():
            self._go_idle()
            return
        wait_s = self._next_step_due - time.perf_counter()
        if wait_s > 0:
            self._sleep(min(wait_s, IDLE_POLL_S))
            return
        self._idle.clear()
        self._one_step()

    def _has_work(self) -> bool:
        with self._lock:
            return (self._pending_spec is not None or bool(self._pending_settings)
                    or self._play.is_set() or self._steps_requested > 0)

    def _one_step(self) -> None:
        self._report_running(True)
        self._next_step_due = time.perf_counter() + self._min_interval_s
        self.trainer.step()
        self._rate.tick()
        self._dirty = True
        with self._lock:
            if self._steps_requested > 0:
                self._steps_requested -= 1
        reason = getattr(self.trainer, "stopped_reason", None)
        if reason:
            self._play.clear()
            with self._lock:
                self._steps_requested = 0
            self._publish()
            self.stopped.emit(str(reason))
            return
        if self._snapshot_wanted.is_set():
            self._publish()

    def _go_idle(self) -> None:
        self._report_running(False)
        self._rate.clear()
        if self._dirty and self.trainer is not None:
            self._publish()  # the exact paused state, whether or not the GUI asked yet
        self._idle.set()
        self._sleep(IDLE_POLL_S)

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _rebuild_if_requested(self) -> bool:
        with self._lock:
            spec, self._pending_spec = self._pending_spec, None
        if spec is None:
            return False
        self._idle.clear()
        self._report_running(False)
        self.building.emit(spec.data.describe())
        try:
            trainer = self._build(spec)
        except Exception as error:  # keep the previous trainer (if any) and say why
            self._report(error, what="Could not build the model")
            return True
        self.trainer, self.spec = trainer, spec
        with self._lock:
            self._pending_settings.clear()  # settings were for the old trainer
        self._rate.clear()
        self._next_step_due = 0.0
        self._publish()
        self.ready.emit(spec.data.describe())
        return True

    def _apply_settings(self) -> None:
        with self._lock:
            settings, self._pending_settings = self._pending_settings, {}
        if not settings or self.trainer is None:
            return
        for name, value in settings.items():
            setattr(self.trainer, name, value)  # Trainer applies both live, no reset
        self._dirty = True

    def _publish(self) -> None:
        snapshot = self._inspect(self.trainer)
        if hasattr(snapshot, "with_speed"):
            snapshot = snapshot.with_speed(self._rate.per_second())
        with self._lock:
            if self._pending_spec is not None:
                return  # a reset arrived while inspecting: this picture is already stale
            self._latest = snapshot
        self._snapshot_wanted.clear()
        self._dirty = False

    def _report_running(self, running: bool) -> None:
        if running != self._reported_running:
            self._reported_running = running
            self.running_changed.emit(running)

    def _report(self, error: Exception, what: str = "Training failed") -> None:
        traceback.print_exc()
        self._play.clear()
        with self._lock:
            self._steps_requested = 0
        self._dirty = False  # do not retry a failing snapshot in a loop
        self._report_running(False)
        self.failed.emit(f"{what}: {type(error).__name__}: {error}")
