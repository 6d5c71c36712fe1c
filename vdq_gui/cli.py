"""vdq-train: the headless front over the same core the window uses.

    vdq-train --data builtin:bimodal --dequantizer variational --steps 3000 --seed 0 --out runs/bimodal-var
    vdq-train --data builtin:bimodal --steps 200 --out runs/a --save-session a.vdq
    vdq-train --resume a.vdq --steps 200 --out runs/b     # continues exactly: 400 steps in all

writes DIR/metrics.csv (one row per logged step) and DIR/summary.json.  Bad input or bad
arguments print one line starting with ``error:`` to stderr and exit with status 2, before
any training (the output folder is checked for writing first).  Exit status 3: training
diverged and no state with a finite loss, gradients and evaluation could be restored (a
divergence that could go back to such a state is a warning, status 0).  Ctrl+C stops the
run, writes what was done and exits with status 130.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from vdq_gui.models.names import DEFAULT_DEQUANTIZER, DEQUANTIZERS

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3  # no finite state could be restored
EXIT_INTERRUPTED = 130  # the shell's convention for "ended by SIGINT"
EVAL_CHUNK = 65536  # validation examples per evaluation call of the final evaluation


# -- argument types: each refuses values outside its meaning with a one-line reason ------
def _number(kind, text: str, what: str):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what} (finite numbers only)")
    return value


def int_at_least(minimum: int, maximum: int | None = None):
    what = f"an integer from {minimum}" + (f" to {maximum}" if maximum is not None else " up")

    def parse(text: str) -> int:
        value = _number(int, text, what)
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{value} is not {what}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def positive_float(text: str) -> float:
    value = _number(float, text, "a number above 0")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number above 0")
    return value


def finite_float(text: str) -> float:
    return _number(float, text, "a number")


def fraction(text: str) -> float:
    value = _number(float, text, "a number strictly between 0 and 1")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number strictly between 0 and 1")
    return value


positive_float.__name__ = finite_float.__name__ = fraction.__name__ = "number"


# The trainer's limits and names, from its torch-free configuration module: parsing the
# arguments must not import torch.
from vdq_gui.training.config import MAX_IW_SAMPLES, MAX_SEED, OBJECTIVES, R_OBJECTIVES  # noqa: E402


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one ``error:`` line, not usage + traceback."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """The data options shared by vdq-train and vdq-gui."""
    group = parser.add_argument_group("data")
    group.add_argument("--column", help="table column by name or 0-based index")
    group.add_argument("--key", help="array name inside a .npz archive")
    levels = group.add_mutually_exclusive_group()
    levels.add_argument("--levels", type=int_at_least(2), help="number of levels K (must cover the values)")
    levels.add_argument("--bits", type=int_at_least(1, 16),
                        help="requantize to 2**BITS levels (e.g. 3 for lecture-sized bins)")
    group.add_argument("--step", type=positive_float, help="quantization step of real values (default: inferred)")
    group.add_argument("--origin", type=finite_float,
                       help="value of level 0 (default: the smallest value; 0 for image pixels and with --levels)")
    group.add_argument("--as", dest="as_", choices=("pixels", "images", "patches"), help="how to use image data")
    group.add_argument("--patch", type=int_at_least(1), default=8, help="patch side for --as patches (default 8)")


def data_options(args: argparse.Namespace) -> dict:
    """Keyword arguments for ``load_data`` from parsed data options."""
    column = args.column
    if column is not None and column.lstrip("-").isdigit():
        column = int(column)
    return {"column": column, "key": args.key, "levels": args.levels, "bits": args.bits, "step": args.step,
            "origin": args.origin, "as_": args.as_, "patch": args.patch}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vdq-train", description="Train q (and r) on discrete data without a window.")
    parser.add_argument("--data", help="a file or folder, or builtin:NAME (bimodal, counts, digits)")
    parser.add_argument("--resume", metavar="PATH",
                        help="continue the run saved in a session file (.vdq) instead of --data: its data and "
                             "settings come from the file, --steps more steps are trained")
    add_data_arguments(parser)
    train = parser.add_argument_group("training")
    train.add_argument("--dequantizer", choices=DEQUANTIZERS, default=DEFAULT_DEQUANTIZER)
    train.add_argument("--steps", type=int_at_least(0), default=2000)
    train.add_argument("--seed", type=int_at_least(0, MAX_SEED), default=0)
    train.add_argument("--lr", type=positive_float, help="learning rate (default 1e-2 for 1-D, 2e-3 for images)")
    train.add_argument("--batch-size", type=int_at_least(1),
                       help="batch size (default 512 for 1-D, 64 for images; at most the training set)")
    train.add_argument("--grad-clip", type=positive_float, default=10.0, help="gradient norm limit (default 10)")
    train.add_argument("--val-fraction", type=fraction, default=0.1)
    add_objective_arguments(train)
    train.add_argument("--r-catch-up", type=int_at_least(0), metavar="STEPS",
                       help="r-only steps towards the final q before reporting (1-D variational; default 1000, 0: none)")
    train.add_argument("--eval-every", type=int_at_least(1), help="steps between evaluations (default 200)")
    train.add_argument("--threads", type=int_at_least(1, 1024), help="torch threads (default: torch's choice)")
    train.add_argument("--out", required=True, help="output folder for metrics.csv and summary.json")
    train.add_argument("--save-session", metavar="PATH",
                       help="save the run as a session file (.vdq) after training, to resume or open in vdq-gui")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def add_objective_arguments(group) -> None:
    """What training minimises, and the M of the evaluated IW bound (vdq-train and vdq-gui)."""
    group.add_argument("--objective", choices=OBJECTIVES, default="elbo",
                       help="training objective: the ELBO, importance-weighted or Renyi-alpha bound")
    group.add_argument("--train-samples", type=int_at_least(1, MAX_IW_SAMPLES),
                       help="draws of u per example for the objective (default 1 for elbo, 8 for iw/renyi)")
    group.add_argument("--alpha", type=fraction, default=0.5,
                       help="alpha of the Renyi objective, in (0, 1)")
    group.add_argument("--r-objective", choices=R_OBJECTIVES, default="flowpp",
                       help="1-D variational r: the plain Flow++ objective, or also towards q(u|x) in every bin")
    group.add_argument("--iw-samples", type=int_at_least(1, MAX_IW_SAMPLES), default=16,
                       help="samples M of the importance-weighted bound (the IW-M curve)")


def objective_options(args: argparse.Namespace) -> dict:
    """The TrainConfig fields of ``add_objective_arguments``."""
    return {"objective": args.objective, "train_samples": args.train_samples, "alpha": args.alpha,
            "r_objective": args.r_objective, "iw_samples": args.iw_samples}


def train_config(args: argparse.Namespace):
    from vdq_gui.training.trainer import TrainConfig

    return TrainConfig(dequantizer=args.dequantizer, seed=args.seed, learning_rate=args.lr,
                       batch_size=args.batch_size, grad_clip=args.grad_clip, val_fraction=args.val_fraction,
                       eval_every=args.eval_every, **objective_options(args))


class Interrupted(Exception):
    """Ctrl+C during training: what was done has been written (``summary``)."""

    def __init__(self, summary: dict):
        super().__init__("interrupted")
        self.summary = summary


def run(args: argparse.Namespace) -> dict:
    """Load, train, evaluate, write; returns the summary."""
    out = Path(args.out)
    if (args.data is None) == (args.resume is None):
        raise _UsageError("give --data (a new run) or --resume (a saved session), one of them")
    check_writable(out)  # before loading and training: a run must not be lost at the end
    from vdq_gui.training import session_file

    if args.save_session:
        session_file.check_writable_target(args.save_session)
    import torch

    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import CATCH_UP_STEPS, Trainer

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.resume:
        trainer = session_file.resume_one_run(args.resume)
    else:
        data = load_data(args.data, **data_options(args))
        trainer = Trainer(data, train_config(args))
    notes = []
    train_size = int(trainer.x_train.shape[0])
    if trainer.batch_size > train_size:
        notes.append(f"batch size {trainer.batch_size:,} is more than the {train_size:,} training examples: "
                     f"using {train_size:,}")
        trainer.batch_size = train_size
        print(f"note: {notes[-1]}", file=sys.stderr)
    started = time.perf_counter()
    try:
        _train_with_progress(trainer, args.steps, quiet=args.quiet)
    except KeyboardInterrupt:
        notes.append(f"stopped by Ctrl+C after {trainer.step_count:,} of {args.steps:,} steps")
        raise Interrupted(_finish(trainer, out, started, args, notes, quiet=True, catch_up=0)) from None
    if args.save_session:  # before r's catch-up: a resumed run continues the training itself
        session_file.save_trainers(args.save_session, [trainer])
    catch_up = CATCH_UP_STEPS if args.r_catch_up is None else args.r_catch_up
    return _finish(trainer, out, started, args, notes, quiet=args.quiet, catch_up=catch_up)


def check_writable(out: Path) -> None:
    """Make the output folder and prove a file can be written in it (OSError if not)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".vdq-write-test-"):
            pass
        for name in ("metrics.csv", "summary.json"):
            if (out / name).exists() and not os.access(out / name, os.W_OK):
                raise PermissionError(f"{out / name} exists and is not writable")
    except OSError as error:
        raise OSError(f"cannot write the output folder {out}: {error.strerror or error}") from None


