"""The training worker the app uses by default: training in a process of its own.

Same interface as ``vdq_gui.app.worker.TrainingWorker`` (``worker_base.TrainingWorkerBase``:
commands, ``take_snapshot``, signals), so the window does not know which one it has.  Why a process, and the
messages, are described in ``vdq_gui.training.remote``.

Who does what:
  * the training process runs ``TrainingLoop`` (steps, commands, NaN stop);
  * this QThread relays: it starts the process, reads its messages, turns them into
    signals, and keeps a *replica* trainer up to date from the states the process sends;
    it computes each snapshot from the replica (off the GUI thread) and puts it in the
    one-picture slot the frame timer takes from;
  * commands from the GUI thread go straight down the pipe (a few bytes).
If the training process dies (killed, out of memory), the relay says so through
``failed`` and starts a new one at the next reset.
"""

from __future__ import annotations

import threading
from typing import Callable

from vdq_gui.app.worker_base import PictureBudget, PictureSlot, SignalHooks, TrainingWorkerBase, picture, register
from vdq_gui.training.loop import RunSpec, build_trainer, deliver, inspect_trainer, limit_torch_threads
from vdq_gui.training.prestart import StartedProcess, start_training_process

POLL_S = 0.05  # how often the relay looks at its stop flag while the pipe is quiet
JOIN_S = 10.0  # how long a stopping training process may take to finish its step
FIRST_PICTURE_WAIT_S = 0.5  # at most this for the window to draw a new model's first picture


class _RelayHooks(SignalHooks):
    """The training process's news (pipe messages, see ``remote``) as the worker's signals;
    a published state updates the replica and becomes a picture."""

    def failed(self, message: str) -> None:
        self.worker._playing = False
        super().failed(message)

    def stopped(self, reason: str) -> None:
        self.worker._playing = False
        super().stopped(reason)

    def idle(self, command_count: int) -> None:
        self.worker._on_idle(command_count)

    def publish(self, state: dict, generation: int, trainer_generation: int, steps_per_s: float) -> None:
        self.worker._on_state(generation, trainer_generation, steps_per_s, state)


