"""Uniform vs variational dequantization on the built-in data: the numbers the README shows.

    python -m benchmarks.dequantization [--quick] [--json PATH] [--markdown PATH]

Every run trains through the public ``Trainer`` API (the code path of ``vdq-train``):
``Trainer(load_data("builtin:NAME"), TrainConfig(...)).run(steps)``, then one
``evaluate()`` on the *whole* validation split.  Nothing here is tuned per dequantizer:
the two arms of a comparison share data, split, seed, steps, learning rate and q.

Tables:

1. 1-D (bimodal, counts): ``none`` (not a bound: q is a density read at the integer
   points), ``uniform`` and ``variational``; bound (its exact expectation over r, by
   quadrature), IW bound, exact -log P(x) and the gap = bound - exact = KL(r || q(u|x)),
   all in bits/dim, mean +- std over seeds; gap ratio variational / uniform.
2. digits (8x8, K = 17): ``uniform``, ``variational`` and a parameter-matched control,
   ``uniform`` with q widened (``TrainConfig.hidden``) until q alone has as many
   parameters as q + r of the variational run; bound (one-sample Monte-Carlo per
   validation image) and IW bound, mean +- std over seeds, parameter counts, CPU time.

Timing: each run's process CPU time (``time.process_time``) and wall time, training and
final evaluation apart.  Runs execute in ``--jobs`` worker processes, each with one torch
thread (so a run is deterministic and its CPU time is its own); wall times depend on
whatever else the machine is doing, CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ONE_D_SETS = ("bimodal", "counts")
ONE_D_DEQUANTIZERS = ("none", "uniform", "variational")
IMAGE_SET = "digits"
IMAGE_ARMS = ("uniform", "variational", "uniform-wide")
# The small files of issue 11 (benchmarks/small_files.py): uniform vs variational, default
# settings, figures on the validation split and on all data; the variational runs end
# with vdq-train's default r catch-up.
SMALL_SETS = ("measurements", "lab_values", "pixels3")
SMALL_ARMS = ("uniform", "variational")


@dataclass(frozen=True)
class Plan:
    """What to run.  ``full`` is the README run; ``quick`` a fast look; tests go smaller."""

    steps_1d: int = 5000
    steps_images: int = 3000
    seeds: tuple[int, ...] = (0, 1, 2)
    iw_samples: int = 64
    jobs: int = 2
    sets_1d: tuple[str, ...] = ONE_D_SETS
    image_set: str | None = IMAGE_SET
    small_sets: tuple[str, ...] = SMALL_SETS
    steps_small: int = 3000
    catch_up: int | None = None  # r catch-up steps for 1-D variational (None: vdq-train's default)


FULL = Plan()
QUICK = Plan(steps_1d=1500, steps_images=400, seeds=(0,), steps_small=1000)


@dataclass(frozen=True)
class RunSpec:
    data: str
    arm: str  # dequantizer name, or "uniform-wide"
    seed: int
    steps: int
    iw_samples: int
    config: dict = field(default_factory=dict)  # TrainConfig overrides (besides dequantizer/seed)
    catch_up: int | None = None

    @property
    def dequantizer(self) -> str:
        return "uniform" if self.arm == "uniform-wide" else self.arm


# -- one run (in a worker process) ----------------------------------------------------------
def run_one(spec: RunSpec) -> dict:
    """Train and evaluate one configuration; returns a JSON-ready record."""
    import torch

    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import TrainConfig, Trainer

    from vdq_gui.training.trainer import CATCH_UP_STEPS

    torch.set_num_threads(1)
    if spec.data in SMALL_SETS:
        from benchmarks.small_files import DATA_DIR, SMALL_FILES

        file, options = SMALL_FILES[spec.data]
        data = load_data(DATA_DIR / file, **options)
    else:
        data = load_data(f"builtin:{spec.data}")
    # eval_every past the end: no periodic evaluation inside the timed training loop
    # (it would not change the trajectory anyway, see Trainer's docstring).
    config = TrainConfig(dequantizer=spec.dequantizer, seed=spec.seed, eval_every=spec.steps + 1,
                         iw_samples=spec.iw_samples, **spec.config)
    trainer = Trainer(data, config)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    trainer.run(spec.steps)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    before = {}
    catch_up = CATCH_UP_STEPS if spec.catch_up is None else spec.catch_up
    if spec.data in SMALL_SETS and data.kind == "1d" and catch_up and spec.dequantizer == "variational":
        before = {"gap_before_catch_up_bpd": trainer.evaluate(max_examples=trainer.x_val.shape[0])["gap_bpd"],
                  "all_gap_before_catch_up_bpd": trainer.evaluate_all_data()["gap_bpd"]}
        trainer.catch_up_noise(catch_up)
    cpu_catch_up = time.process_time()
    final = trainer.evaluate(iw_samples=spec.iw_samples, max_examples=trainer.x_val.shape[0])
    everything = trainer.evaluate_all_data(iw_samples=spec.iw_samples) if spec.data in SMALL_SETS else {}
    cpu2, wall2 = time.process_time(), time.perf_counter()
    counts = trainer.parameter_counts()
    return {
        "data": spec.data, "arm": spec.arm, "dequantizer": trainer.dequantizer.name, "seed": spec.seed,
        "is_bound": trainer.is_bound, "steps": trainer.step_count, "stopped_reason": trainer.stopped_reason,
        "config": spec.config, "learning_rate": trainer.learning_rate, "batch_size": trainer.batch_size,
        "validation_examples": int(trainer.x_val.shape[0]), "dims": int(data.dims),
        "bound_bpd": final["val_bound_bpd"], "iw_bound_bpd": final["iw_bound_bpd"],
        "iw_samples": int(final["iw_samples"]), "exact_bpd": final.get("exact_bpd"), "gap_bpd": final.get("gap_bpd"),
        "params_q": counts["density"], "params_r": counts["dequantizer"],
        "params_total": counts["density"] + counts["dequantizer"],
        "gap_se": final.get("gap_se"), "all_gap_bpd": everything.get("gap_bpd"),
        "all_gap_se": everything.get("gap_se"), "all_bound_bpd": everything.get("val_bound_bpd"),
        "all_exact_bpd": everything.get("exact_bpd"), "catch_up_steps": trainer.catch_up_steps,
        "catch_up_cpu_s": cpu_catch_up - cpu1, "steps_per_s": trainer.step_count / max(cpu1 - cpu0, 1e-9),
        "levels": int(data.levels), "examples": int(data.count), **before,
        "train_cpu_s": cpu1 - cpu0, "train_wall_s": wall1 - wall0,
        "eval_cpu_s": cpu2 - cpu1, "eval_wall_s": wall2 - wall1,
    }


def matched_hidden(data_name: str, target: int, start: int) -> tuple[int, int]:
    """Smallest q width whose parameter count (uniform, so q alone) reaches ``target``."""
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import TrainConfig, Trainer

    data = load_data(f"builtin:{data_name}")

    def count(hidden: int) -> int:
        return Trainer(data, TrainConfig(dequantizer="uniform", hidden=hidden)).parameter_counts()["density"]

    hidden = start
    while count(hidden) < target:
        hidden += 1
    # the nearer of hidden-1 and hidden
    if hidden > start and abs(count(hidden - 1) - target) < abs(count(hidden) - target):
        hidden -= 1
    return hidden, count(hidden)


def variational_total(data_name: str) -> tuple[int, int, int]:
    """(q, r, default q width) parameter counts of the default variational model."""
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import TrainConfig, Trainer

    trainer = Trainer(load_data(f"builtin:{data_name}"), TrainConfig(dequantizer="variational"))
    counts = trainer.parameter_counts()
    return counts["density"], counts["dequantizer"], trainer.config.hidden


def make_specs(plan: Plan) -> tuple[list[RunSpec], dict]:
    specs = [RunSpec(name, deq, seed, plan.steps_1d, plan.iw_samples)
             for name in plan.sets_1d for deq in ONE_D_DEQUANTIZERS for seed in plan.seeds]
    specs += [RunSpec(name, arm, seed, plan.steps_small, plan.iw_samples, catch_up=plan.catch_up)
              for name in plan.small_sets for arm in SMALL_ARMS for seed in plan.seeds]
    matching: dict = {}
    if plan.image_set:
        q, r, hidden = variational_total(plan.image_set)
        wide, wide_count = matched_hidden(plan.image_set, q + r, hidden)
        matching = {"variational_q": q, "variational_r": r, "variational_total": q + r, "default_hidden": hidden,
                    "wide_hidden": wide, "wide_q": wide_count}
        for seed in plan.seeds:
            specs.append(RunSpec(plan.image_set, "uniform", seed, plan.steps_images, plan.iw_samples))
            specs.append(RunSpec(plan.image_set, "variational", seed, plan.steps_images, plan.iw_samples))
            specs.append(RunSpec(plan.image_set, "uniform-wide", seed, plan.steps_images, plan.iw_samples,
                                 {"hidden": wide}))
    return specs, matching


def run_all(specs: list[RunSpec], jobs: int, progress=None) -> list[dict]:
    """Run every spec; longest first over ``jobs`` processes (in-process for ``jobs == 1``)."""
    def cost(spec: RunSpec) -> float:  # rough relative cost, only for scheduling
        per_step = {"1d": 1.0, "images": 25.0}["images" if spec.data == IMAGE_SET else "1d"]
        return spec.steps * per_step * (1.8 if spec.arm == "variational" else 1.0)

    order = sorted(range(len(specs)), key=lambda i: -cost(specs[i]))
    results: list[dict | None] = [None] * len(specs)
    if jobs <= 1:
        for i in order:
            results[i] = run_one(specs[i])
            if progress:
                progress(results[i])
    else:
        import multiprocessing

        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(run_one, specs[i]): i for i in order}
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                if progress:
                    progress(results[i])
    return results  # type: ignore[return-value]


# -- summaries --------------------------------------------------------------------------------
def _stats(values: list[float | None]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"mean": None, "std": None, "n": 0}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return {"mean": mean, "std": std, "n": len(values)}


METRICS = ("bound_bpd", "iw_bound_bpd", "exact_bpd", "gap_bpd", "train_cpu_s", "train_wall_s", "eval_cpu_s",
           "all_gap_bpd", "gap_before_catch_up_bpd", "all_gap_before_catch_up_bpd", "steps_per_s", "catch_up_cpu_s")


def summarise(runs: list[dict]) -> dict:
    """Mean +- std over seeds per (data, arm); paired differences and gap ratios."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        groups.setdefault((run["data"], run["arm"]), []).append(run)
    rows = []
    for (data, arm), members in groups.items():
        first = members[0]
        row = {"data": data, "arm": arm, "levels": first.get("levels"), "examples": first.get("examples"), "dequantizer": first["dequantizer"], "is_bound": first["is_bound"],
               "seeds": sorted(m["seed"] for m in members), "steps": first["steps"],
               "params_q": first["params_q"], "params_r": first["params_r"], "params_total": first["params_total"],
               "config": first["config"], "iw_samples": first["iw_samples"],
               "validation_examples": first["validation_examples"],
               "stopped": [m["stopped_reason"] for m in members if m["stopped_reason"]]}
        for metric in METRICS:
            row[metric] = _stats([m.get(metric) for m in members])
        rows.append(row)
    comparisons = []
    for data in dict.fromkeys(run["data"] for run in runs):
        by_arm = {arm: {m["seed"]: m for m in members} for (d, arm), members in groups.items() if d == data}
        if "variational" not in by_arm:
            continue
        for other in ("uniform", "uniform-wide"):
            if other not in by_arm:
                continue
            seeds = sorted(set(by_arm["variational"]) & set(by_arm[other]))
            entry = {"data": data, "variational_vs": other, "seeds": seeds}
            for metric in ("bound_bpd", "iw_bound_bpd", "exact_bpd"):
                diffs = [by_arm["variational"][s][metric] - by_arm[other][s][metric] for s in seeds
                         if by_arm["variational"][s][metric] is not None]
                entry[f"{metric}_difference"] = _stats(diffs)
            for key, ratio_key in (("gap_bpd", "gap_ratio"), ("all_gap_bpd", "all_gap_ratio")):
                gaps_v = [by_arm["variational"][s].get(key) for s in seeds]
                gaps_o = [by_arm[other][s].get(key) for s in seeds]
                if all(g is not None for g in gaps_v + gaps_o) and seeds:
                    mean_o = sum(gaps_o) / len(gaps_o)
                    entry[ratio_key] = (sum(gaps_v) / len(gaps_v)) / mean_o if mean_o > 0 else None
            comparisons.append(entry)
    return {"rows": rows, "comparisons": comparisons}


