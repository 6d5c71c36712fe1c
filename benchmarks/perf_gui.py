"""GUI benchmarks, parent side: start-up time, live vs headless speed, frame timing and
memory growth, each measured on the real window in a child process (perf_probe)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.perf_probe import PREFIX
from benchmarks.perf_stats import alternate, median, percentile, slope

REPO = Path(__file__).resolve().parents[1]
RSS_HORIZON_S = 20 * 60  # the run rss_growth_mb is defined over


class ProbeError(RuntimeError):
    pass


class Child:
    """One perf_probe process; records on stdout arrive in a queue with their arrival time."""

    def __init__(self, mode: str, *, data: str = "builtin:bimodal", dequantizer: str = "variational",
                 variant: str = "normal", compare: str = ""):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.perf_probe", mode, "--data", data, "--dequantizer", dequantizer,
             "--variant", variant, "--compare", compare],
            cwd=REPO, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr)
        self.records: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(PREFIX):
                record = json.loads(line[len(PREFIX):])
                record["_arrived"] = time.perf_counter()
                self.records.put(record)
        self.records.put({"event": "_exit"})

    def expect(self, event: str, timeout: float) -> dict:
        deadline = time.perf_counter() + timeout
        while True:
            try:
                record = self.records.get(timeout=max(0.01, deadline - time.perf_counter()))
            except queue.Empty:
                raise ProbeError(f"no {event!r} from the probe within {timeout:.0f} s{self._tail()}") from None
            if record["event"] == event:
                return record
            if record["event"] == "_exit":
                raise ProbeError(f"probe exited ({self.proc.wait()}) before {event!r}{self._tail()}")

    def send(self, **command) -> None:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def close(self, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.stdin.close()
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()

    def _tail(self) -> str:
        self.stderr.seek(0)
        text = self.stderr.read()[-2000:]
        return f"; stderr:\n{text}" if text else ""


# == start-up ============================================================================
def startup_once(data: str = "builtin:bimodal") -> dict:
    child = Child("startup", data=data)
    try:
        record = child.expect("first_paint", timeout=120)
    finally:
        child.close()
    return {"startup_s": record["_arrived"] - child.started, "torch_imported": record["torch_imported"],
            "in_process_s": record["process_s"]}


def startup(runs: int) -> dict:
    """Process launch (in this process) to the first paint of the main window, ``runs`` times."""
    samples = [startup_once() for _ in range(runs)]
    times = [s["startup_s"] for s in samples]
    return {"startup_s": median(times), "all_s": times, "max_s": max(times),
            "torch_imported_before_first_paint": any(s["torch_imported"] for s in samples),
            "interpreter_and_imports_before_main_s": median([s["startup_s"] - s["in_process_s"] for s in samples])}


# == time to ready ========================================================================
def _launch_to(mode: str, data: str, dequantizer: str) -> tuple[float, dict]:
    child = Child(mode, data=data, dequantizer=dequantizer)
    try:
        record = child.expect("ready", timeout=300)
    finally:
        child.close()
    return record["_arrived"] - child.started, record


def time_to_ready(pairs: int, data: str = "builtin:bimodal", dequantizer: str = "variational") -> dict:
    """Launch -> the window shows a built model (step 0 drawn, Play enabled), against a
    bare ``python`` that imports torch, loads the data and builds the same trainer;
    alternating (A B, B A, ...) in one run, median of the per-pair ratios."""
    records: list[dict] = []

    def window() -> float:
        seconds, record = _launch_to("ready", data, dequantizer)
        records.append(record)
        return seconds

    result = alternate(window, lambda: _launch_to("bare", data, dequantizer)[0], pairs)
    result.update(time_to_ready_s=result["a_median"], bare_s=result["b_median"], case=f"{data}/{dequantizer}",
                  torch_in_window=any(r.get("torch_in_window") for r in records),
                  first_learning_rate=[r.get("learning_rate") for r in records])
    return result


SWITCHES = ("dataset:builtin:counts", "dequantizer:uniform", "reset:", "dataset:builtin:digits",
            "dataset:builtin:bimodal", "dequantizer:variational", "reset:")


def switch_times(repeats: int) -> dict:
    """Seconds from a switch of dataset or dequantizer, or a Reset, in the open window to
    the new run's first frame, for each switch in SWITCHES, ``repeats`` times."""
    child = Child("live")
    times: dict[str, list[float]] = {}
    try:
        child.expect("ready", timeout=180)
        for _ in range(repeats):
            for action in SWITCHES:
                child.send(cmd="switch", action=action)
                times.setdefault(action, []).append(child.expect("switch", timeout=120)["seconds"])
    finally:
        child.close()
    medians = {action: median(values) for action, values in times.items()}
    return {"switch_s": max(medians.values()), "by_action_s": medians, "all_s": times}