def _finish(trainer, out: Path, started: float, args, notes: list, quiet: bool, catch_up: int) -> dict:
    """r's catch-up with the final q (1-D variational), the final evaluation on the
    validation split and on all data (with a progress bar when it is long), both files."""
    before = None
    if trainer.data.kind == "1d" and catch_up and not trainer.stopped_reason and list(trainer.dequantizer.parameters()):
        before = _figures(evaluate_in_chunks(trainer, quiet=True),
                          evaluate_in_chunks(trainer, trainer.x_all[:_all_data_examples(trainer)]))
        trainer.catch_up_noise(catch_up)
    final = evaluate_in_chunks(trainer, quiet=quiet)
    everything = evaluate_in_chunks(trainer, trainer.x_all[:_all_data_examples(trainer)], quiet=quiet)
    summary = _summary(trainer, final, everything, time.perf_counter() - started, args)
    summary["before_catch_up"] = before
    summary["notes"] = summary["notes"] + notes
    trainer.log.write_csv(out / "metrics.csv")
    (out / "summary.json").write_text(json.dumps(json_safe(summary), indent=2, allow_nan=False) + "\n")
    return summary


def evaluate_in_chunks(trainer, x=None, quiet: bool = True) -> dict:
    """The trainer's evaluation on all of ``x`` (default: the validation split), EVAL_CHUNK
    examples at a time (a bar shows progress when there is more than one chunk: 10^6
    values take minutes).  Every figure is a mean over examples, so chunk means weighted by
    chunk size give the same mean; standard errors are pooled exactly from each chunk's
    size, mean and standard error (within- and between-chunk spread)."""
    from tqdm import tqdm

    x = trainer.x_val if x is None else x
    total = int(x.shape[0])
    if total <= EVAL_CHUNK:
        return trainer.evaluate(x, max_examples=total)
    parts = []
    with tqdm(total=total, disable=quiet, unit="example", desc="evaluating", file=sys.stderr,
              dynamic_ncols=True) as bar:
        for start in range(0, total, EVAL_CHUNK):
            chunk = x[start:start + EVAL_CHUNK]
            parts.append((int(chunk.shape[0]), trainer.evaluate(chunk, max_examples=int(chunk.shape[0]))))
            bar.update(int(chunk.shape[0]))
    out = {"iw_samples": parts[-1][1]["iw_samples"]}
    for key in parts[0][1]:
        if key == "iw_samples" or key.endswith("_se"):
            continue
        mean = sum(n * part[key] for n, part in parts) / total
        out[key] = mean
        se_key = key.replace("_bpd", "_se")  # e.g. val_bound_bpd -> val_bound_se
        if se_key in parts[0][1]:
            # var_i = se_i^2 n_i (ddof 1); total sum of squares = within + between chunks.
            squares = sum((n - 1) * part[se_key] ** 2 * n + n * (part[key] - mean) ** 2 for n, part in parts)
            out[se_key] = math.sqrt(squares / (total - 1) / total)
    return out