# -- tables -------------------------------------------------------------------------------------
def _pm(stats: dict, digits: int = 4) -> str:
    if stats["mean"] is None:
        return "—"
    if stats["n"] > 1:
        return f"{stats['mean']:.{digits}f} ± {stats['std']:.{digits}f}"
    return f"{stats['mean']:.{digits}f}"


ARM_LABEL = {"none": "none †", "uniform": "uniform", "variational": "variational",
             "uniform-wide": "uniform, wider q"}


def table_1d(summary: dict) -> str:
    lines = ["| data | dequantizer | bound | IW bound | exact | gap | gap ratio var/uni | params q + r "
             "| CPU s (train) |",
             "|---|---|---|---|---|---|---|---|---|"]
    ratios = {c["data"]: c.get("gap_ratio") for c in summary["comparisons"] if c["variational_vs"] == "uniform"}
    for row in summary["rows"]:
        if row["exact_bpd"]["mean"] is None or row["data"] in SMALL_SETS:
            continue
        ratio = ""
        if row["arm"] == "variational" and ratios.get(row["data"]) is not None:
            ratio = f"{ratios[row['data']]:.3f}"
        gap = _pm(row["gap_bpd"], 5) if row["is_bound"] else "—"
        lines.append(f"| {row['data']} | {ARM_LABEL[row['arm']]} | {_pm(row['bound_bpd'])} | "
                     f"{_pm(row['iw_bound_bpd'])} | {_pm(row['exact_bpd'])} | {gap} | {ratio} | "
                     f"{row['params_q']} + {row['params_r']} | {_pm(row['train_cpu_s'], 1)} |")
    return "\n".join(lines)


