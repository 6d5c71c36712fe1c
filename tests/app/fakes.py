"""A fake trainer for worker tests, importable by a spawned training process.

It is steered by its spec, because in the process worker the test cannot reach the
trainer that trains: ``dequantizer`` may read "fail@N" (raise at step N), "nan@N" (stop
like a non-finite loss before step N), "slow" (5 ms a step), "crash@N" (the process
exits at step N, as if killed) or "badbuild" (building raises)."""

import os
import threading
import time

from tests.app.conftest import snapshot_1d


def option(spec, name):
    """The N of "name@N" in spec.dequantizer, or None."""
    for part in spec.dequantizer.split(","):
        if part.startswith(name + "@"):
            return int(part.split("@")[1])
    return None


class FakeTrainer:
    def __init__(self, spec, step_s=0.0):
        self.spec = spec
        self.step_count = 0
        self.learning_rate = 0.01
        self.batch_size = 32
        self.stopped_reason = None
        self.step_s = 0.005 if "slow" in spec.dequantizer else step_s
        self.fail_at = option(spec, "fail")
        self.nan_at = option(spec, "nan")
        self.crash_at = option(spec, "crash")
        self.thread_ids = set()
        self.pids = {os.getpid()}

    def step(self):
        self.thread_ids.add(threading.get_ident())
        if self.step_s:
            time.sleep(self.step_s)
        if self.crash_at is not None and self.step_count + 1 >= self.crash_at:
            os._exit(3)
        if self.fail_at is not None and self.step_count + 1 >= self.fail_at:
            raise RuntimeError("boom")
        if self.nan_at is not None and self.step_count + 1 >= self.nan_at:
            self.stopped_reason = "non-finite loss (nan)"
            return {}
        self.step_count += 1
        self.stopped_reason = None
        return {}

    def export_state(self, log_from=0):
        return {"log_length": 0, "step_count": self.step_count, "learning_rate": self.learning_rate,
                "batch_size": self.batch_size, "pids": set(self.pids), "thread_ids": set(self.thread_ids)}

    def load_state(self, state):
        for name, value in state.items():
            if name != "log_length":
                setattr(self, name, value)


def build(spec):
    if "badbuild" in spec.dequantizer:
        raise ValueError("bad config")
    return FakeTrainer(spec)


def inspect(trainer, **_parts):  # parts (e.g. ladder=False) change nothing here
    return snapshot_1d(step=trainer.step_count)
