"""The child process of the GUI benchmarks (``python -m benchmarks.perf_probe MODE``).

MODE ``startup``: the real entry point (vdq_gui.app.main.main) with one hook: the first
    paint of the main window prints ``@@{"event": "first_paint", ...}`` and the process
    exits at once.  The parent times launch -> that line.
MODE ``ready``: the real entry point with one hook: the first frame drawn from a built
    model (step 0 on screen, Play works) prints ``@@{"event": "ready", ...}`` and the
    process exits.  The parent times launch -> that line (``time_to_ready_s``).
MODE ``bare``: what the window waits for at the least: import torch, load the data and
    build the same trainer, then ``@@{"event": "ready"}``.
MODE ``live``: the real window, offscreen, with its own worker and frame timer.  Commands
    arrive on stdin as JSON lines, results leave on stdout as ``@@``-prefixed JSON lines:
      {"cmd": "run", "seconds": S, "warmup": W}   train S s (after W s) and report
      {"cmd": "soak", "seconds": S, "every": E}   train S s, report every E s
      {"cmd": "switch", "action": A}              dataset:SOURCE, dequantizer:NAME or reset:
                                                  seconds until the new run's first frame
      {"cmd": "quit"}
MODE ``headless``: the same trainer (built and threaded as the worker builds it) in a
    plain loop; accepts ``run`` and ``quit``.

Nothing here imports torch before the window paints (startup must measure the app's own
order), and nothing edits the app: measurements hook it from the outside.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.util
import json
import os
import sys
import threading
import time

PREFIX = "@@"


def emit(**record) -> None:
    sys.stdout.write(PREFIX + json.dumps(record) + "\n")
    sys.stdout.flush()


def rss_mb() -> float:
    """This process and its children (the training process), in MB."""
    import multiprocessing

    from benchmarks.perf_stats import rss_mb as read

    return read() + sum(read(child.pid) for child in multiprocessing.active_children())


def rss_by_process_mb() -> dict[str, float]:
    """The window's process and the training process(es) apart, in MB."""
    import multiprocessing

    from benchmarks.perf_stats import rss_mb as read

    return {"rss_window_mb": read(),
            "rss_training_mb": sum(read(child.pid) for child in multiprocessing.active_children())}


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds of every thread of this process by thread name (Linux /proc; {} elsewhere).
    Qt names a QThread's OS thread after its objectName (the worker: vdq-training-worker)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[str, float] = {}
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        name = "gui" if int(tid) == os.getpid() else stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return out


def cpu_fractions(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """Per-thread share of one core over ``seconds`` (threads using under 1% left out)."""
    shares = {name: (after[name] - before.get(name, 0.0)) / seconds for name in after}
    return {name: round(share, 3) for name, share in shares.items() if share >= 0.01}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf_probe")
    parser.add_argument("mode", choices=("startup", "ready", "bare", "live", "headless"))
    parser.add_argument("--data", default="builtin:bimodal")
    parser.add_argument("--dequantizer", default="variational")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--compare", default="", help="live: A,B[,C] trains these side by side")
    parser.add_argument("--variant", default="normal", choices=sorted(VARIANTS),
                        help="diagnostics only: switch parts of the live pipeline off (see VARIANTS)")
    return parser.parse_args(argv)


def when_imported(name: str, patch) -> None:
    """Call ``patch(module)`` right after the app itself first imports module ``name``.
    Importing it here instead would move Qt's import (the window module's) before the app's
    own start-up steps, e.g. before it starts its training process, and so change what is
    measured."""

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path, target=None):
            if fullname != name:
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            run = spec.loader.exec_module

            def exec_module(module):
                run(module)
                patch(module)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Hook())


# == startup ===========================================================================
def startup(args) -> int:
    def hook(window_module):
        original = window_module.MainWindow.paintEvent

        def first_paint(self, event):
            original(self, event)
            emit(event="first_paint", torch_imported="torch" in sys.modules,
                 process_s=time.perf_counter() - STARTED)
            os._exit(0)  # measured; do not wait for the worker's torch import to finish

        window_module.MainWindow.paintEvent = first_paint

    when_imported("vdq_gui.app.window", hook)
    from vdq_gui.app.main import main

    return main([args.data, "--dequantizer", args.dequantizer, "--size", args.size])


