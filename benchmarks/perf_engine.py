"""Engine benchmarks (no Qt): Trainer vs a bare torch loop, snapshot cost, steps/s and
bits/dim reached after a fixed CPU budget on the built-in datasets."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import torch

from benchmarks.perf_stats import Stopwatch, alternate, median
from vdq_gui.data.dataset import DiscreteData
from vdq_gui.data.loaders import load_data
from vdq_gui.training.inspect import snapshot
from vdq_gui.training.trainer import TrainConfig, Trainer

LN2 = math.log(2.0)


def app_threads() -> int:
    """The intra-op thread count the window's worker uses (see training.loop.limit_torch_threads)."""
    return max(1, (os.cpu_count() or 2) - 1)


def make_trainer(source: str | DiscreteData, dequantizer: str, seed: int = 0, **config) -> Trainer:
    data = load_data(source) if isinstance(source, str) else source
    return Trainer(data, TrainConfig(dequantizer=dequantizer, seed=seed, **config))


# -- the bare loop ----------------------------------------------------------------------
class BareLoop:
    """The same maths as Trainer.step with none of its bookkeeping: batch -> negative
    bound -> backward -> clip -> Adam.  Uses the models of ``trainer`` (its own Adam)."""

    def __init__(self, trainer: Trainer, seed: int = 1):
        self.density, self.dequantizer = trainer.density, trainer.dequantizer
        self.params = trainer.parameters()
        self.optimizer = torch.optim.Adam(self.params, lr=trainer.learning_rate)
        self.x_train, self.batch = trainer.x_train, trainer.batch_size
        self.clip = trainer.config.grad_clip
        self.scale = 1.0 / (trainer.data.dims * LN2)
        self.generator = torch.Generator().manual_seed(seed)

    def step(self) -> None:
        idx = torch.randint(self.x_train.shape[0], (self.batch,), generator=self.generator)
        x = self.x_train[idx]
        u, log_r = self.dequantizer(x, self.generator)
        loss = (log_r - self.density.log_prob(x.to(u.dtype) + u)).mean() * self.scale
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, self.clip)
        self.optimizer.step()


def rate(step, count: int, cpu_rates: list | None = None) -> float:
    """Steps per wall second of ``count`` calls to ``step`` (per CPU second into ``cpu_rates``)."""
    clock = Stopwatch()
    for _ in range(count):
        step()
    if cpu_rates is not None:
        cpu_rates.append(count / max(clock.cpu, 1e-9))
    return count / clock.wall


def headless_vs_bare(source, dequantizer: str, block: int, pairs: int, warmup: int = 20, **config) -> dict:
    """Trainer steps/s / bare-loop steps/s, alternating blocks of ``block`` steps (rounded up
    to a multiple of the Trainer's eval_every, so each block carries its share of evaluations).
    Also gives the ratio of steps per CPU second (process time), which other jobs on a
    shared machine disturb much less than wall time."""
    engine = make_trainer(source, dequantizer, **config)
    bare = BareLoop(make_trainer(source, dequantizer, **config))
    if engine.eval_every <= 10 * block:  # every Trainer block holds the same number of evaluations
        block = math.ceil(block / engine.eval_every) * engine.eval_every
    rate(engine.step, warmup)
    rate(bare.step, warmup)
    engine_cpu, bare_cpu = [], []
    result = alternate(lambda: rate(engine.step, block, engine_cpu), lambda: rate(bare.step, block, bare_cpu), pairs)
    result.update(cpu_ratio=median([a / b for a, b in zip(engine_cpu, bare_cpu)]), case=f"{source}/{dequantizer}",
                  block=block, threads=torch.get_num_threads(), eval_every=engine.eval_every)
    return result


# -- snapshot ---------------------------------------------------------------------------
def synthetic_1d(levels: int = 256, count: int = 5000, seed: int = 0) -> DiscreteData:
    """A smooth two-bump 1-D dataset with ``levels`` levels (no built-in has K = 256)."""
    rng = np.random.default_rng(seed)
    draws = np.concatenate([rng.normal(0.28 * levels, 0.08 * levels, count * 3 // 5),
                            rng.normal(0.70 * levels, 0.06 * levels, count - count * 3 // 5)])
    values = np.clip(np.round(draws), 0, levels - 1).astype(np.int64)
    return DiscreteData(values, levels, "1d", name=f"synthetic K={levels}", source="synthetic")


def snapshot_ms(dequantizer: str = "variational", levels: int = 256, reps: int = 50, train_steps: int = 50,
                ladder: bool = False) -> dict:
    """Median wall ms of ``inspect.snapshot`` on a 1-D trainer with K = ``levels``; by default
    the window's picture (no bound ladder: it is computed only while its tab is shown)."""
    trainer = make_trainer(synthetic_1d(levels), dequantizer)
    for _ in range(train_steps):  # a trained-ish state, past the first evaluation
        trainer.step()
    for _ in range(3):
        snapshot(trainer, ladder=ladder)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        snapshot(trainer, ladder=ladder)
        times.append((time.perf_counter() - started) * 1e3)
    return {"median_ms": median(times), "min_ms": min(times), "reps": reps, "levels": levels,
            "dequantizer": dequantizer, "ladder": ladder, "threads": torch.get_num_threads()}


# -- speed and quality on the built-ins ---------------------------------------------------
def train_for_cpu(source: str, dequantizer: str, cpu_s: float) -> dict:
    """Train until ``cpu_s`` seconds of process CPU time are spent; report speed and the
    validation bound reached (CPU time, not wall time: other jobs on the machine do not
    change how far training gets)."""
    trainer = make_trainer(source, dequantizer)
    clock = Stopwatch()
    while clock.cpu < cpu_s:
        trainer.step()
        if trainer.stopped_reason:
            break
    wall, cpu, steps = clock.wall, clock.cpu, trainer.step_count
    final = trainer.evaluate()
    out = {"steps": steps, "steps_per_s": steps / wall, "steps_per_cpu_s": steps / cpu, "wall_s": wall,
           "cpu_s": cpu, "val_bound_bpd": final["val_bound_bpd"], "iw_bound_bpd": final["iw_bound_bpd"]}
    if "exact_bpd" in final:
        out["exact_bpd"] = final["exact_bpd"]
    if trainer.stopped_reason:
        out["stopped"] = trainer.stopped_reason
    return out
