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

from typing import Callable

from vdq_gui.app.worker_base import (PictureBudget, PictureSlot, SignalHooks, TrainingWorkerBase, picture, register,
                                     running_workers)
from vdq_gui.training.loop import RunSpec, TrainingLoop, build_trainer, inspect_trainer, limit_torch_threads

__all__ = ["RunSpec", "TrainingWorker", "PictureSlot", "picture", "running_workers"]


class _ThreadHooks(SignalHooks):
    """News as signals; a picture is made here, in the loop's thread, into the slot."""

    def publish(self, trainer, generation: int, trainer_generation: int, steps_per_s: float) -> None:
        self.worker.slot.put(picture(self.worker.inspect, trainer, steps_per_s, self.worker.picture_parts,
                                     self.worker.budget, self.worker.is_running), generation)


class TrainingWorker(TrainingWorkerBase):
    """Runs a TrainingLoop in this QThread; only this thread touches the trainer."""

    def __init__(self, spec: RunSpec, parent=None,
                 build: Callable = build_trainer, inspect: Callable = inspect_trainer):
        super().__init__(parent)
        self.setObjectName("vdq-training-worker")
        self.inspect = inspect
        self.slot = PictureSlot()
        self.budget = PictureBudget()
        self.loop = TrainingLoop(spec, _ThreadHooks(self, lambda: self.loop.generation), build)
        register(self)

    def _send(self, command: str, *arguments) -> None:
        self.loop.apply(command, *arguments)

    def reset(self, spec: RunSpec | None = None, state=None) -> None:
        """Build a fresh trainer (from ``spec``, or the current one) and pause; with
        ``state`` it continues from that saved state."""
        # The slot learns the new generation first, so no picture of the old run can
        # land in it after this returns.
        self.slot.expect(self.loop.generation + 1)
        self.loop.reset(spec, state)

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
