"""Smoke test of the performance harness (python -m benchmarks): it runs end to end and
writes every key with the right structure.  Numbers are not checked here: CI machines are
too noisy for that, and the targets are judged by the full benchmark run."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import perf_stats
from benchmarks.__main__ import table
from benchmarks.perf_gui import rss_from_runs

REPO = Path(__file__).resolve().parents[1]
SPEC_KEYS = ("headless_vs_bare_steps_ratio", "live_vs_headless_steps_ratio", "frame_interval_p99_ms",
             "frames_per_second", "snapshot_ms", "startup_s", "time_to_ready_s", "time_to_ready_vs_bare_ratio",
             "switch_s", "compare_vs_headless_steps_ratio", "compare_frames_per_second",
             "compare_frame_interval_p99_ms", "scrub_ms", "timeline_mb_per_hour", "rss_growth_mb")


def test_alternate_swaps_the_order_every_pair_and_takes_the_median():
    calls = []

    def side(name, value):
        return lambda: calls.append(name) or value

    result = perf_stats.alternate(side("a", 2.0), side("b", 4.0), pairs=3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert result["ratio"] == 0.5 and result["ratios"] == [0.5, 0.5, 0.5]


def test_statistics_helpers():
    assert perf_stats.percentile([1, 2, 3, 4, 5], 50) == 3
    assert perf_stats.percentile([0, 10], 99) == pytest.approx(9.9)
    assert perf_stats.slope([0, 1, 2], [1, 3, 5]) == pytest.approx(2.0)
    assert perf_stats.intervals([0.0, 0.5, 2.0]) == [0.5, 1.5]
    assert perf_stats.verdict("snapshot_ms", 3.0) == "pass"
    assert perf_stats.verdict("frames_per_second", 3.0) == "FAIL"
    assert perf_stats.verdict("not_a_target", 1.0) == "-"
    assert perf_stats.rss_mb() > 0


def test_short_runs_extrapolate_memory_and_say_so():
    runs = [{"seconds": 5.0, "rss_mb_start": 100.0, "rss_mb_end": 110.0},
            {"seconds": 5.0, "rss_mb_start": 110.0, "rss_mb_end": 111.0},
            {"seconds": 5.0, "rss_mb_start": 111.0, "rss_mb_end": 112.0}]
    out = rss_from_runs(runs, ready_rss=90.0)
    assert "rss_growth_mb" not in out  # the 20-minute figure is never claimed from a short run
    assert out["rss_growth_mb_extrapolated"] == pytest.approx(0.2 * 1200)  # from the end of the first run
    assert out["rss_observed_growth_mb"] == 2.0 and out["rss_jitter_mb"] == 12.0


def test_table_judges_per_case_rows_by_their_key():
    text = table({"snapshot_ms": 12.0, "headless_vs_bare_steps_ratio_by_case": {"x/uniform": 0.99},
                  "rss_growth_mb": None})
    lines = text.splitlines()
    assert lines[0].split() == ["key", "value", "target", "result"]
    assert "FAIL" in lines[2] and "<= 10" in lines[2]
    assert "x/uniform" in lines[3] and "pass" in lines[3]
    assert "n/a" in lines[4]


@pytest.mark.timeout(600)  # it launches the window a few times: minutes on a loaded 2-core machine
def test_smoke_run_writes_every_key(tmp_path):
    out = tmp_path / "perf.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--json", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for key in SPEC_KEYS:
        assert key in result, key
        assert key in done.stdout  # and in the printed table
    for key in SPEC_KEYS[:-1]:
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["rss_growth_mb"] is None  # a short run only extrapolates, labelled as such
    assert isinstance(result["rss_growth_mb_extrapolated"], float)
    assert result["meta"]["mode"] == "smoke" and result["meta"]["torch_threads"] >= 1
    assert set(result["steps_per_s"]) == {"builtin:bimodal/uniform", "builtin:bimodal/variational"}
    live = result["details"]["live"]
    assert live["live_runs"] and live["ticks"] > 0 and live["ratios"]
    assert result["details"]["startup"]["torch_imported_before_first_paint"] in (True, False)


def test_soak_summary_reports_both_processes_and_first_against_last_minute():
    from benchmarks.perf_gui import soak_summary

    samples = [{"t": 30.0 * i, "step": 100 * i, "rss_mb": 800.0 + i, "rss_window_mb": 500.0 + 0.5 * i,
                "rss_training_mb": 300.0 + 0.5 * i, "steps_per_s": 10.0 if i <= 2 else 8.0,
                "frames_per_second": 30.0 if i <= 2 else 25.0, "tick_p99_ms": 40.0} for i in range(9)]
    out = soak_summary(samples)
    assert out["rss_growth_mb"] == 8.0
    assert out["rss_window_growth_mb"] == 4.0 and out["rss_training_growth_mb"] == 4.0
    assert out["frames_per_second_first_minute"] == 30.0 and out["frames_per_second_last_minute"] == 25.0
    assert out["steps_per_s_first_minute"] == 10.0 and out["steps_per_s_last_minute"] == 8.0


def test_soak_command_line_defaults_to_an_hour_of_digits():
    from benchmarks.soak import parse_args

    args = parse_args([])
    assert (args.minutes, args.data, args.dequantizer) == (60.0, "builtin:digits", "variational")
    assert parse_args(["--minutes", "2", "--data", "builtin:bimodal"]).minutes == 2.0
