"""Starting the training process (no Qt), as early as the app can.

Importing torch and building the model take seconds; importing Qt and building the window
take about one more.  ``vdq-gui`` therefore starts the training process right after it has
parsed its command line, before it reads its settings and data and before it imports Qt
(``start_warm_process``): the process imports torch and the models while the app decides
what to train, then receives its run (``WarmProcess.assign``), and the running process is
handed to the window's worker (``ProcessTrainingWorker(started=...)``).  Measured, starting
after the data instead left 0.3-0.5 s of the app's own imports and reading on the way to
the first picture.  The process sends the first picture of every new model itself
(``remote.PipeHooks``), so the window draws step 0 without waiting for its own torch
import (its replica trainer).

On Linux the warm process is forked, not spawned, while the app is still one thread without
Qt or torch: measured, a spawned child began its own work 0.26 s after the call (a new
interpreter, then this package's imports again) and the app first spent 0.15 s importing
what the spawn needed (numpy, the data and loop modules); forked, the child starts
importing torch at once.  This module therefore imports nothing heavy at its top.  Later
processes (Reset, another run) are spawned: by then Qt's threads exist.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from vdq_gui.training.loop import RunSpec


@dataclass
class StartedProcess:
    """A training process already building ``spec`` as reset number ``generation``."""

    process: Any  # multiprocessing.Process
    conn: Any  # our end of its pipe
    spec: RunSpec
    generation: int = 0

    def builds(self, spec: RunSpec, generation: int) -> bool:
        """Whether it builds this run (the same data object and settings, the same reset)."""
        return self.spec.data is spec.data and self.spec.config == spec.config and self.generation == generation

    def close(self) -> None:
        """Stop it (when nobody will use it after all)."""
        try:
            self.conn.send(("stop",))
        except OSError:
            pass
        self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


@dataclass
class WarmProcess:
    """A training process started before its run is known, importing torch meanwhile."""

    process: Any
    conn: Any
    assigned: bool = False

    def assign(self, spec: RunSpec, build: Callable | None = None, inspect: Callable | None = None,
               generation: int = 0, threads: int | None = None, state=None) -> StartedProcess:
        """Give it its run: from now on it is an ordinary started process."""
        build, inspect = _or_defaults(build, inspect)
        self.conn.send(("serve", spec, build, generation, threads, inspect, state))
        self.assigned = True
        return StartedProcess(self.process, self.conn, spec, generation)

    def close(self) -> None:
        """End it (nobody will use it: an error, or a saved session's own runs).  It holds
        nothing yet, and may be in the middle of importing torch: terminated at once, so
        that an error message is not kept waiting for that import."""
        if self.assigned:
            return
        self.assigned = True  # once
        self.conn.close()
        self.process.terminate()
        self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def start_warm_process() -> WarmProcess:
    """Start a process that imports torch and waits for ``assign`` (forked where that is
    safe, see the module's note).  Raises what ``Process.start`` raises."""
    return WarmProcess(*_start(_serve_when_told, start_method="fork" if fork_is_safe() else "spawn"))


def start_training_process(spec: RunSpec, build: Callable | None = None, inspect: Callable | None = None,
                           generation: int = 0, threads: int | None = None, state=None) -> StartedProcess:
    """Spawn (fork is unsafe once Qt has threads) a process training ``spec``; it starts
    paused and builds the model at once.  Raises what ``Process.start`` raises."""
    from vdq_gui.training import remote

    build, inspect = _or_defaults(build, inspect)
    process, conn = _start(remote.serve, spec, build, generation, threads, inspect, state)
    return StartedProcess(process, conn, spec, generation)


def _serve_when_told(conn) -> None:
    """The warm process's target, here so that starting it needs no heavy import."""
    from vdq_gui.training import remote

    remote.serve_when_told(conn)


def _or_defaults(build: Callable | None, inspect: Callable | None) -> tuple[Callable, Callable]:
    from vdq_gui.training.loop import build_trainer, inspect_trainer

    return build or build_trainer, inspect or inspect_trainer


def fork_is_safe() -> bool:
    """Whether this process may fork: Linux (macOS's frameworks do not survive a fork), one
    Python thread, and neither Qt nor torch loaded (both start threads of their own that a
    forked child would not have, holding locks it might need)."""
    return (sys.platform.startswith("linux") and threading.active_count() == 1
            and not any(name in sys.modules for name in ("PySide6.QtCore", "torch")))


def _start(target: Callable, *arguments, start_method: str = "spawn") -> tuple[Any, Any]:
    """A daemon process running ``target(its end of a pipe, *arguments)``, and our end.
    Spawned unless told otherwise: forking is unsafe once Qt has threads."""
    context = multiprocessing.get_context(start_method)
    conn, child_conn = context.Pipe()
    # A forked child holds a copy of our end too: it closes it, or it would never see the
    # pipe close when the app ends (and would outlive it).
    inherited = conn if start_method == "fork" else None
    process = context.Process(target=_child, name="vdq-training", args=(inherited, target, child_conn, *arguments),
                              daemon=True)
    try:
        process.start()
    except BaseException:
        conn.close()
        raise
    finally:
        child_conn.close()
    return process, conn


def _child(inherited, target: Callable, conn, *arguments) -> None:
    if inherited is not None:
        inherited.close()
    target(conn, *arguments)