# == live vs headless ====================================================================
def live_vs_headless(pairs: int, seconds: float, warmup: float, data: str = "builtin:bimodal",
                     dequantizer: str = "variational", variant: str = "normal") -> dict:
    """steps/s of the shown window (training at full speed, every plot redrawing) / steps/s of
    the same trainer headless; both children stay up and take turns (never both at once)."""
    live = Child("live", data=data, dequantizer=dequantizer, variant=variant)
    headless = Child("headless", data=data, dequantizer=dequantizer)
    runs: list[dict] = []
    headless_runs: list[dict] = []
    try:
        ready = live.expect("ready", timeout=180)
        headless.expect("ready", timeout=180)
        timeout = seconds + warmup + 60

        result = alternate(timed_side(live, seconds, warmup, timeout, runs),
                           timed_side(headless, seconds, warmup, timeout, headless_runs), pairs)
    finally:
        live.close()
        headless.close()
    result.update(frame_stats(runs))
    result.update(rss_from_runs(runs, ready["rss_mb"]))
    result["headless_thread_cpu"] = {name: median([r["thread_cpu"].get(name, 0.0) for r in headless_runs])
                                     for name in {n for r in headless_runs for n in r.get("thread_cpu", {})}}
    result.update(seconds=seconds, warmup=warmup, case=f"{data}/{dequantizer}", variant=variant)
    return result


def timed_side(child, seconds: float, warmup: float, timeout: float, kept: list):
    """One side of a pair for ``alternate``: the child trains ``seconds`` (after ``warmup``),
    its report is kept, and its steps/s returned."""
    def side() -> float:
        child.send(cmd="run", seconds=seconds, warmup=warmup)
        kept.append(child.expect("run", timeout))
        return kept[-1]["steps_per_s"]

    return side


def frame_stats(runs: list[dict]) -> dict:
    """Pooled over every live run: p99 of the frame-timer tick intervals, redraws per second."""
    ticks = [t for run in runs for t in run.pop("tick_intervals_ms")]
    return {"frame_interval_p99_ms": percentile(ticks, 99), "frame_interval_max_ms": max(ticks, default=0.0),
            "frame_interval_median_ms": percentile(ticks, 50), "ticks": len(ticks),
            "frames_per_second": median([r["frames_per_second"] for r in runs]),
            "frames_per_second_runs": [r["frames_per_second"] for r in runs],
            "redraw_interval_p99_ms": median([r["redraw_p99_ms"] for r in runs]),
            "draw_ms_median": median([r["draw_ms_median"] for r in runs]),
            "draw_ms_p99": median([r["draw_ms_p99"] for r in runs]),
            "live_thread_cpu": {name: median([r["thread_cpu"].get(name, 0.0) for r in runs])
                                for name in {n for r in runs for n in r.get("thread_cpu", {})}},
            "live_runs": runs}


def rss_from_runs(runs: list[dict], ready_rss: float) -> dict:
    """Quick runs only: memory growth per training second, EXTRAPOLATED to 20 minutes.
    Never the 20-minute figure.  Uses the RSS read just after each run paused (the same
    phase every time), from the end of the first run (warm-up) on; the allocator's jitter
    of a few MB is multiplied by the extrapolation, so read it as a rough sign only."""
    trained, ends = 0.0, []
    for run in runs:
        trained += run["seconds"]
        ends.append((trained, run["rss_mb_end"]))
    rate = slope([t for t, _ in ends], [r for _, r in ends]) if len(ends) > 1 else float("nan")
    readings = [r[k] for r in runs for k in ("rss_mb_start", "rss_mb_end")]
    return {"rss_mb_ready": ready_rss, "rss_mb_last": ends[-1][1] if ends else float("nan"),
            "rss_trained_s": trained, "rss_mb_per_s": rate,
            "rss_observed_growth_mb": ends[-1][1] - ends[0][1] if ends else float("nan"),
            "rss_jitter_mb": max(readings) - min(readings) if readings else float("nan"),
            "rss_growth_mb_extrapolated": rate * RSS_HORIZON_S if rate == rate else float("nan")}