# == ready: launch -> a model on screen ================================================
def ready(args) -> int:
    def hook(window_module):
        original = window_module.MainWindow._on_moment  # every frame drawn passes here

        def on_moment(self, moment):
            original(self, moment)
            if self.actions["play"].isEnabled():  # every picture drawn is of a built model
                emit(event="ready", step=moment.step, torch_in_window="torch" in sys.modules,
                     learning_rate=self.controls.learning_rate.value(), process_s=time.perf_counter() - STARTED)
                sys.stdout.flush()
                os._exit(0)  # the training process sees its pipe close and ends

        window_module.MainWindow._on_moment = on_moment

    when_imported("vdq_gui.app.window", hook)
    from vdq_gui.app.main import main

    return main([args.data, "--dequantizer", args.dequantizer, "--size", args.size])


def bare(args) -> int:
    import torch  # noqa: F401 - the point: what importing torch and building costs

    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.loop import RunSpec, build_trainer

    build_trainer(RunSpec.of(load_data(args.data), dequantizer=args.dequantizer, seed=args.seed))
    emit(event="ready", process_s=time.perf_counter() - STARTED)
    return 0


# == live ==============================================================================
def stdin_commands(callback) -> None:
    """Read JSON lines from stdin in a daemon thread; ``callback`` runs in the GUI thread."""
    from PySide6 import QtCore

    class Relay(QtCore.QObject):
        line = QtCore.Signal(str)

        @QtCore.Slot(str)
        def handle(self, text: str) -> None:
            callback(text)

    relay = Relay()  # lives in the GUI thread, so the queued slot runs there
    relay.line.connect(relay.handle, QtCore.Qt.ConnectionType.QueuedConnection)

    def read() -> None:
        for line in sys.stdin:
            relay.line.emit(line)
        relay.line.emit('{"cmd": "quit"}')

    threading.Thread(target=read, name="probe-stdin", daemon=True).start()
    return relay