SMALL_TARGET_GAP = 0.005  # issue 11: variational gap <= 0.005 bits/dim and <= 0.5 x uniform's


def table_small(summary: dict) -> str:
    lines = ["| data | K | N | dequantizer | gap, validation | gap, all data | var/uni (val, all) "
             "| gap before catch-up (val, all) | target met | steps/s (train) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    ratios = {c["data"]: c for c in summary["comparisons"] if c["variational_vs"] == "uniform"}
    for row in summary["rows"]:
        if row["data"] not in SMALL_SETS:
            continue
        ratio, before, met = "", "", ""
        if row["arm"] == "variational" and row["data"] in ratios:
            c = ratios[row["data"]]
            ratio = f"{c.get('gap_ratio', float('nan')):.3f}, {c.get('all_gap_ratio', float('nan')):.3f}"
            before = f"{_pm(row['gap_before_catch_up_bpd'], 5)}, {_pm(row['all_gap_before_catch_up_bpd'], 5)}"
            worst = max(row["gap_bpd"]["mean"] + 0.0, row["all_gap_bpd"]["mean"])
            met = "yes" if worst <= SMALL_TARGET_GAP and max(c.get("gap_ratio", 1), c.get("all_gap_ratio", 1)) <= 0.5 \
                else "**no**"
        lines.append(f"| {row['data']} | {row['levels']} | {row['examples']} | {ARM_LABEL[row['arm']]} | "
                     f"{_pm(row['gap_bpd'], 5)} | {_pm(row['all_gap_bpd'], 5)} | {ratio} | {before} | {met} | "
                     f"{_pm(row['steps_per_s'], 0)} |")
    return "\n".join(lines)


def table_images(summary: dict) -> str:
    lines = ["| data | dequantizer | q width | params q | params r | total | bound | IW bound | CPU s (train) |"
             " wall s (train) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in summary["rows"]:
        if row["exact_bpd"]["mean"] is not None:
            continue
        width = row["config"].get("hidden", "default")
        lines.append(f"| {row['data']} | {ARM_LABEL[row['arm']]} | {width} | {row['params_q']} | {row['params_r']} | "
                     f"{row['params_total']} | {_pm(row['bound_bpd'])} | {_pm(row['iw_bound_bpd'])} | "
                     f"{_pm(row['train_cpu_s'], 1)} | {_pm(row['train_wall_s'], 1)} |")
    return "\n".join(lines)


def table_differences(summary: dict) -> str:
    lines = ["| data | variational minus | bound | IW bound | exact | seeds |", "|---|---|---|---|---|---|"]
    for c in summary["comparisons"]:
        lines.append(f"| {c['data']} | {ARM_LABEL[c['variational_vs']]} | {_pm(c['bound_bpd_difference'])} | "
                     f"{_pm(c['iw_bound_bpd_difference'])} | {_pm(c['exact_bpd_difference'])} | "
                     f"{len(c['seeds'])} |")
    return "\n".join(lines)


def markdown(report: dict) -> str:
    meta, plan = report["meta"], report["plan"]
    summary = report["summary"]
    seeds = ", ".join(str(s) for s in plan["seeds"])
    total_cpu = sum(r["train_cpu_s"] + r["eval_cpu_s"] for r in report["runs"])
    parts = [
        "## Dequantization: uniform vs variational on the built-in data",
        "",
        f"Measured {meta['date']} on {meta['machine']} with `{meta['command']}` "
        f"(torch {meta['torch']}, one torch thread per run, {plan['jobs']} runs at a time; "
        f"total {total_cpu / 60:.1f} CPU-minutes, {meta['total_wall_s'] / 60:.1f} min wall"
        " — wall times include waiting for whatever else ran on the machine).",
        f"Seeds {seeds}; values are mean ± std over seeds, in bits/dim, on the whole validation split "
        f"(10% of the data). IW bound: M = {plan['iw_samples']} importance samples. The seed also draws the "
        "train/validation split, so the spread of the absolute numbers is mostly the split's; the paired "
        "differences at the end compare the arms on the same split.",
        "",
    ]
    if any(r["exact_bpd"]["mean"] is not None for r in summary["rows"]):
        parts += [
            f"### 1-D ({plan['steps_1d']} steps each, default settings)",
            "",
            "bound: the dequantization bound's exact expectation over r (quadrature); "
            "exact: -log P(x) from q's CDF; gap = bound - exact = KL(r(u|x) || q(u|x)).",
            "",
            table_1d(summary),
            "",
            "† `none` is **not a bound**: q is a density read at the integer points, and its "
            "number is not comparable with the others.",
            "",
        ]
    if any(r["data"] in SMALL_SETS for r in summary["rows"]):
        parts += [
            f"### Small files ({plan.get('steps_small')} steps each, default settings)",
            "",
            "The three small files of issue 11 (`benchmarks/small_files.py`): 150 measurements at 0.1 cm, "
            "178 integer lab values in 70-162, a 64x64 picture's pixels at 3 bits. Gap = bound - exact in "
            "bits/dim, mean ± std over seeds, on the validation split and on all data; variational runs end "
            f"with {plan.get('catch_up') or 'the default'} r-only catch-up steps towards the final q "
            "(`Trainer.catch_up_noise`, as vdq-train does); the column before it is the gap at the last "
            f"training step. Target: variational gap <= {SMALL_TARGET_GAP} and <= 0.5 x uniform's on both. "
            "steps/s: training steps per CPU-second (one torch thread).",
            "",
            table_small(summary),
            "",
        ]
    if any(r["exact_bpd"]["mean"] is None for r in summary["rows"]):
        match = report.get("parameter_matching") or {}
        parts += [
            f"### {plan['image_set']} ({plan['steps_images']} steps each, default settings)",
            "",
            "bound: one-sample Monte-Carlo estimate per validation image. "
            + (f"`uniform, wider q` widens q (hidden {match.get('default_hidden')} -> {match.get('wide_hidden')}) "
               f"so that q alone has about as many parameters as q + r of the variational run "
               f"({match.get('wide_q')} vs {match.get('variational_total')})." if match else ""),
            "",
            table_images(summary),
            "",
        ]
    if summary["comparisons"]:
        parts += ["### Variational minus the others (paired by seed; negative = variational better)", "",
                  table_differences(summary), ""]
    failures = [f"{r['data']}/{r['arm']}: {s}" for r in summary["rows"] for s in r["stopped"]]
    if failures:
        parts += ["Runs that stopped early: " + "; ".join(failures), ""]
    return "\n".join(parts)


# -- entry point ---------------------------------------------------------------------------------
def machine_description() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} CPU cores ({model}), {platform.system()}, Python {platform.python_version()}"


def run_benchmark(plan: Plan, command: str = "", progress=None) -> dict:
    import torch

    started = time.perf_counter()
    specs, matching = make_specs(plan)
    runs = run_all(specs, plan.jobs, progress)
    return {
        "meta": {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine_description(),
                 "command": command, "torch": torch.__version__, "total_wall_s": time.perf_counter() - started},
        "plan": asdict(plan), "parameter_matching": matching, "runs": runs, "summary": summarise(runs),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dequantization", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and one seed (about 2 minutes)")
    parser.add_argument("--json", type=Path, help="write the full report (every run) as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the tables as Markdown here")
    parser.add_argument("--jobs", type=int, help="runs at a time (default 2)")
    parser.add_argument("--seeds", type=int, nargs="+", help="override the seeds")
    parser.add_argument("--steps-1d", type=int, help="override the 1-D steps")
    parser.add_argument("--steps-images", type=int, help="override the image steps")
    parser.add_argument("--steps-small", type=int, help="override the steps on the small files")
    parser.add_argument("--only-small", action="store_true", help="only the small files of issue 11")
    parser.add_argument("--catch-up", type=int, help="r catch-up steps on the small files (default: vdq-train's)")
    parser.add_argument("--iw-samples", type=int, help="override M of the IW bound (default 64)")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="train nothing: print (and --markdown) the tables of a saved --json report")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.render:
        report = json.loads(args.render.read_text())
        report["summary"] = summarise(report["runs"])
        text = markdown(report)
        print(text)
        if args.markdown:
            args.markdown.write_text(text + "\n")
        return 0
    plan = QUICK if args.quick else FULL
    overrides = {"jobs": args.jobs, "iw_samples": args.iw_samples, "steps_1d": args.steps_1d,
                 "steps_images": args.steps_images, "steps_small": args.steps_small, "catch_up": args.catch_up,
                 "seeds": tuple(args.seeds) if args.seeds else None}
    plan = Plan(**{**asdict(plan), **{k: v for k, v in overrides.items() if v is not None}})
    if args.only_small:
        plan = Plan(**{**asdict(plan), "sets_1d": (), "image_set": None})
    command = "python -m benchmarks.dequantization" + (
        " " + shlex.join(sys.argv[1:] if argv is None else argv) if (sys.argv[1:] if argv is None else argv) else "")

    def progress(run: dict) -> None:
        print(f"  {run['data']:8s} {run['arm']:13s} seed {run['seed']}: bound {run['bound_bpd']:.4f} "
              f"IW {run['iw_bound_bpd']:.4f}" + (f" gap {run['gap_bpd']:.5f}" if run["gap_bpd"] is not None else "")
              + f"  ({run['train_cpu_s']:.1f} s CPU)", file=sys.stderr, flush=True)

    report = run_benchmark(plan, command, progress)
    text = markdown(report)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
