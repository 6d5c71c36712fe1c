"""The warm training process: forked while the app is one thread without Qt or torch, and
never left behind when the app ends without closing it."""

import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from vdq_gui.training import prestart

# What vdq-gui's main does before Qt: start the warm process, give it its run, and (here)
# end abruptly once its first picture is out, without closing our end of the pipe.
SCRIPT = """
import os, sys
from vdq_gui.training.prestart import start_warm_process
warm = start_warm_process()
print(warm.process._popen.method, warm.process.pid, flush=True)
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec
warm.assign(RunSpec.of(load_data("builtin:bimodal"), dequantizer="uniform"))
while True:
    message = warm.conn.recv()
    if message[0] == "picture":
        print("picture", message[2].step, flush=True)
        os._exit(0)
"""


def _ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] in ("Z", "X")  # a zombie has ended
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked on Linux only")
def test_the_warm_process_is_forked_serves_its_run_and_ends_with_the_app():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("\n")[:2]
    kind, pid = first.split()
    assert kind == "fork", first
    assert second == "picture 0"
    # The child held a copy of the app's end of the pipe once; it closed it, so the app's
    # end closing (here: the app's exit) ends it.
    deadline = time.monotonic() + 30
    while not _ended(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not _ended(int(pid)):
        os.kill(int(pid), 9)
        pytest.fail("the warm process outlived the app")


def test_fork_is_refused_once_qt_torch_or_a_thread_is_there(monkeypatch):
    def safe(platform="linux", modules=(), threads=1):
        monkeypatch.setattr(prestart, "sys", SimpleNamespace(platform=platform, modules=dict.fromkeys(modules)))
        monkeypatch.setattr(prestart.threading, "active_count", lambda: threads)
        return prestart.fork_is_safe()

    assert safe()
    assert not safe(modules=["PySide6.QtCore"])
    assert not safe(modules=["torch"])
    assert not safe(threads=2)
    assert not safe(platform="darwin")
    assert not safe(platform="win32")