class LiveProbe:
    """Hooks the window from outside: the frame timer's ticks (event-loop latency), the
    redraws (frame_drawn) and the cost of each draw (wrapping the plots' draw).  In
    compare mode the steps are every run's added."""

    def __init__(self, window, app):
        from PySide6 import QtCore

        self.window, self.app, self.QtCore = window, app, QtCore
        self.ticks: list[float] = []
        self.draws: list[float] = []
        self.draw_costs: list[float] = []
        self.ready = False
        window.frame_timer.timeout.connect(self._on_tick)
        window.frame_drawn.connect(self._on_drawn)
        draw = window.plots.draw

        def timed_draw(moment):
            started = time.perf_counter()
            draw(moment)
            self.draw_costs.append(time.perf_counter() - started)

        window.plots.draw = timed_draw  # show_moment looks draw up on the instance

    # -- hooks ----------------------------------------------------------------------
    def _on_tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def _on_drawn(self, step: int) -> None:
        self.draws.append(time.perf_counter())
        if not self.ready and self.window.worker.trainer is not None:
            self.ready = True
            emit(event="ready", rss_mb=rss_mb())

    def _clear(self) -> None:
        self.ticks.clear()
        self.draws.clear()
        self.draw_costs.clear()

    def _steps(self) -> int:
        trainers = [run.worker.trainer for run in self.window.session.runs]
        return sum(int(t.step_count) for t in trainers if t is not None)

    def _play(self, on: bool) -> None:
        self.window.actions["play"].setChecked(on)  # what Space does

    def _window_stats(self, seconds: float) -> dict:
        from benchmarks.perf_stats import intervals, percentile

        ticks = [1e3 * d for d in intervals(self.ticks)]
        redraws = [1e3 * d for d in intervals(self.draws)]
        costs = [1e3 * c for c in self.draw_costs]
        return {"frames": len(self.draws), "frames_per_second": len(self.draws) / seconds,
                "tick_intervals_ms": ticks, "tick_p99_ms": percentile(ticks, 99), "tick_max_ms": max(ticks, default=0),
                "redraw_p99_ms": percentile(redraws, 99), "draw_ms_median": percentile(costs, 50),
                "draw_ms_p99": percentile(costs, 99)}

    # -- commands -------------------------------------------------------------------
    def command(self, line: str) -> None:
        request = json.loads(line)
        cmd = request.get("cmd")
        if cmd == "run":
            self._run(float(request["seconds"]), float(request.get("warmup", 1.0)))
        elif cmd == "soak":
            self._soak(float(request["seconds"]), float(request.get("every", 30.0)))
        elif cmd == "switch":
            self._switch(str(request["action"]))
        elif cmd == "scrub":
            self._scrub(int(request.get("moves", 40)))
        elif cmd == "quit":
            self.window.close()
            self.app.quit()

    def _run(self, seconds: float, warmup: float) -> None:
        state = {}
        self._play(True)

        def begin() -> None:
            self._clear()
            state.update(step=self._steps(), t=time.perf_counter(), rss=rss_mb(), cpu=thread_cpu_s())

        def end() -> None:
            elapsed = time.perf_counter() - state["t"]
            steps = self._steps() - state["step"]
            stats = self._window_stats(elapsed)
            stats["thread_cpu"] = cpu_fractions(state["cpu"], thread_cpu_s(), elapsed)
            self._play(False)
            emit(event="run", seconds=elapsed, steps=steps, steps_per_s=steps / elapsed,
                 rss_mb_start=state["rss"], rss_mb_end=rss_mb(), step=self._steps(), **stats)

        self.QtCore.QTimer.singleShot(int(warmup * 1000), begin)
        self.QtCore.QTimer.singleShot(int((warmup + seconds) * 1000), end)

    def _switch(self, action: str) -> None:
        """Switch as the user does (no question asked: ask_before_reset is off) and time it
        to the first frame of the new run (the window drops every picture of the old one)."""
        what, _, argument = action.partition(":")
        started = time.perf_counter()
        window = self.window

        def drawn(step: int) -> None:
            window.frame_drawn.disconnect(drawn)
            emit(event="switch", action=action, seconds=time.perf_counter() - started, step=step)

        window.frame_drawn.connect(drawn)
        if what == "dataset":
            window.load_source(argument)
        elif what == "dequantizer":
            window.apply_spec(window.spec.with_changes(dequantizer=argument), "switch")
        else:
            window.apply_spec(window.spec, "Reset")
    def _scrub(self, moves: int) -> None:
        """Slider moves through the timeline while training goes on: each from the move
        to the window painted (the moment drawn synchronously, then a forced repaint);
        and the timeline's memory, extrapolated to an hour of capturing."""
        from vdq_gui.app.timeline import CAPTURE_HZ, kept_after
        from vdq_gui.training.history import LOG_COLUMNS

        LOG_ROW_BYTES = 8 * len(LOG_COLUMNS)  # noqa: N806 (a constant of this measurement)

        session, window = self.window.session, self.window
        self._play(True)
        costs = []

        def one(index: int) -> None:
            if index >= moves:
                session.go_live()
                self._play(False)
                timeline = session.timeline
                per_moment = timeline.nbytes(history=False) / max(1, len(timeline))
                history = timeline.nbytes() - timeline.nbytes(history=False)
                trained_s = max(1e-3, time.perf_counter() - state["t"])
                hour = kept_after(int(3600 * CAPTURE_HZ), timeline.recent)
                # Loss histories are views of the runs' logs: what grows with the run is the
                # logged rows (the buffers' first 1024-row capacity is a fixed cost, already
                # in `history`).  The timeline points old moments at the newest buffer
                # (Timeline._share_histories), and a buffer doubles when it fills, so each
                # run's buffer holds at most twice its rows.
                rows_per_s = (log_rows() - state["rows"]) / trained_s
                history_hour = 2 * rows_per_s * 3600 * LOG_ROW_BYTES
                mb = (per_moment * hour + history + history_hour) / 1e6
                emit(event="scrub", scrub_ms=costs, moments=len(timeline), per_moment_kb=per_moment / 1e3,
                     history_mb=history / 1e6, log_rows_per_s=rows_per_s, history_mb_per_hour=history_hour / 1e6,
                     timeline_mb_per_hour=mb, trained_s=trained_s)
                return
            count = len(session.timeline)
            started = time.perf_counter()
            window.plots.timeline_bar.slider.setValue(max(0, count - 1 - (index * 7) % max(1, count)))
            window.repaint()
            costs.append(1e3 * (time.perf_counter() - started))
            self.QtCore.QTimer.singleShot(100, lambda: one(index + 1))

        def log_rows() -> int:
            return sum(len(run.snapshot.history) for run in session.runs if run.snapshot is not None)

        state = {"t": time.perf_counter(), "rows": log_rows()}
        self.QtCore.QTimer.singleShot(3000, lambda: one(0))  # some moments to scrub through

    def _soak(self, seconds: float, every: float) -> None:
        started = time.perf_counter()
        state = {"step": self._steps(), "t": started}
        self._clear()
        self._play(True)
        emit(event="soak", t=0.0, step=state["step"], rss_mb=rss_mb(), steps_per_s=0.0, frames_per_second=0.0,
             **rss_by_process_mb())
        timer = self.QtCore.QTimer(self.window)
        timer.setInterval(int(every * 1000))

        def sample() -> None:
            now = time.perf_counter()
            stats = self._window_stats(now - state["t"])
            stats.pop("tick_intervals_ms")
            steps = self._steps()
            emit(event="soak", t=now - started, step=steps, rss_mb=rss_mb(),
                 steps_per_s=(steps - state["step"]) / (now - state["t"]), **rss_by_process_mb(), **stats)
            state.update(step=steps, t=now)
            self._clear()
            if now - started >= seconds - 1e-3:
                timer.stop()
                self._play(False)
                emit(event="soak_done")

        timer.timeout.connect(sample)
        timer.start()
        self._soak_timer = timer


