import csv
import json
import subprocess
import sys

import pytest

from vdq_gui.cli import main

SUMMARY_KEYS = {"dequantizer", "levels", "steps", "bits_per_dim", "iw_bits_per_dim", "iw_samples",
                "exact_bits_per_dim", "seconds"}


def test_1d_run_writes_summary_and_metrics(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["--data", "builtin:bimodal", "--dequantizer", "variational", "--steps", "60", "--seed", "1",
                 "--eval-every", "20", "--iw-samples", "8", "--out", str(out), "--quiet"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["steps"] == 60 and summary["levels"] == 32 and summary["iw_samples"] == 8
    assert summary["bits_per_dim"] >= summary["exact_bits_per_dim"]
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert rows[0].keys() >= {"step", "train_bound", "val_bound", "iw_bound", "exact", "gap", "seconds"}
    assert [int(r["step"]) for r in rows] == list(range(5, 61, 5))
    assert rows[3]["val_bound"] != "" and rows[0]["val_bound"] == ""
    assert "bits/dim" in capsys.readouterr().out


def test_image_run_has_no_exact_value(tmp_path):
    out = tmp_path / "digits"
    assert main(["--data", "builtin:digits", "--dequantizer", "uniform", "--steps", "3", "--out", str(out),
                 "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["exact_bits_per_dim"] is None and summary["kind"] == "images"


@pytest.mark.parametrize("argv, words", [
    (["--data", "missing.csv"], "missing.csv"),
    (["--data", "builtin:bimodal", "--steps", "many"], "--steps"),
    (["--data", "builtin:bimodal", "--dequantizer", "gaussian"], "dequantizer"),
    (["--data", "builtin:nothing"], "nothing"),
    (["--data", "builtin:bimodal", "--levels", "4", "--bits", "2"], "not allowed"),
])
def test_bad_input_is_one_error_line_and_status_2(tmp_path, capsys, argv, words):
    code = main(argv + ["--out", str(tmp_path / "x"), "--steps", "1"] if "--steps" not in argv
                else argv + ["--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and words in err[0]


def test_bad_file_through_the_real_command(tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    result = subprocess.run([sys.executable, "-m", "vdq_gui.cli", "--data", str(bad), "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "broken.png" in result.stderr
    assert "Traceback" not in result.stderr


def test_summary_has_validation_and_all_data_figures_with_errors(tmp_path, capsys):
    out = tmp_path / "iw"
    assert main(["--data", "builtin:counts", "--steps", "40", "--objective", "iw", "--train-samples", "3",
                 "--r-catch-up", "30", "--eval-every", "10", "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective"] == "iw" and summary["train_samples"] == 3 and summary["r_catch_up_steps"] == 30
    assert summary["evaluated_at_step"] == 40 and summary["r_objective"] == "flowpp"
    everything = summary["all_data"]
    assert everything["examples"] == summary["examples"] == 5000
    for figures in (summary, everything):
        for key in ("bits_per_dim", "exact_bits_per_dim", "gap_bits_per_dim", "iw_bits_per_dim"):
            assert figures[f"{key}_se"] > 0, key
        assert figures["bits_per_dim"] - figures["exact_bits_per_dim"] == pytest.approx(figures["gap_bits_per_dim"])
    # All 5000 examples against a validation split of 500: about sqrt(10) times smaller errors.
    assert 2 < summary["exact_bits_per_dim_se"] / everything["exact_bits_per_dim_se"] < 5
    assert summary["before_catch_up"]["gap_bits_per_dim"] >= summary["gap_bits_per_dim"] - 1e-6
    assert summary["last_evaluations"]["steps"] == [10, 20, 30, 40]
    text = capsys.readouterr().out
    assert "validation (500)" in text and "all data (5000)" in text and "±" in text


@pytest.mark.parametrize("argv, words", [
    (["--objective", "renyi", "--alpha", "1.5"], "alpha"),
    (["--objective", "kl"], "--objective"),
    (["--r-catch-up", "-1"], "--r-catch-up"),
    (["--train-samples", "0"], "train_samples"),
])
def test_bad_objective_arguments_are_one_error_line(tmp_path, capsys, argv, words):
    assert main(["--data", "builtin:bimodal", "--steps", "1", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and words in err and "\n" not in err
