"""vdq-train: the headless front over the same core the window uses.

    vdq-train --data builtin:bimodal --dequantizer variational --steps 3000 --seed 0 --out runs/bimodal-var

writes DIR/metrics.csv (one row per logged step) and DIR/summary.json.  Bad input or bad
arguments print one line starting with ``error:`` to stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from vdq_gui.models.names import DEFAULT_DEQUANTIZER, DEQUANTIZERS

EXIT_BAD_INPUT = 2


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
    levels.add_argument("--levels", type=int, help="number of levels K (must cover the values)")
    levels.add_argument("--bits", type=int, help="requantize to 2**BITS levels (e.g. 3 for lecture-sized bins)")
    group.add_argument("--step", type=float, help="quantization step of real values (default: inferred)")
    group.add_argument("--origin", type=float, help="value of level 0 for real values (default: inferred)")
    group.add_argument("--as", dest="as_", choices=("pixels", "images", "patches"), help="how to use image data")
    group.add_argument("--patch", type=int, default=8, help="patch side for --as patches (default 8)")


def data_options(args: argparse.Namespace) -> dict:
    """Keyword arguments for ``load_data`` from parsed data options."""
    column = args.column
    if column is not None and column.lstrip("-").isdigit():
        column = int(column)
    return {"column": column, "key": args.key, "levels": args.levels, "bits": args.bits, "step": args.step,
            "origin": args.origin, "as_": args.as_, "patch": args.patch}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vdq-train", description="Train q (and r) on discrete data without a window.")
    parser.add_argument("--data", required=True, help="a file or folder, or builtin:NAME (bimodal, counts, digits)")
    add_data_arguments(parser)
    train = parser.add_argument_group("training")
    train.add_argument("--dequantizer", choices=DEQUANTIZERS, default=DEFAULT_DEQUANTIZER)
    train.add_argument("--steps", type=int, default=2000)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--lr", type=float, help="learning rate (default 1e-2 for 1-D, 2e-3 for images)")
    train.add_argument("--batch-size", type=int, help="batch size (default 512 for 1-D, 64 for images)")
    train.add_argument("--grad-clip", type=float, default=10.0)
    train.add_argument("--val-fraction", type=float, default=0.1)
    train.add_argument("--objective", choices=("elbo", "iw", "renyi"), default="elbo",
                       help="training objective: the ELBO, importance-weighted or Renyi-alpha bound")
    train.add_argument("--train-samples", type=int,
                       help="draws of u per example for the objective (default 1 for elbo, 8 for iw/renyi)")
    train.add_argument("--alpha", type=float, default=0.5, help="alpha of the Renyi objective, in (0, 1)")
    train.add_argument("--r-objective", choices=("flowpp", "all-bins"), default="flowpp",
                       help="1-D variational r: the plain Flow++ objective, or also towards q(u|x) in every bin")
    train.add_argument("--r-catch-up", type=int, metavar="STEPS",
                       help="r-only steps towards the final q before reporting (1-D variational; default 1000, 0: none)")
    train.add_argument("--iw-samples", type=int, default=16, help="samples M of the importance-weighted bound")
    train.add_argument("--eval-every", type=int, help="steps between evaluations (default 200)")
    train.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    train.add_argument("--out", required=True, help="output folder for metrics.csv and summary.json")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def train_config(args: argparse.Namespace):
    from vdq_gui.training.trainer import TrainConfig

    return TrainConfig(dequantizer=args.dequantizer, seed=args.seed, learning_rate=args.lr,
                       batch_size=args.batch_size, grad_clip=args.grad_clip, val_fraction=args.val_fraction,
                       iw_samples=args.iw_samples, eval_every=args.eval_every, objective=args.objective,
                       train_samples=args.train_samples, alpha=args.alpha, r_objective=args.r_objective)


def run(args: argparse.Namespace) -> dict:
    """Load, train, evaluate, write; returns the summary."""
    import torch

    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import CATCH_UP_STEPS, Trainer

    if args.steps < 0:
        raise ValueError("--steps must be >= 0")
    if args.r_catch_up is not None and args.r_catch_up < 0:
        raise ValueError("--r-catch-up must be >= 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_data(args.data, **data_options(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trainer = Trainer(data, train_config(args))
    started = time.perf_counter()
    _train_with_progress(trainer, args.steps, quiet=args.quiet)
    catch_up = CATCH_UP_STEPS if args.r_catch_up is None else args.r_catch_up
    before = None
    if trainer.data.kind == "1d" and catch_up and not trainer.stopped_reason and list(trainer.dequantizer.parameters()):
        before = _figures(trainer.evaluate(max_examples=trainer.x_val.shape[0]), trainer.evaluate_all_data())
        trainer.catch_up_noise(catch_up)
    final = trainer.evaluate(max_examples=trainer.x_val.shape[0])
    everything = trainer.evaluate_all_data(max_examples=_all_data_examples(trainer))
    summary = _summary(trainer, final, everything, time.perf_counter() - started, args)
    summary["before_catch_up"] = before
    trainer.log.write_csv(out / "metrics.csv")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


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
    if summary["stopped_reason"]:
        print(f"warning: {summary['stopped_reason']}", file=sys.stderr)
    print(f"{summary['dequantizer']} ({summary['objective']}), after {summary['steps']} steps"
          + (f" and {summary['r_catch_up_steps']} r catch-up steps" if summary["r_catch_up_steps"] else "")
          + f" in {summary['seconds']:.1f} s -> {args.out}")
    print(_figure_line(f"validation ({summary['validation_examples']})", summary, summary["iw_samples"]))
    print(_figure_line(f"all data ({summary['all_data']['examples']})", summary["all_data"], summary["iw_samples"]))
    return 0


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