# Diagnostics only (--variant): switch parts of the live pipeline off or change one
# setting, to find where live training loses its speed.  Each is (before, after): called
# before the window exists and once it exists.
def _no_draw(window) -> None:
    """Take snapshots as usual but draw nothing (the GUI thread stays idle)."""
    window.plots.draw = lambda moment: None


def _cached_snapshot(window) -> None:
    """Every snapshot is the first one (step updated): no inspection cost; drawing as usual."""
    from dataclasses import replace

    worker, original, cache = window.worker, window.worker.inspect, {}

    def inspect(trainer):
        if "snapshot" not in cache:
            cache["snapshot"] = original(trainer)
        return replace(cache["snapshot"], step=trainer.step_count)

    worker.inspect = inspect


def _thread_worker() -> None:
    """Train in a QThread of the window's process (vdq-gui --worker thread)."""
    from vdq_gui.app import window
    from vdq_gui.app.worker import TrainingWorker

    original = window.MainWindow.__init__

    def init(self, spec, **kwargs):
        kwargs["worker_factory"] = TrainingWorker
        original(self, spec, **kwargs)

    window.MainWindow.__init__ = init


def _recording(window) -> None:
    """Record ▸ Start on the whole window, GIF at the default frame rate and width (issue 9:
    recording may cost the live frame targets only a few percent).  The GIF goes to a
    temporary folder, written when the window closes at "quit"."""
    import tempfile

    from vdq_gui.app.recording_menu import RecordOptions

    path = os.path.join(tempfile.mkdtemp(prefix="vdq-probe-"), "live.gif")
    if not window.record_commands.start(RecordOptions(path=path), window):
        raise SystemExit("could not start recording")


def _nothing(*_args) -> None:
    pass


VARIANTS = {
    "normal": (_nothing, _nothing),
    "thread": (_thread_worker, _nothing),
    "nodraw": (_nothing, _no_draw),
    "cached_snapshot": (_nothing, _cached_snapshot),
    "thread_nodraw": (_thread_worker, _no_draw),
    "thread_cached_snapshot": (_thread_worker, _cached_snapshot),
    "recording": (_nothing, _recording),
}


def live(args) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from vdq_gui.app import style

    style.configure_pyqtgraph()
    before, after = VARIANTS[args.variant]
    before()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from vdq_gui.app.main import parse_size
    from vdq_gui.app.window import MainWindow
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.loop import RunSpec

    spec = RunSpec.of(load_data(args.data), dequantizer=args.dequantizer, seed=args.seed)
    compare = [name for name in args.compare.split(",") if name] or None
    window = MainWindow(spec, compare=compare, ask_before_reset=False)
    window.resize(*parse_size(args.size))
    window.show()
    probe = LiveProbe(window, app)
    after(window)
    relay = stdin_commands(probe.command)  # noqa: F841 - kept alive for the whole run
    QtCore.QTimer.singleShot(0, window.start)
    return app.exec()


# == headless ==========================================================================
def headless(args) -> int:
    from vdq_gui.training.loop import RunSpec, build_trainer, limit_torch_threads
    from vdq_gui.data.loaders import load_data

    limit_torch_threads()  # the worker's own thread policy
    trainer = build_trainer(RunSpec.of(load_data(args.data), dequantizer=args.dequantizer, seed=args.seed))
    trainer.step()
    emit(event="ready", rss_mb=rss_mb())
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("cmd") != "run":
            break
        warmup_end = time.perf_counter() + float(request.get("warmup", 1.0))
        while time.perf_counter() < warmup_end:
            trainer.step()
        start_step, started, cpu = trainer.step_count, time.perf_counter(), thread_cpu_s()
        end = started + float(request["seconds"])
        while time.perf_counter() < end:
            trainer.step()
        elapsed = time.perf_counter() - started
        steps = trainer.step_count - start_step
        emit(event="run", seconds=elapsed, steps=steps, steps_per_s=steps / elapsed, rss_mb_end=rss_mb(),
             thread_cpu=cpu_fractions(cpu, thread_cpu_s(), elapsed))
    return 0


STARTED = time.perf_counter()

if __name__ == "__main__":
    arguments = parse_args()
    sys.exit({"startup": startup, "ready": ready, "bare": bare, "live": live,
              "headless": headless}[arguments.mode](arguments))