class ProcessTrainingWorker(TrainingWorkerBase):

    def __init__(self, spec: RunSpec, parent=None, build: Callable = build_trainer,
                 inspect: Callable = inspect_trainer, threads: int | None = None,
                 started: StartedProcess | None = None):
        super().__init__(parent)
        self.setObjectName("vdq-training-relay")
        self.build, self.inspect, self.threads = build, inspect, threads
        self._started = started  # a process vdq-gui started before the window (training.prestart)
        self.slot = PictureSlot()
        self.budget = PictureBudget()
        self.process = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # guards the pipe end, the outbox and the counters
        self._changed = threading.Condition(self._lock)
        self._conn = None
        self._outbox: list[tuple] = []  # commands sent while no process is up
        self._generation = 0
        self._specs = {0: spec}  # generation -> the spec sent with that reset
        self._states: dict = {}  # generation -> the saved state that reset continues from
        self._commands_sent = 0
        self._idle_after = -1  # the process was idle after this many commands
        self._command_base = 0  # commands sent before the current process started
        self._playing = False
        self._stepping_until = -1  # a step command, numbered: running until idle after it
        self._replica = None
        self._replica_generation = None
        self.ended: str | None = None  # how the training process ended, until a reset starts another
        self._hooks = _RelayHooks(self, lambda: self._generation)
        register(self)

    # == commands (GUI thread) ==========================================================
    def _send(self, command: str, *arguments) -> None:
        if command in ("play", "step") and self.ended:
            # Nothing would train: say so rather than show "Pause" over a dead process.
            self._playing, self._stepping_until = False, -1
            self.running_changed.emit(False)
            self.failed.emit(f"Nothing can train: the training process ended ({self.ended}). "
                             "Press Reset to start a new one.")
            return
        with self._lock:
            if command != "want_picture":
                self._commands_sent += 1
            if command in ("play", "pause", "step", "reset"):
                self._playing = command == "play"
            if command == "step":
                self._stepping_until = self._commands_sent
            self._deliver((command, *arguments))

    def _deliver(self, message: tuple) -> None:
        """Down the pipe, or into the outbox until a process is up (holding the lock)."""
        if self._conn is None:
            self._outbox.append(message)
            return
        try:
            self._conn.send(message)
        except OSError:
            pass  # the process just died: the relay reports it and restarts at the next reset

    def reset(self, spec: RunSpec | None = None, state=None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause; with
        ``state`` it continues from that saved state."""
        self.ended = None  # the relay starts a new process for this reset
        with self._lock:
            spec = spec or self._specs[self._generation]
            self._generation += 1
            self._specs[self._generation] = spec
            if state is not None:
                self._states[self._generation] = state
            self.slot.expect(self._generation)  # no picture of the old run after this
        self._send("reset", spec, state)

    def stop(self) -> None:
        self._stop.set()

    def request_full_state(self):
        if self.ended:  # no process would answer: say so now rather than after a wait
            from concurrent.futures import Future

            future = Future()
            future.set_exception(RuntimeError(f"the training process ended ({self.ended}); press Reset first"))
            return future
        return super().request_full_state()

    def take_snapshot(self):
        """The newest unseen snapshot, or None.  Taking it asks for the next."""
        snapshot = self.slot.take()
        if snapshot is not None:
            self._send("want_picture")
        return snapshot

    @property
    def trainer(self):
        """The replica the snapshots are computed from (read it only while idle)."""
        return self._replica

    @property
    def spec(self) -> RunSpec | None:
        return self._specs.get(self._replica_generation)

    @property
    def is_running(self) -> bool:
        return self._playing or self._idle_after < self._stepping_until

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once the training process is paused after every command sent so far, and
        the replica holds its final state (for tests and the screenshot mode)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._idle_after == self._commands_sent, timeout)

    # == the relay (this thread) ========================================================
    def run(self) -> None:  # noqa: D401 - QThread's name
        while not self._stop.is_set():
            ended = self._serve_one_process()
            if ended is None:
                break
            self._playing, self._stepping_until = False, -1
            self.ended = ended
            self.running_changed.emit(False)
            self.failed.emit(f"The training process ended unexpectedly ({ended}). "
                             "Press Reset to start training again.")
            if not self._wait_for_reset():
                break

    def _serve_one_process(self) -> str | None:
        """Start a training process and relay until told to stop (None) or until the
        process dies (a sentence saying how)."""
        with self._lock:
            generation = self._generation
            spec, state = self._specs[generation], self._states.get(generation)
            self._outbox = [m for m in self._outbox if m[0] != "reset"]  # the start builds it
        started, self._started = self._started, None
        if started is not None and (state is not None or not started.builds(spec, generation)):
            started.close()  # it builds a run the window no longer wants
            started = None
        try:
            started = started or start_training_process(spec, self.build, self.inspect, generation, self.threads,
                                                        state=state)
        except Exception as error:  # e.g. out of memory: say so, keep the window alive
            return (f"it could not start: {type(error).__name__}: {error}; "
                    "vdq-gui --worker thread trains without a separate process")
        self.process, conn = started.process, started.conn
        with self._lock:
            self._conn = conn
            # The new process counts commands from 0: from its first, the outbox.
            counted = sum(1 for message in self._outbox if message[0] != "want_picture")
            self._command_base = self._commands_sent - counted
            for message in self._outbox:
                self._deliver(message)
            self._outbox.clear()
        try:
            return self._relay(conn)
        finally:
            with self._lock:
                self._conn = None
            self._end_process(conn)

    def _relay(self, conn) -> str | None:
        while not self._stop.is_set():
            try:
                if not conn.poll(POLL_S):
                    continue
                message = conn.recv()
            except (EOFError, OSError):
                self.process.join(1.0)
                return f"exit code {self.process.exitcode}"
            try:
                self._handle(*message)
            except Exception as error:  # a bad picture must not end the relay
                self._send("pause")
                self.failed.emit(f"Could not show the training state: {type(error).__name__}: {error}")
        return None

    def _end_process(self, conn) -> None:
        try:
            conn.send(("stop",))
        except OSError:
            pass
        self.process.join(JOIN_S)  # a step in progress finishes first
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        conn.close()

    def _wait_for_reset(self) -> bool:
        """After a crash: wait (without a process) until a reset asks for a new one."""
        while not self._stop.is_set():
            with self._lock:
                if any(m[0] == "reset" for m in self._outbox):
                    return True
            self._stop.wait(POLL_S)
        return False

    # -- messages from the training process -------------------------------------------
    def _handle(self, *message) -> None:
        if message[0] == "picture":  # a new model's first picture, made by the training process
            _, generation, snapshot = message
            self.slot.put(snapshot, generation)
            return
        if message[0] == "full_state":  # not a signal: resolves the caller's Future here
            self._resolve_full_state(*message[1:])
            return
        deliver(self._hooks, message)

    def _on_idle(self, command_count: int) -> None:
        with self._changed:
            self._idle_after = self._command_base + command_count
            caught_up = self._idle_after == self._commands_sent
            self._changed.notify_all()
        if caught_up:
            self.idle.emit()

    def _on_state(self, generation: int, trainer_generation: int, steps_per_s: float, state: dict) -> None:
        if trainer_generation != self._replica_generation:
            if self._replica is None:
                # torch's first use in this process, once the training process has sent the
                # first picture (importing it sooner would slow that process's own import)
                # and the window has drawn it: loading torch's libraries holds the
                # interpreter for most of a second, and measured, the first frame waited
                # 0.5-1 s behind it (and its draw, 50 ms alone, took 0.33 s when the load
                # began as the picture was taken).  Inspection only, never competing with painting for cores.
                self.slot.wait_drawn(FIRST_PICTURE_WAIT_S)
                limit_torch_threads(1)
            self._replica = self.build(self._specs[trainer_generation])
            self._replica_generation = trainer_generation
            with self._lock:  # older runs can never come back: let their data go
                for old in [g for g in self._specs if g < trainer_generation]:
                    del self._specs[old]
                    self._states.pop(old, None)
        # Every state updates the replica (its log rows are sent once); only a state of
        # the run the window now shows becomes a picture.
        self._replica.load_state(state)
        if generation == self._generation:
            self.slot.put(picture(self.inspect, self._replica, steps_per_s, self.picture_parts,
                                     self.budget, self.is_running), generation)
