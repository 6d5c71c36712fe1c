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
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Any, Callable

from vdq_gui.training import remote
from vdq_gui.training.loop import RunSpec, build_trainer, inspect_trainer


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

    def assign(self, spec: RunSpec, build: Callable = build_trainer, inspect: Callable = inspect_trainer,
               generation: int = 0, threads: int | None = None, state=None) -> StartedProcess:
        """Give it its run: from now on it is an ordinary started process."""
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
    """Spawn a process that imports torch and waits for ``assign``.  Raises what
    ``Process.start`` raises."""
    return WarmProcess(*_spawn(remote.serve_when_told))


def start_training_process(spec: RunSpec, build: Callable = build_trainer, inspect: Callable = inspect_trainer,
                           generation: int = 0, threads: int | None = None, state=None) -> StartedProcess:
    """Spawn (fork is unsafe once Qt has threads) a process training ``spec``; it starts
    paused and builds the model at once.  Raises what ``Process.start`` raises."""
    process, conn = _spawn(remote.serve, spec, build, generation, threads, inspect, state)
    return StartedProcess(process, conn, spec, generation)


def _spawn(target: Callable, *arguments) -> tuple[Any, Any]:
    """A daemon process running ``target(its end of a pipe, *arguments)``, and our end.
    Spawned, not forked: forking is unsafe once Qt has threads."""
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    process = context.Process(target=target, name="vdq-training", args=(child_conn, *arguments), daemon=True)
    try:
        process.start()
    except BaseException:
        conn.close()
        raise
    finally:
        child_conn.close()
    return process, conn
