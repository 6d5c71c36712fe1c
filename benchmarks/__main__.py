"""``python -m benchmarks [--quick | --smoke] [--json PATH] [--only SECTION,...]``

Runs the performance cases several times, prints a table (key, value, target, pass/fail)
and with ``--json`` writes the keys below.  Every ratio is measured in one run, the two
sides alternating (A B, B A, ...), and the median of the per-pair ratios is reported.

  headless_vs_bare_steps_ratio   Trainer.step vs a bare torch loop (same models, batch, threads)
  live_vs_headless_steps_ratio   the real window (offscreen) training at full speed vs headless
  frame_interval_p99_ms          p99 interval between the window's frame-timer ticks while training
  frames_per_second              redraws per second while training
  snapshot_ms                    inspect.snapshot on a 1-D trainer with K = 256, as the window takes
                                 it by default (snapshot_ms_with_ladder: with the Bound ladder tab shown)
  startup_s                      process launch to the first paint of the main window
  time_to_ready_s                launch to a built model on screen (step 0 drawn, Play enabled)
  time_to_ready_vs_bare_ratio    that / a bare python importing torch and building the same trainer
  switch_s                       switching dataset or dequantizer, or Reset, to the new run's first
                                 frame (the slowest switch, median of its repeats)
  rss_growth_mb                  RSS growth over 20 min of training with the window open (full run only;
                                 --quick reports rss_growth_mb_extrapolated instead, labelled as such)
  steps_per_s, bpd_after_cpu     the built-in datasets (1-D and digits), uniform and variational

The full run takes over 25 minutes (the 20-minute memory run dominates); --quick stays under
3 minutes on 2 cores; --smoke is the seconds-long structural check the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.perf_stats import TARGETS, verdict

SECTIONS = ("engine", "snapshot", "builtins", "startup", "ready", "live", "compare", "memory")
APP_CASE = "builtin:bimodal/variational"  # what the window trains when it opens


@dataclass(frozen=True)
class Plan:
    ratio_cases: tuple  # (source, dequantizer, block steps, pairs[, TrainConfig overrides])
    snapshot_reps: int
    builtins: tuple  # datasets for steps/s and bits/dim
    cpu_budget_s: float
    startup_runs: int
    ready_pairs: int
    switch_repeats: int
    live_pairs: int
    live_seconds: float
    live_warmup: float
    soak_s: float  # 0: no long run; memory growth is extrapolated from the live runs
    soak_every_s: float = 30.0


ONE_D = ("builtin:bimodal", "uniform"), ("builtin:bimodal", "variational")
DIGITS = ("builtin:digits", "uniform"), ("builtin:digits", "variational")


def no_eval(pairs: int) -> tuple:
    """Diagnostic rows: the 1-D comparison with the Trainer's periodic evaluation off, to
    separate the cost of evaluating from the per-step bookkeeping."""
    return tuple((s, d, 100, pairs, {"eval_every": 10**9}) for s, d in ONE_D)


PLANS = {
    "full": Plan(ratio_cases=tuple((s, d, 100, 25) for s, d in ONE_D) + no_eval(15)
                 + tuple((s, d, 100, 5) for s, d in DIGITS),
                 snapshot_reps=200, builtins=("builtin:bimodal", "builtin:digits"), cpu_budget_s=60.0,
                 startup_runs=7, ready_pairs=7, switch_repeats=3, live_pairs=8, live_seconds=10.0, live_warmup=2.0, soak_s=1200.0),
    "quick": Plan(ratio_cases=tuple((s, d, 100, 15) for s, d in ONE_D) + no_eval(10), snapshot_reps=50,
                  builtins=("builtin:bimodal", "builtin:digits"), cpu_budget_s=6.0,
                  startup_runs=3, ready_pairs=3, switch_repeats=1, live_pairs=4, live_seconds=5.0, live_warmup=1.5, soak_s=0.0),
    "smoke": Plan(ratio_cases=(("builtin:bimodal", "uniform", 5, 2),), snapshot_reps=3,
                  builtins=("builtin:bimodal",), cpu_budget_s=0.3,
                  startup_runs=1, ready_pairs=1, switch_repeats=1, live_pairs=1, live_seconds=1.0, live_warmup=0.5, soak_s=0.0),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# == sections: each returns (top-level keys, details) ==================================
def run_engine(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_engine import headless_vs_bare

    cases = {}
    for source, dequantizer, block, pairs, *config in plan.ratio_cases:
        config = config[0] if config else {}
        case = f"{source}/{dequantizer}" + ("+no-eval" if config.get("eval_every") else "")
        log(f"engine: Trainer vs bare loop, {case}, {pairs} pairs of {block} steps")
        cases[case] = headless_vs_bare(source, dequantizer, block, pairs, **config)
    headline = cases.get(APP_CASE) or next(iter(cases.values()))
    keys = {"headless_vs_bare_steps_ratio": headline["ratio"],
            "headless_vs_bare_steps_ratio_by_case": {case: round(r["ratio"], 4) for case, r in cases.items()},
            # the same pairs timed in CPU seconds: less disturbed by other jobs on the machine
            "headless_vs_bare_steps_ratio_cpu_by_case": {case: round(r["cpu_ratio"], 4) for case, r in cases.items()}}
    return keys, cases


def run_snapshot(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_engine import snapshot_ms

    log(f"snapshot: K = 256, {plan.snapshot_reps} repetitions")
    details = {name: snapshot_ms(name, reps=plan.snapshot_reps) for name in ("variational", "uniform")}
    details["variational+ladder"] = snapshot_ms("variational", reps=plan.snapshot_reps, ladder=True)
    return {"snapshot_ms": details["variational"]["median_ms"],
            "snapshot_ms_uniform": details["uniform"]["median_ms"],
            "snapshot_ms_with_ladder": details["variational+ladder"]["median_ms"]}, details


def run_builtins(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_engine import train_for_cpu

    details = {}
    for source in plan.builtins:
        for dequantizer in ("uniform", "variational"):
            log(f"builtins: {source} {dequantizer}, {plan.cpu_budget_s:g} s of CPU")
            details[f"{source}/{dequantizer}"] = train_for_cpu(source, dequantizer, plan.cpu_budget_s)
    budget = f"{plan.cpu_budget_s:g}"
    return {"steps_per_s": {case: round(r["steps_per_s"], 2) for case, r in details.items()},
            "steps_per_cpu_s": {case: round(r["steps_per_cpu_s"], 2) for case, r in details.items()},
            f"val_bound_bpd_after_{budget}s_cpu": {case: round(r["val_bound_bpd"], 4) for case, r in details.items()},
            "bpd_cpu_budget_s": plan.cpu_budget_s}, details


def run_startup(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_gui import startup

    log(f"startup: {plan.startup_runs} launches")
    details = startup(plan.startup_runs)
    return {"startup_s": details["startup_s"]}, details


def run_ready(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_gui import switch_times, time_to_ready

    log(f"ready: {plan.ready_pairs} pairs of launches, window vs bare torch + trainer")
    details = {"time_to_ready": time_to_ready(plan.ready_pairs)}
    log(f"ready: switching dataset, dequantizer and Reset, {plan.switch_repeats} times each")
    details["switch"] = switch_times(plan.switch_repeats)
    return {"time_to_ready_s": details["time_to_ready"]["time_to_ready_s"],
            "time_to_ready_bare_s": details["time_to_ready"]["bare_s"],
            "time_to_ready_vs_bare_ratio": details["time_to_ready"]["ratio"],
            "switch_s": details["switch"]["switch_s"]}, details


def run_live(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_gui import live_vs_headless

    log(f"live: {plan.live_pairs} pairs of {plan.live_seconds:g} s, window vs headless")
    details = live_vs_headless(plan.live_pairs, plan.live_seconds, plan.live_warmup)
    keys = {"live_vs_headless_steps_ratio": details["ratio"],
            "frame_interval_p99_ms": details["frame_interval_p99_ms"],
            "frames_per_second": details["frames_per_second"],
            "live_steps_per_s": details["a_median"], "headless_steps_per_s": details["b_median"]}
    if not plan.soak_s:
        keys["rss_growth_mb"] = None  # never claimed from a short run
        keys["rss_growth_mb_extrapolated"] = details["rss_growth_mb_extrapolated"]
        keys["rss_extrapolated_from_s"] = round(details["rss_trained_s"], 1)
        keys["rss_jitter_mb"] = details["rss_jitter_mb"]
    return keys, details


def run_compare(plan: Plan) -> tuple[dict, dict]:
    from benchmarks.perf_gui import compare_vs_headless

    log(f"compare: {plan.live_pairs} pairs of {plan.live_seconds:g} s, two runs in lockstep vs one headless")
    details = compare_vs_headless(plan.live_pairs, plan.live_seconds, plan.live_warmup)
    keys = {"compare_vs_headless_steps_ratio": details["ratio"],
            "compare_frames_per_second": details["compare_frames_per_second"],
            "compare_frame_interval_p99_ms": details["compare_frame_interval_p99_ms"],
            "compare_steps_per_s": details["a_median"], "compare_headless_steps_per_s": details["b_median"],
            "scrub_ms": details["scrub_ms"], "timeline_mb_per_hour": details["timeline_mb_per_hour"]}
    return keys, details


def run_memory(plan: Plan) -> tuple[dict, dict]:
    if not plan.soak_s:
        return {}, {"skipped": "quick run: see rss_growth_mb_extrapolated"}
    from benchmarks.perf_gui import rss_soak

    log(f"memory: {plan.soak_s / 60:g} minutes of training with the window open")

    def progress(sample: dict) -> None:
        log(f"  t={sample['t']:.0f}s step={sample['step']} rss={sample['rss_mb']:.1f}MB "
            f"steps/s={sample['steps_per_s']:.0f} fps={sample['frames_per_second']:.1f}")

    details = rss_soak(plan.soak_s, plan.soak_every_s, progress=progress)
    return {"rss_growth_mb": details["rss_growth_mb"], "rss_run_s": details["seconds"],
            **{f"soak_{key}": details[key] for key in SOAK_KEYS}}, details


SOAK_KEYS = tuple(f"{key}_{when}" for key in ("steps_per_s", "frames_per_second", "tick_p99_ms")
                  for when in ("first_minute", "last_minute"))
RUNNERS = {"engine": run_engine, "snapshot": run_snapshot, "builtins": run_builtins, "startup": run_startup,
           "ready": run_ready, "live": run_live, "compare": run_compare, "memory": run_memory}


# == output ============================================================================
def fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def target_key(key: str) -> str:
    """The TARGETS entry a per-case, CPU-time or soak variant of a key is judged by."""
    key = key.removesuffix("_by_case").removesuffix("_cpu")
    if key.startswith("soak_"):
        key = key.removeprefix("soak_").removesuffix("_first_minute").removesuffix("_last_minute")
        key = {"tick_p99_ms": "frame_interval_p99_ms"}.get(key, key)
    return key


def row(key: str, value, judged_as: str) -> tuple[str, str, str, str]:
    target = TARGETS.get(judged_as)
    return key, fmt(value), f"{target[0]} {target[1]:g}" if target else "", verdict(judged_as, value)


def table(results: dict) -> str:
    rows = [("key", "value", "target", "result")]
    for key, value in results.items():
        if isinstance(value, dict):
            rows += [row(f"{key}[{case}]", inner, target_key(key)) for case, inner in value.items()]
        else:
            rows.append(row(key, value, target_key(key)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def meta(mode: str, threads: int, started: float) -> dict:
    import torch

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parents[1], timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"mode": mode, "torch_threads": threads, "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform(), "commit": commit,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "duration_s": round(time.perf_counter() - started, 1), "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="under 3 minutes; memory growth extrapolated")
    speed.add_argument("--smoke", action="store_true", help="seconds: checks the harness, not the numbers")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--only", metavar="SECTIONS", help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--threads", type=int, help="torch threads (default: what the window's worker uses)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    plan = PLANS[mode]
    sections = args.only.split(",") if args.only else list(SECTIONS)
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        print(f"error: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    import torch

    from benchmarks.perf_engine import app_threads

    threads = args.threads or app_threads()
    torch.set_num_threads(threads)
    results, details = {}, {}
    for name in sections:
        keys, details[name] = RUNNERS[name](plan)
        results.update(keys)
    print(table(results))
    document = {**results, "targets": {k: list(v) for k, v in TARGETS.items()}, "plan": asdict(plan),
                "meta": meta(mode, threads, started), "details": details}
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1, default=float, allow_nan=True) + "\n")
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
