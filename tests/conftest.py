"""Shared test set-up.

* Qt runs offscreen (set before anything imports Qt), so the suite needs no display.
* Every test must leave no thread behind: no non-daemon Python thread, no running
  training QThread and no training process.  A leftover thread is how "QThread: Destroyed while thread is still
  running" crashes start, so it fails the test that caused it.
"""

import os
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

THREAD_GRACE_S = 3.0


def _leftovers(before: set) -> list[str]:
    names = [f"thread {t.name!r}" for t in threading.enumerate()
             if t not in before and t.is_alive() and not t.daemon]
    worker_module = sys.modules.get("vdq_gui.app.worker_base")  # only if the test used the app
    if worker_module is not None:
        names += [f"QThread {w.objectName()!r}" for w in worker_module.running_workers()]
    if "multiprocessing" in sys.modules:  # a training process outliving its worker
        names += [f"process {p.name!r}" for p in sys.modules["multiprocessing"].active_children()]
    return names


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    while (left := _leftovers(before)) and time.monotonic() < deadline:
        time.sleep(0.05)  # give threads that are finishing a moment
    if left:
        worker_module = sys.modules.get("vdq_gui.app.worker_base")
        for worker in worker_module.running_workers() if worker_module else ():
            worker.shutdown()  # so one leak does not cascade into the next tests
        pytest.fail(f"test left running: {', '.join(left)}")
