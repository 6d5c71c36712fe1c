"""The loop a training worker runs, without Qt: commands in, steps, pictures out.

The same loop runs in two places:
  * in a QThread of the GUI process (``vdq_gui.app.worker.TrainingWorker``), and
  * in the main thread of a separate training process (``vdq_gui.training.remote``),
    which is what the app uses by default: there training does not share a GIL with
    painting.
What the owner does with the loop's news (a Qt signal, or a message down a pipe) is up
to the ``LoopHooks`` it passes in.

Commands (play, pause, step N, reset (optionally continuing from a saved full state),
learning rate, batch size, speed, full state (handed over between two steps, for saving a
session), stop) may come
from any thread: they set fields under a lock and threading.Event flags, which the loop
reads before every step.  A picture of the state is published only when the owner has
taken the previous one (``want_picture``), so no work is queued and none is wasted.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from typing import Callable

from vdq_gui.data.dataset import DiscreteData
from vdq_gui.training.config import TrainConfig

IDLE_POLL_S = 0.25  # how long an idle loop sleeps between checks of its flags


@dataclass(frozen=True)
class RunSpec:
    """What a run is made of: the data and the trainer's settings.  Changing any of it
    means building a new trainer."""

    data: DiscreteData
    config: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def of(cls, data: DiscreteData, **config_fields) -> "RunSpec":
        """``RunSpec.of(data, dequantizer="uniform", seed=3)``: TrainConfig fields by name."""
        return cls(data, TrainConfig(**config_fields))

    @property
    def dequantizer(self) -> str:
        return self.config.dequantizer

    @property
    def seed(self) -> int:
        return self.config.seed

    def with_changes(self, data: DiscreteData | None = None, **config_changes) -> "RunSpec":
        """A copy with other data and/or other TrainConfig fields (e.g. ``dequantizer=``)."""
        config = replace(self.config, **config_changes) if config_changes else self.config
        return RunSpec(self.data if data is None else data, config)


def build_trainer(spec: RunSpec):
    """Runs off the GUI thread: the heavy imports (torch) happen here."""
    from vdq_gui.training.trainer import Trainer

    return Trainer(spec.data, spec.config)


def inspect_trainer(trainer, **parts):
    """``parts``: ``ladder=False`` leaves out the bound ladder (see inspect.snapshot)."""
    from vdq_gui.training.inspect import snapshot

    return snapshot(trainer, **parts)


def limit_torch_threads(threads: int | None = None) -> None:
    """Leave a core for painting: on a 2-core machine torch's intra-op threads would
    otherwise compete with the GUI thread for both cores."""
    try:
        import torch

        torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) - 1))
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


class LoopHooks:
    """What the loop tells its owner; every method is called from the loop's thread.

    ``generation`` counts resets: a picture or message of an older generation than the
    owner's current one describes a run the user has already thrown away."""

    def building(self, description: str, generation: int) -> None: ...

    def ready(self, description: str, generation: int) -> None: ...

    def failed(self, message: str) -> None: ...

    def stopped(self, reason: str) -> None: ...

    def running_changed(self, running: bool) -> None: ...

    def idle(self, command_count: int) -> None:
        """Paused with nothing pending, after the commands numbered up to ``command_count``."""

    def publish(self, trainer, generation: int, trainer_generation: int, steps_per_s: float) -> None:
        """Make and hand over a picture of ``trainer`` (called when one was wanted, and
        when the loop goes idle).  ``trainer_generation``: the reset it was built for."""

    def full_state(self, token, state, error: str | None) -> None:
        """The trainer's full state (``Trainer.full_state``) asked for with ``token``, taken
        between two steps; or None and why not."""


# The commands a loop accepts from its owner, written once.  The thread worker calls the
# TrainingLoop methods of these names; the process worker sends (name, *arguments) down
# its pipe and the training process hands them to ``TrainingLoop.apply``.
COMMANDS = ("play", "pause", "step", "reset", "set_learning_rate", "set_batch_size", "set_speed",
            "want_picture", "refresh", "full_state", "stop")
# The news a loop gives (the methods of LoopHooks), in the same way: a PipeHooks message is
# (name, *arguments) and the receiving side calls ``deliver(hooks, message)``.
HOOKS = ("building", "ready", "failed", "stopped", "running_changed", "idle", "publish", "full_state")


