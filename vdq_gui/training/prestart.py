"""Starting the training process (no Qt), as early as the app can.

Importing torch and building the model take seconds; importing Qt and building the window
take about one more.  ``vdq-gui`` therefore starts the training process right after it has
read the data, before it imports Qt, so both happen at once (on two cores), and hands the
running process to the window's worker (``ProcessTrainingWorker(started=...)``).  The
process sends the first picture of every new model itself (``remote.PipeHooks``), so the
window draws step 0 without waiting for its own torch import (its replica trainer).
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


def start_training_process(spec: RunSpec, build: Callable = build_trainer, inspect: Callable = inspect_trainer,
                           generation: int = 0, threads: int | None = None, state=None) -> StartedProcess:
    """Spawn (fork is unsafe once Qt has threads) a process training ``spec``; it starts
    paused and builds the model at once.  Raises what ``Process.start`` raises."""
    context = multiprocessing.get_context("spawn")
    conn, child_conn = context.Pipe()
    process = context.Process(target=remote.serve, name="vdq-training",
                              args=(child_conn, spec, build, generation, threads, inspect, state), daemon=True)
    try:
        process.start()
    except BaseException:
        conn.close()
        raise
    finally:
        child_conn.close()
    return StartedProcess(process, conn, spec, generation)
