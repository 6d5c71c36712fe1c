"""Smoke test of the dequantization benchmark harness: structure, not numbers."""

import json

from benchmarks import dequantization as bench


def test_tiny_run_writes_both_tables(tmp_path, capsys):
    out_json, out_md = tmp_path / "r.json", tmp_path / "r.md"
    status = bench.main(["--steps-1d", "10", "--steps-images", "2", "--steps-small", "10", "--catch-up", "3",
                         "--seeds", "0", "--jobs", "1", "--iw-samples", "4",
                         "--json", str(out_json), "--markdown", str(out_md)])
    assert status == 0
    report = json.loads(out_json.read_text())
    text = out_md.read_text()
    assert text.strip() in capsys.readouterr().out

    runs = report["runs"]
    expected = {(name, arm) for name in bench.ONE_D_SETS for arm in bench.ONE_D_DEQUANTIZERS}
    expected |= {(bench.IMAGE_SET, arm) for arm in bench.IMAGE_ARMS}
    expected |= {(name, arm) for name in bench.SMALL_SETS for arm in bench.SMALL_ARMS}
    assert {(r["data"], r["arm"]) for r in runs} == expected
    for run in runs:
        assert run["steps"] == (2 if run["data"] == bench.IMAGE_SET else 10)
        if run["data"] in bench.SMALL_SETS:
            assert run["all_gap_bpd"] is not None and run["gap_se"] is not None
            assert run["catch_up_steps"] == (3 if run["arm"] == "variational" else 0)
        assert run["train_cpu_s"] > 0 and run["train_wall_s"] > 0
        assert run["iw_samples"] == report["plan"]["iw_samples"]
        assert (run["exact_bpd"] is None) == (run["data"] == bench.IMAGE_SET)
        assert run["is_bound"] == (run["dequantizer"] != "none")

    # the parameter-matched control really is matched (q alone ~ q + r of variational)
    by_arm = {r["arm"]: r for r in runs if r["data"] == bench.IMAGE_SET}
    assert by_arm["uniform-wide"]["params_r"] == 0
    assert by_arm["uniform-wide"]["params_q"] > by_arm["uniform"]["params_q"]
    assert abs(by_arm["uniform-wide"]["params_q"] - by_arm["variational"]["params_total"]) \
        < 0.05 * by_arm["variational"]["params_total"]

    comparisons = {(c["data"], c["variational_vs"]) for c in report["summary"]["comparisons"]}
    assert comparisons == {("bimodal", "uniform"), ("counts", "uniform"),
                           (bench.IMAGE_SET, "uniform"), (bench.IMAGE_SET, "uniform-wide")} | {
                               (name, "uniform") for name in bench.SMALL_SETS}

    # markdown: the three tables with a row per (data, arm), `none` marked as not a bound
    assert "| data | dequantizer | bound | IW bound | exact | gap |" in text
    assert "| data | dequantizer | q width | params q | params r | total | bound | IW bound |" in text
    assert "| data | variational minus |" in text
    assert "not a bound" in text
    assert "| data | K | N | dequantizer | gap, validation | gap, all data |" in text
    for name in bench.SMALL_SETS:
        assert f"| {name} |" in text
    for name in bench.ONE_D_SETS:
        for label in ("none †", "uniform", "variational"):
            assert f"| {name} | {label} |" in text
    for label in ("uniform", "variational", "uniform, wider q"):
        assert f"| {bench.IMAGE_SET} | {label} |" in text
    assert "python -m benchmarks.dequantization" in text

    # a saved report renders to the same tables without training
    rendered = tmp_path / "again.md"
    assert bench.main(["--render", str(out_json), "--markdown", str(rendered)]) == 0
    assert rendered.read_text() == text


def test_shipped_small_files_are_what_the_generator_makes(tmp_path):
    from benchmarks.small_files import DATA_DIR, write_files

    for name, path in write_files(tmp_path).items():
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), name
