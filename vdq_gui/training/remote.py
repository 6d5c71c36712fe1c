"""Training in a process of its own: the training process's side of the pipe (no Qt).

Why a process: in a thread of the GUI process, training shares one GIL with painting.
pyqtgraph paints from Python and holds the GIL for milliseconds at a time, and a 1-D step
re-takes the GIL after every one of its dozens of small torch ops, so training there ran
at about 0.63 of its headless speed.  In its own process it has its own interpreter.

The training process runs the same ``TrainingLoop`` the thread worker runs.  A reader
thread turns messages from the pipe into loop commands; the loop's news goes back down
the pipe.  A picture is sent as the trainer's exported *state* (parameters, scalars and
the log rows not sent yet: a few kB), not as a snapshot: the GUI process inspects a
replica, so inspection costs the training process nothing.

Messages, GUI process -> training process: (command, *arguments) for a command of
``loop.COMMANDS``.  Training process -> GUI process: (hook, *arguments) for a hook of
``loop.HOOKS`` with the arguments of that ``LoopHooks`` method, except that "publish"
carries the trainer's exported state instead of the trainer:
("publish", state, generation, trainer_generation, steps_per_s).  One message more, not a
hook: ("picture", generation, snapshot), the first picture of each new model, made here so
that the window need not wait for its own torch import (``training.prestart``).  The
"full_state" hook, ("full_state", token, TrainerState or None, error), answers the
"full_state" command: the trainer's whole state for a session file (vdq_gui.app.session_files).
"""

from __future__ import annotations

import gc
import signal
import threading
import traceback
from typing import Callable

from vdq_gui.training.loop import LoopHooks, RunSpec, TrainingLoop, build_trainer, inspect_trainer, limit_torch_threads
from vdq_gui.training.optimizer_imports import import_compiler_soon


class PipeHooks(LoopHooks):
    """The loop's news as messages down the pipe (only the loop's thread sends)."""

    def __init__(self, conn, inspect: Callable = inspect_trainer):
        self.conn = conn
        self.inspect = inspect
        self._trainer = None
        self._rows_sent = 0

    def building(self, description: str, generation: int) -> None:
        self.conn.send(("building", description, generation))

    def ready(self, description: str, generation: int) -> None:
        self.conn.send(("ready", description, generation))
        import_compiler_soon()  # the first step needs it; the first picture is out

    def failed(self, message: str) -> None:
        self.conn.send(("failed", message))

    def stopped(self, reason: str) -> None:
        self.conn.send(("stopped", reason))

    def running_changed(self, running: bool) -> None:
        self.conn.send(("running_changed", running))

    def idle(self, command_count: int) -> None:
        self.conn.send(("idle", command_count))

    def publish(self, trainer, generation: int, trainer_generation: int, steps_per_s: float) -> None:
        if trainer is not self._trainer:  # a new trainer: its replica starts from an empty log
            self._trainer, self._rows_sent = trainer, 0
            # Its first picture is made here (a few ms, once per model): the window can
            # draw it before its replica exists, which at start-up waits for torch.
            self.conn.send(("picture", generation, self.inspect(trainer).with_speed(steps_per_s)))
        state = trainer.export_state(self._rows_sent)
        self.conn.send(("publish", state, generation, trainer_generation, steps_per_s))
        self._rows_sent = state["log_length"]  # every state is delivered, in order

    def full_state(self, token, state, error: str | None) -> None:
        self.conn.send(("full_state", token, state, error))


def read_commands(conn, loop: TrainingLoop) -> None:
    """Pipe -> loop, until the pipe closes (the GUI process is gone: stop training)."""
    while True:
        try:
            command, *arguments = conn.recv()
        except (EOFError, OSError):
            loop.stop()
            return
        try:
            loop.apply(command, *arguments)
        except Exception:  # a bad message must not end the reader: training goes on
            traceback.print_exc()
        if command == "stop":
            return


def serve_when_told(conn) -> None:
    """A training process started before its run is known (``prestart.start_warm_process``):
    import torch and the models now, then serve the run the first message names."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as serve: the window stops it in order
    # Without the collector during the import: its passes over torch's new objects cost
    # 0.15 s of a 1.3 s import (median of 6 alternating pairs); those objects live as long
    # as the process, so they are then frozen out of every later pass.
    gc.disable()
    try:
        import vdq_gui.training.trainer  # noqa: F401 - torch and the models, the slow part
    except Exception:  # serve's build reports it in the window
        pass
    finally:
        gc.freeze()
        gc.enable()
    try:
        command, *arguments = conn.recv()
    except (EOFError, OSError):  # the app ended before it had a run for us
        return
    if command == "serve":
        serve(conn, *arguments)


def serve(conn, spec: RunSpec, build: Callable = build_trainer, generation: int = 0,
          threads: int | None = None, inspect: Callable = inspect_trainer, state=None) -> None:
    """The training process's main function: train ``spec`` (continuing from a saved
    ``state``, if given) until told to stop."""
    # Ctrl+C in the terminal reaches the whole process group: the window handles it and
    # stops this process in order; dying of it here would be reported as a crash.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_torch_threads(threads)
    loop = TrainingLoop(spec, PipeHooks(conn, inspect), build, generation=generation, state=state)
    reader = threading.Thread(target=read_commands, args=(conn, loop), name="vdq-commands", daemon=True)
    reader.start()
    try:
        loop.run()
    finally:
        conn.close()
