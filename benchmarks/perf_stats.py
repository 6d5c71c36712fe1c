"""Small, dependency-free helpers shared by the performance benchmarks: statistics,
alternating A/B measurement, resident memory, and the targets the table checks."""

from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

# key -> (comparison, threshold, unit, what).  ">=" means higher is better.
TARGETS: dict[str, tuple[str, float, str, str]] = {
    "headless_vs_bare_steps_ratio": (">=", 0.95, "", "Trainer steps/s / bare torch loop"),
    "live_vs_headless_steps_ratio": (">=", 0.95, "", "steps/s with the window drawing / headless"),
    "frame_interval_p99_ms": ("<=", 40.0, "ms", "p99 interval between frame-timer ticks"),
    "frames_per_second": (">=", 28.0, "/s", "plot redraws per second while training"),
    "compare_frames_per_second": (">=", 25.0, "/s", "redraws per second, compare mode (uniform, variational)"),
    "compare_frame_interval_p99_ms": ("<=", 50.0, "ms", "p99 frame-timer tick interval, compare mode"),
    "compare_vs_headless_steps_ratio": (">=", 1.0, "", "both runs' steps/s added / one headless variational run"),
    "scrub_ms": ("<=", 50.0, "ms", "timeline slider move to the frame painted (median)"),
    "timeline_mb_per_hour": ("<=", 200.0, "MB", "timeline memory after one hour, extrapolated"),
    "snapshot_ms": ("<=", 10.0, "ms", "inspect.snapshot, 1-D, K = 256 (median)"),
    "startup_s": ("<=", 3.0, "s", "process start to first window paint (median)"),
    "time_to_ready_vs_bare_ratio": ("<=", 1.2, "", "launch to a model on screen / bare torch + trainer"),
    "switch_s": ("<=", 1.0, "s", "dataset / dequantizer switch or Reset to the new run's first frame"),
    "rss_growth_mb": ("<=", 50.0, "MB", "RSS growth over 20 min training with the window open"),
    # Quick runs only: the 20-minute figure extrapolated from a short run (never rss_growth_mb).
    "rss_growth_mb_extrapolated": ("<=", 50.0, "MB", "EXTRAPOLATED to 20 min from a short run"),
}


def median(values) -> float:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(statistics.median(values)) if values else float("nan")


def percentile(values, q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a sequence; NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def intervals(times) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def alternate(side_a: Callable[[], float], side_b: Callable[[], float], pairs: int) -> dict:
    """Measure two sides in alternation (A B, B A, A B, ...) and return the per-pair
    ratios a/b with their median.  Each side returns a rate (higher = faster).
    Swapping the order every pair cancels slow drifts in machine load."""
    a_values, b_values, ratios = [], [], []
    for i in range(pairs):
        if i % 2 == 0:
            a, b = side_a(), side_b()
        else:
            b, a = side_b(), side_a()
        a_values.append(a)
        b_values.append(b)
        ratios.append(a / b if b > 0 else float("nan"))
    return {"ratio": median(ratios), "ratios": ratios, "a": a_values, "b": b_values,
            "a_median": median(a_values), "b_median": median(b_values)}


def rss_mb(pid: int | None = None) -> float:
    """Resident set size in MB (Linux /proc; elsewhere the peak, via getrusage, for self)."""
    try:
        with open(f"/proc/{pid or 'self'}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    if pid is None or pid == os.getpid():
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024.0 * 1024.0) if os.uname().sysname == "Darwin" else peak / 1024.0
    return float("nan")


def slope(xs, ys) -> float:
    """Least-squares slope of ys against xs (NaN with fewer than two distinct xs)."""
    if len(xs) < 2:
        return float("nan")
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return float("nan")
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


@dataclass
class Stopwatch:
    """Wall and CPU seconds since creation."""

    wall0: float = 0.0
    cpu0: float = 0.0

    def __post_init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    @property
    def wall(self) -> float:
        return time.perf_counter() - self.wall0

    @property
    def cpu(self) -> float:
        return time.process_time() - self.cpu0


def verdict(key: str, value) -> str:
    """"pass" / "FAIL" against TARGETS, "-" for keys without a target or no number."""
    if key not in TARGETS or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "-"
    op, threshold = TARGETS[key][:2]
    ok = value >= threshold if op == ">=" else value <= threshold
    return "pass" if ok else "FAIL"
