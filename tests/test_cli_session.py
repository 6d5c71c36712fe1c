"""vdq-train --save-session / --resume: a resumed run continues exactly, a bad file is one
``error:`` line naming the file and exit status 2."""

import json
import pickle

import pytest

from vdq_gui.cli import main


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """--threads sets torch's thread count for the whole process: put it back."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def train(*argv):
    return main([*argv, "--quiet", "--threads", "1"])


def summary(folder):
    return json.loads((folder / "summary.json").read_text())


def test_save_then_resume_equals_one_uninterrupted_run(tmp_path):
    common = ["--eval-every", "20", "--iw-samples", "4", "--r-catch-up", "0"]
    assert train("--data", "builtin:bimodal", "--dequantizer", "variational", "--seed", "3", "--steps", "60",
                 "--out", str(tmp_path / "straight"), *common) == 0
    session = tmp_path / "sessions" / "half.vdq"  # its folder is made
    assert train("--data", "builtin:bimodal", "--dequantizer", "variational", "--seed", "3", "--steps", "30",
                 "--out", str(tmp_path / "first"), "--save-session", str(session), *common) == 0
    assert session.exists() and summary(tmp_path / "first")["steps"] == 30
    assert train("--resume", str(session), "--steps", "30", "--out", str(tmp_path / "resumed"), *common) == 0
    straight, resumed = summary(tmp_path / "straight"), summary(tmp_path / "resumed")
    assert resumed["steps"] == 60  # the total, not the 30 of this invocation
    assert resumed["seed"] == 3 and resumed["dequantizer"] == "variational" and resumed["data"] == "builtin:bimodal"
    assert abs(resumed["bits_per_dim"] - straight["bits_per_dim"]) <= 1e-5
    assert (tmp_path / "resumed" / "metrics.csv").read_text() .count("\n") == \
        (tmp_path / "straight" / "metrics.csv").read_text().count("\n")


def test_a_bad_session_file_is_one_error_line_and_status_2(tmp_path, capsys):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    bad = tmp_path / "bad.vdq"
    bad.write_bytes(pickle.dumps(Payload()))
    assert train("--resume", str(bad), "--steps", "5", "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {bad}: not a vdq session file") and "\n" not in err
    assert not marker.exists()


@pytest.mark.parametrize("argv, words", [
    (["--steps", "5"], "--data"),
    (["--data", "builtin:bimodal", "--resume", "x.vdq"], "one of them"),
])
def test_data_or_resume_exactly_one(tmp_path, capsys, argv, words):
    assert train(*argv, "--out", str(tmp_path / "o")) == 2
    assert words in capsys.readouterr().err


def test_a_compare_session_is_refused_by_vdq_train(tmp_path, capsys):
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.session_file import save_trainers
    from vdq_gui.training.trainer import TrainConfig, Trainer

    data = load_data("builtin:bimodal")
    path = tmp_path / "pair.vdq"
    save_trainers(path, [Trainer(data, TrainConfig(dequantizer=n)) for n in ("uniform", "variational")])
    assert train("--resume", str(path), "--steps", "5", "--out", str(tmp_path / "o")) == 2
    assert "compare mode" in capsys.readouterr().err