def deliver(hooks: LoopHooks, message: tuple) -> None:
    """Call the hook a (name, *arguments) message names."""
    name, *arguments = message
    table = {"building": hooks.building, "ready": hooks.ready, "failed": hooks.failed,
             "stopped": hooks.stopped, "running_changed": hooks.running_changed, "idle": hooks.idle,
             "publish": hooks.publish, "full_state": hooks.full_state}
    table[name](*arguments)


class TrainingLoop:
    """Owns the trainer; only the loop's thread touches it (except while idle, see wait_idle)."""

    def __init__(self, spec: RunSpec, hooks: LoopHooks, build: Callable = build_trainer, generation: int = 0,
                 state=None):
        self.hooks = hooks
        self.build = build
        self.trainer = None
        self.spec: RunSpec | None = None
        # Commands, from any thread.
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._play = threading.Event()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._picture_wanted = threading.Event()
        self._picture_wanted.set()
        self._pending_spec: RunSpec | None = spec
        self._pending_state = state  # a saved full state to continue from, after the build
        self._state_requests: list = []  # tokens of full_state commands not served yet
        self._steps_requested = 0
        self._pending_learning_rate: float | None = None
        self._pending_batch_size: int | None = None
        self._pending_refresh = False
        self._min_interval_s = 0.0
        self._commands = 0  # how many commands arrived (the idle hook reports it)
        self.generation = generation  # of the newest reset asked for
        # Loop-side state.
        self.trainer_generation = generation  # the reset the current trainer was built for
        self._shown_generation = generation  # what pictures are labelled with (see _rebuild)
        self._dirty = True
        self._next_step_due = 0.0
        self._rate = StepRate()
        self._reported_running = False
        self._reported_idle_at = -1

    # == commands (any thread) ==========================================================
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

    def reset(self, spec: RunSpec | None = None, state=None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause; with
        ``state`` (a saved ``TrainerState`` of that spec) it continues from there."""
        self._play.clear()
        with self._lock:
            self._pending_spec = spec or self._pending_spec or self.spec
            self._pending_state = state
            self._steps_requested = 0
            self.generation += 1
        self._command()

    def set_learning_rate(self, value: float) -> None:
        """Applies at the next step (the trainer keeps Adam's moments)."""
        with self._lock:
            self._pending_learning_rate = float(value)
        self._command()

    def set_batch_size(self, value: int) -> None:
        """Applies at the next step."""
        with self._lock:
            self._pending_batch_size = int(value)
        self._command()

    def set_speed(self, steps_per_s: float | None) -> None:
        """None, 0 or inf: as fast as possible; otherwise at most that many steps a second."""
        fast = steps_per_s is None or steps_per_s == float("inf") or steps_per_s <= 0
        self._min_interval_s = 0.0 if fast else 1.0 / float(steps_per_s)
        self._command()

    def want_picture(self) -> None:
        """The owner took the last picture: publish the next one after the next step."""
        self._picture_wanted.set()
        self._wake.set()

    def refresh(self) -> None:
        """Publish the current state again, paused or not (the owner now wants a picture
        with parts it had not asked for, e.g. the bound ladder when its tab is shown)."""
        with self._lock:
            self._pending_refresh = True
        self._command()

    def full_state(self, token) -> None:
        """Hand the trainer's full state to ``hooks.full_state`` between two steps (training
        goes on; a reset asked for first is done first)."""
        with self._lock:
            self._state_requests.append(token)
        self._command()

    def stop(self) -> None:
        self._stop.set()
        self._command()

    def apply(self, command: str, *arguments) -> None:
        """Run the command named ``command`` (one of COMMANDS), e.g. from a pipe message."""
        table = {"play": self.play, "pause": self.pause, "step": self.step, "reset": self.reset,
                 "set_learning_rate": self.set_learning_rate, "set_batch_size": self.set_batch_size,
                 "set_speed": self.set_speed, "want_picture": self.want_picture, "refresh": self.refresh,
                 "full_state": self.full_state,
                 "stop": self.stop}
        if command not in table:
            raise ValueError(f"unknown command {command!r}; the loop knows {', '.join(COMMANDS)}")
        table[command](*arguments)

    @property
    def is_running(self) -> bool:
        return self._play.is_set() or self._steps_requested > 0

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once the loop is paused with nothing pending (then the trainer may be read
        from another thread)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(0.02) and not self._has_work():
                return True
        return False

    def _command(self) -> None:
        with self._lock:
            self._commands += 1
        self._idle.clear()
        self._wake.set()

    # == the loop (its own thread) ======================================================
    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self._loop_once()
            except Exception as error:  # never let an exception end the loop
                self._report(error)
        self._idle.set()

    def _loop_once(self) -> None:
        if self._rebuild_if_requested():
            return
        self._apply_settings()
        self._serve_state_requests()
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
            return (self._pending_spec is not None or self._has_pending_settings()
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
            self.hooks.stopped(str(reason))
            return
        if self._picture_wanted.is_set():
            self._publish()

    def _go_idle(self) -> None:
        self._report_running(False)
        self._rate.clear()
        if self._dirty and self.trainer is not None:
            self._publish()  # the exact paused state, whether or not the owner asked yet
        with self._lock:
            commands = self._commands
        if commands != self._reported_idle_at:
            self._reported_idle_at = commands
            self.hooks.idle(commands)
        self._idle.set()
        self._sleep(IDLE_POLL_S)

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _rebuild_if_requested(self) -> bool:
        with self._lock:
            spec, self._pending_spec = self._pending_spec, None
            state, self._pending_state = self._pending_state, None
            generation = self.generation
        if spec is None:
            return False
        self._idle.clear()
        self._report_running(False)
        self.hooks.building(spec.data.describe(), generation)
        try:
            trainer = self.build(spec)
            if state is not None:
                trainer.restore_full_state(state)
        except Exception as error:  # keep the previous trainer (if any) and say why
            # The owner now waits for pictures of this generation: the old trainer goes on
            # under the new label (its own trainer_generation says which spec it has).
            self._shown_generation = generation
            self._dirty = self.trainer is not None
            self._report(error, what="Could not build the model")
            return True
        self.trainer, self.spec = trainer, spec
        self.trainer_generation = self._shown_generation = generation
        with self._lock:
            # Settings sent before this reset were for the old trainer.
            self._pending_learning_rate = self._pending_batch_size = None
        self._rate.clear()
        self._next_step_due = 0.0
        self._publish()
        self.hooks.ready(spec.data.describe(), generation)
        return True

    def _serve_state_requests(self) -> None:
        with self._lock:
            if not self._state_requests or self.trainer is None or self._pending_spec is not None:
                return  # served after the build (of the newest reset)
            tokens, self._state_requests = self._state_requests, []
        try:
            state, error = self.trainer.full_state(), None
        except Exception as failure:  # say why rather than leave the owner waiting
            state, error = None, f"{type(failure).__name__}: {failure}"
        for token in tokens:
            self.hooks.full_state(token, state, error)

    def _has_pending_settings(self) -> bool:
        return self._pending_learning_rate is not None or self._pending_batch_size is not None

    def _apply_settings(self) -> None:
        with self._lock:
            learning_rate, self._pending_learning_rate = self._pending_learning_rate, None
            batch_size, self._pending_batch_size = self._pending_batch_size, None
            refresh, self._pending_refresh = self._pending_refresh, False
        if self.trainer is None:
            return
        if refresh:
            self._dirty = True
        # The trainer applies both live, without a reset.
        if learning_rate is not None:
            self.trainer.learning_rate = learning_rate
            self._dirty = True
        if batch_size is not None:
            self.trainer.batch_size = batch_size
            self._dirty = True

    def _publish(self) -> None:
        with self._lock:
            if self._pending_spec is not None:
                return  # a reset is waiting: a picture of this trainer is already stale
        # Cleared *before* handing over: the owner may take the picture and want the next
        # one before publish() returns, and that wish must not be erased afterwards.
        self._picture_wanted.clear()
        try:
            self.hooks.publish(self.trainer, self._shown_generation, self.trainer_generation,
                               self._rate.per_second())
        except Exception:
            self._picture_wanted.set()  # the owner still waits for a picture,
            self._dirty = False  # but one that failed is not retried in a loop
            raise
        self._dirty = False

    def _report_running(self, running: bool) -> None:
        if running != self._reported_running:
            self._reported_running = running
            self.hooks.running_changed(running)

    def _report(self, error: Exception, what: str = "Training failed") -> None:
        traceback.print_exc()
        self._play.clear()
        with self._lock:
            self._steps_requested = 0
        self._report_running(False)
        self.hooks.failed(f"{what}: {type(error).__name__}: {error}")
