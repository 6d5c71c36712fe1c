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


# -- robustness: arguments, divergence, output, Ctrl+C ---------------------------------------
def _strict_json(path):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.mark.parametrize("argv, words", [
    (["--grad-clip", "-1"], "--grad-clip"), (["--grad-clip", "nan"], "--grad-clip"),
    (["--lr", "inf"], "--lr"), (["--lr", "0"], "--lr"), (["--threads", "-1"], "--threads"),
    (["--threads", "0"], "--threads"), (["--seed", "-1"], "--seed"), (["--steps", "-5"], "--steps"),
    (["--iw-samples", "0"], "--iw-samples"), (["--eval-every", "0"], "--eval-every"),
    (["--val-fraction", "1.5"], "--val-fraction"), (["--batch-size", "0"], "--batch-size"),
    (["--levels", "1"], "--levels"), (["--bits", "0"], "--bits"), (["--step", "-0.1"], "--step"),
    (["--origin", "inf"], "--origin"), (["--patch", "0"], "--patch"),
])
def test_numeric_arguments_outside_their_meaning_are_refused_before_training(tmp_path, capsys, argv, words):
    code = main(["--data", "builtin:bimodal", "--steps", "1", *argv, "--out", str(tmp_path / "x"), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and words in err[0]
    assert not (tmp_path / "x" / "summary.json").exists()


def test_the_parsers_limits_are_the_trainers():
    from vdq_gui import cli
    from vdq_gui.training import trainer

    assert (cli.MAX_SEED, cli.MAX_IW_SAMPLES) == (trainer.MAX_SEED, trainer.MAX_IW_SAMPLES)


def test_a_batch_larger_than_the_training_set_is_capped_with_a_note(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--data", "builtin:bimodal", "--batch-size", "10000000", "--steps", "2", "--out", str(out),
                 "--quiet"]) == 0
    summary = _strict_json(out / "summary.json")
    assert summary["batch_size"] == 4500 and any("4,500 training examples" in n for n in summary["notes"])
    assert "note: batch size 10,000,000" in capsys.readouterr().err


def test_divergence_goes_back_to_a_finite_state_says_so_and_writes_strict_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--data", "builtin:bimodal", "--lr", "100", "--steps", "5", "--out", str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning: non-finite loss" in err and "went back to step 0" in err
    summary = _strict_json(out / "summary.json")
    assert summary["restored_step"] == 0 and summary["steps"] == 0
    for key in ("bits_per_dim", "iw_bits_per_dim", "exact_bits_per_dim", "gap_bits_per_dim"):
        assert isinstance(summary[key], float) and summary[key] == summary[key], key


def test_no_restorable_state_exits_3_and_writes_null_not_nan(tmp_path, capsys, monkeypatch):
    from vdq_gui.training import trainer as trainer_module

    monkeypatch.setattr(trainer_module.Trainer, "evaluate",
                        lambda self, *a, **k: {"val_bound_bpd": float("nan"), "iw_bound_bpd": float("inf"),
                                               "iw_samples": 16.0})
    out = tmp_path / "run"
    assert main(["--data", "builtin:bimodal", "--lr", "100", "--steps", "5", "--out", str(out), "--quiet"]) == 3
    assert "none could be restored" in capsys.readouterr().err
    summary = _strict_json(out / "summary.json")
    assert summary["bits_per_dim"] is None and summary["iw_bits_per_dim"] is None
    assert summary["restored_step"] is None


def test_an_unwritable_output_is_refused_before_any_training(tmp_path, capsys, monkeypatch):
    from vdq_gui.training import trainer as trainer_module

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the output cannot be written")

    monkeypatch.setattr(trainer_module.Trainer, "__init__", no_training)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["--data", "builtin:bimodal", "--steps", "5", "--out", str(blocker / "run"), "--quiet"]) == 2
    assert "cannot write the output folder" in capsys.readouterr().err
    # An existing folder where nothing can be created (a read-only file system; as root a
    # chmod would not stop us, so the file creation itself is made to fail).
    folder = tmp_path / "existing"
    folder.mkdir()
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    assert main(["--data", "builtin:bimodal", "--steps", "5", "--out", str(folder), "--quiet"]) == 2
    assert "Read-only file system" in capsys.readouterr().err


def test_ctrl_c_writes_what_was_done_and_exits_130(tmp_path, capsys, monkeypatch):
    from vdq_gui.training import trainer as trainer_module

    real_step = trainer_module.Trainer.step

    def step_then_ctrl_c(self):
        if self.step_count == 30:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(trainer_module.Trainer, "step", step_then_ctrl_c)
    out = tmp_path / "run"
    assert main(["--data", "builtin:bimodal", "--steps", "1000", "--out", str(out), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "stopped by Ctrl+C after 30 of 1,000 steps" in err
    summary = _strict_json(out / "summary.json")
    assert summary["steps"] == 30 and any("Ctrl+C" in note for note in summary["notes"])
    assert len(list(csv.DictReader(open(out / "metrics.csv")))) == 6


def test_the_final_evaluation_in_chunks_equals_one_evaluation(monkeypatch):
    from vdq_gui import cli
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import TrainConfig, Trainer

    trainer = Trainer(load_data("builtin:bimodal"), TrainConfig(dequantizer="uniform", iw_samples=4))
    trainer.run(20)
    whole = trainer.evaluate(max_examples=trainer.x_val.shape[0])
    monkeypatch.setattr(cli, "EVAL_CHUNK", 128)  # 500 validation values: 4 chunks
    chunked = cli.evaluate_in_chunks(trainer)
    for key in ("val_bound_bpd", "exact_bpd", "gap_bpd"):  # deterministic (quadrature)
        assert chunked[key] == pytest.approx(whole[key], abs=1e-5), key  # float32 means
    assert chunked["iw_bound_bpd"] == pytest.approx(whole["iw_bound_bpd"], abs=0.02)  # sampled
    assert chunked["iw_samples"] == 4


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
    (["--train-samples", "0"], "--train-samples"),
])
def test_bad_objective_arguments_are_one_error_line(tmp_path, capsys, argv, words):
    assert main(["--data", "builtin:bimodal", "--steps", "1", "--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and words in err and "\n" not in err