def json_safe(value):
    """NaN and infinities become null: strict JSON readers refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _train_with_progress(trainer, steps: int, quiet: bool) -> None:
    from tqdm import tqdm

    with tqdm(total=steps, disable=quiet, unit="step", file=sys.stderr, dynamic_ncols=True) as bar:
        for _ in range(steps):
            metrics = trainer.step()
            if trainer.stopped_reason:
                break
            bar.update(1)
            if trainer.step_count % 50 == 0:
                bar.set_postfix(bound=f"{metrics['bound_bpd']:.4f} bits/dim", refresh=False)


ALL_DATA_IMAGES = 1000  # images in the all-data figures (an IW bound over 60,000 would take minutes)


def _all_data_examples(trainer) -> int:
    count = trainer.x_all.shape[0]
    return count if trainer.data.kind == "1d" else min(count, ALL_DATA_IMAGES)


def _figures(evaluation: dict, all_data: dict | None = None) -> dict:
    """summary.json's names for one evaluation: the figure, its standard error beside it."""
    names = {"bits_per_dim": "val_bound", "iw_bits_per_dim": "iw_bound", "exact_bits_per_dim": "exact",
             "gap_bits_per_dim": "gap", "point_density_bits_per_dim": "point_density"}
    out = {}
    for name, key in names.items():
        value = evaluation.get(f"{key}_bpd")
        out[name] = value
        out[f"{name}_se"] = evaluation.get(f"{key}_se")
    if all_data is not None:
        out["all_data"] = _figures(all_data)
    return out