# == memory over a long run ================================================================
def rss_soak(seconds: float, every: float, data: str = "builtin:bimodal", dequantizer: str = "variational",
             progress=None) -> dict:
    """Train with the window open for ``seconds``; RSS, speed and frame timing every ``every`` s."""
    child = Child("live", data=data, dequantizer=dequantizer)
    samples = []
    try:
        child.expect("ready", timeout=180)
        child.send(cmd="soak", seconds=seconds, every=every)
        while True:
            record = child.records.get(timeout=every + 120)
            if record["event"] == "soak_done":
                break
            if record["event"] == "_exit":
                raise ProbeError(f"probe exited during the soak{child._tail()}")
            if record["event"] == "soak":
                record.pop("_arrived", None)
                samples.append(record)
                if progress:
                    progress(record)
    finally:
        child.close()
    return {**soak_summary(samples), "samples": samples}


def soak_summary(samples: list[dict]) -> dict:
    """Memory growth over the whole soak, and how speed and frames changed from its first
    minute to its last (a window that slows down as the run grows shows up here)."""
    first, last = samples[0], samples[-1]
    after_minute = [s for s in samples if s["t"] >= 60.0]
    early = [s for s in samples[1:] if s["t"] <= 60.0 + 1e-6]
    late = [s for s in samples[1:] if s["t"] >= last["t"] - 60.0 - 1e-6]

    def mean(rows, key):
        values = [r[key] for r in rows if r.get(key) == r.get(key)]
        return sum(values) / len(values) if values else float("nan")

    by_process = {f"{key.removesuffix('_mb')}_growth_mb": last[key] - first[key]
                  for key in ("rss_window_mb", "rss_training_mb") if key in first and key in last}
    return {"rss_growth_mb": last["rss_mb"] - first["rss_mb"], "seconds": last["t"], "steps": last["step"] - first["step"],
            **by_process,
            "rss_mb_start": first["rss_mb"], "rss_mb_end": last["rss_mb"],
            "rss_growth_after_first_minute_mb": (last["rss_mb"] - after_minute[0]["rss_mb"]) if after_minute else None,
            "rss_mb_per_minute": 60 * slope([s["t"] for s in samples], [s["rss_mb"] for s in samples]),
            **{f"{key}_{when}": mean(rows, key) for key in ("steps_per_s", "frames_per_second", "tick_p99_ms")
               for when, rows in (("first_minute", early), ("last_minute", late))}}


# == compare mode and the timeline ========================================================
COMPARED = "uniform,variational"
PACE = "variational"  # the slower run sets the lockstep's pace: the headless reference


def compare_vs_headless(pairs: int, seconds: float, warmup: float, data: str = "builtin:bimodal") -> dict:
    """Compare mode (uniform, variational in lockstep, each in its training process): both
    runs' steps/s added, over one headless variational run's steps/s; the two children take
    turns.  Then the timeline: slider moves while training, and its memory."""
    live = Child("live", data=data, variant="normal", compare=COMPARED)
    headless = Child("headless", data=data, dequantizer=PACE)
    runs: list[dict] = []
    try:
        live.expect("ready", timeout=240)
        headless.expect("ready", timeout=180)
        timeout = seconds + warmup + 60

        result = alternate(timed_side(live, seconds, warmup, timeout, runs),
                           timed_side(headless, seconds, warmup, timeout, []), pairs)
        headless.close()
        live.send(cmd="scrub", moves=40)
        scrub = live.expect("scrub", timeout=120)
    finally:
        live.close()
        headless.close()
    stats = frame_stats(runs)
    return {**result, "compare_frames_per_second": stats["frames_per_second"],
            "compare_frame_interval_p99_ms": stats["frame_interval_p99_ms"],
            "draw_ms_median": stats["draw_ms_median"], "draw_ms_p99": stats["draw_ms_p99"],
            "scrub_ms": median(scrub["scrub_ms"]), "scrub_ms_p90": percentile(scrub["scrub_ms"], 90),
            "timeline_mb_per_hour": scrub["timeline_mb_per_hour"], "timeline": scrub,
            "seconds": seconds, "warmup": warmup, "case": f"{data}/{COMPARED} vs headless {PACE}"}