def _last_evaluations(trainer, count: int = 5) -> dict:
    """Mean and spread of the last ``count`` periodic evaluations on the validation split (a
    single final figure is one point of a curve that wanders while q and r move)."""
    import numpy as np

    steps = np.asarray(trainer.log.column("step"))
    out: dict = {}
    for name, column in (("bits_per_dim", "val_bound"), ("exact_bits_per_dim", "exact"), ("gap_bits_per_dim", "gap")):
        values = np.asarray(trainer.log.column(column))
        finite = np.flatnonzero(np.isfinite(values))[-count:]
        if finite.size:
            out[name] = {"mean": float(values[finite].mean()),
                         "std": float(values[finite].std(ddof=1)) if finite.size > 1 else 0.0}
            out["steps"] = [int(s) for s in steps[finite]]
    return out


def _summary(trainer, final: dict, all_data: dict, seconds: float, args: argparse.Namespace) -> dict:
    data = trainer.data
    figures = _figures(final, all_data)
    figures["all_data"]["examples"] = _all_data_examples(trainer)
    return {
        "data": data.source, "name": data.name, "kind": data.kind, "dequantizer": trainer.dequantizer.name,
        "is_bound": trainer.is_bound, "levels": data.levels, "origin": data.origin, "value_step": data.step,
        "examples": data.count, "dims": data.dims, "steps": trainer.step_count, "seed": trainer.config.seed,
        "bits_per_dim": final["val_bound_bpd"], "iw_bits_per_dim": final["iw_bound_bpd"],
        "iw_samples": int(final["iw_samples"]), "exact_bits_per_dim": final.get("exact_bpd"),
        "gap_bits_per_dim": final.get("gap_bpd"), "validation_examples": int(trainer.x_val.shape[0]),
        **{k: v for k, v in figures.items() if k.endswith("_se") or k in ("point_density_bits_per_dim", "all_data")},
        "evaluated_at_step": trainer.step_count, "r_catch_up_steps": trainer.catch_up_steps,
        "last_evaluations": _last_evaluations(trainer),
        "objective": trainer.config.objective, "train_samples": trainer.train_samples,
        "alpha": trainer.config.alpha if trainer.config.objective == "renyi" else None,
        "r_objective": trainer.config.r_objective,
        "seconds": seconds, "train_seconds": trainer.elapsed_s, "stopped_reason": trainer.stopped_reason,
        "restored_step": trainer.restored_step,
        "learning_rate": trainer.learning_rate, "batch_size": trainer.batch_size,
        "parameters": trainer.parameter_counts(), "notes": list(data.notes),
    }


def main(argv: list[str] | None = None) -> int:
    from vdq_gui.data.dataset import DataError

    try:
        args = build_parser().parse_args(argv)
        summary = run(args)
    except (_UsageError, DataError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Interrupted as interrupted:
        summary = interrupted.summary
        print(f"interrupted: {summary['notes'][-1]}; wrote what was done to {args.out}", file=sys.stderr)
        _print_result(summary, args.out)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:  # during loading or the final evaluation: nothing to write yet
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    if summary["stopped_reason"] and summary["restored_step"] is None:
        print(f"error: {summary['stopped_reason']}", file=sys.stderr)
        return EXIT_DIVERGED
    if summary["stopped_reason"]:
        print(f"warning: {summary['stopped_reason']}", file=sys.stderr)
    _print_result(summary, args.out)
    return 0


def _print_result(summary: dict, out) -> None:
    print(f"{summary['dequantizer']} ({summary['objective']}), after {summary['steps']} steps"
          + (f" and {summary['r_catch_up_steps']} r catch-up steps" if summary["r_catch_up_steps"] else "")
          + f" in {summary['seconds']:.1f} s -> {out}")
    print(_figure_line(f"validation ({summary['validation_examples']})", summary, summary["iw_samples"]))
    print(_figure_line(f"all data ({summary['all_data']['examples']})", summary["all_data"], summary["iw_samples"]))


def _figure_line(label: str, figures: dict, iw_samples: int) -> str:
    """bits/dim +- standard error, e.g. ``bound 3.8521 ± 0.0123``."""
    def one(name: str, key: str, digits: int = 4) -> str:
        value, error = figures.get(f"{key}bits_per_dim"), figures.get(f"{key}bits_per_dim_se")
        if value is None:
            return ""
        text = f", {name} {value:.{digits}f}"
        return text + (f" ± {error:.{digits}f}" if error is not None and error == error else "")

    return (f"  {label}: " + (one("bound", "") + one(f"IW({iw_samples})", "iw_") + one("exact", "exact_")
                              + one("gap", "gap_", 5)).lstrip(", ") + " bits/dim")


if __name__ == "__main__":
    sys.exit(main())
