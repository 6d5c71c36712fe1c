"""The training loop: q and r trained jointly on the dequantization bound.

Usable from a plain script::

    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.trainer import Trainer, TrainConfig
    trainer = Trainer(load_data("builtin:bimodal"), TrainConfig(dequantizer="variational", seed=0))
    for _ in range(2000):
        trainer.step()
    print(trainer.evaluate())

Determinism: for a given seed (and the same torch thread count on one machine) the
parameters, batches and noise are identical run to run.  Training draws from its own
``torch.Generator``; evaluation draws from a generator seeded by (seed, step), so how
often one evaluates never changes the training trajectory.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from vdq_gui.data.dataset import DiscreteData
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import DEQUANTIZERS, make_dequantizer
from vdq_gui.models.imageflow import ImageFlow
from vdq_gui.training.config import MAX_IW_SAMPLES, MAX_SEED, TrainConfig, check_learning_rate  # noqa: F401
from vdq_gui.training.defaults import DEFAULTS
from vdq_gui.training.history import TrainingLog
from vdq_gui.training.optimizer_imports import skip_dynamo_disable_wrappers
from vdq_gui.training.objective import (OBJECTIVES, R_OBJECTIVES, all_bins_r_loss, bin_bounds_1d, dims_of,
                                        importance_weighted_log_likelihood, nats_to_bpd, negative_bound,
                                        r_samples_per_bin, training_objective)
from vdq_gui.training import evaluation


# A copy of the parameters and the optimizer's state is kept every CHECKPOINT_EVERY steps
# (of a state whose loss and gradients were finite), so that a divergence can go back to
# it.  A copy costs about a sixth of a step (measured 2026-12-02 on the shared 2-core
# machine, one torch thread: 0.5 ms against a 3.2 ms bimodal variational step, 3.5 ms against
# a 28 ms digits step), so every 50 steps it is 0.3 % of training.
CHECKPOINT_EVERY = 50
CHECKPOINTS_KEPT = 2  # the newest ones, besides the very first (step 0)


@dataclass
class _Checkpoint:
    """A state to go back to: restored only if its evaluation is finite too."""

    step: int
    density: dict
    dequantizer: dict
    optimizer: dict
    log_length: int
    last_metrics: dict = field(default_factory=dict)


# DEFAULTS (per kind of data) live in a torch-free module: the window shows them before torch loads.


# r-only steps towards the final, frozen q before vdq-train and the benchmark report (1-D
# variational): 200 reach ~3e-4 bits/dim, 1000 ~1e-4 on the small files (~6 s on one core).
CATCH_UP_STEPS = 1000
CATCH_UP_CHECK = 50  # steps between the catch-up's exact checks (a few ms each)
_GLOBAL_RNG = threading.Lock()  # held while torch's global generator is seeded and drawn from
SPIKE_FLOOR = 0.1  # smallest scale of q's components with `none`, in levels (see _build_models)


class Trainer:
    """Owns q, r, the optimizer, the data split and the log.  One ``step()`` = one Adam step."""

    def __init__(self, data: DiscreteData, config: TrainConfig | None = None):
        self.data = data
        self.config = config or TrainConfig()
        if self.config.dequantizer not in DEQUANTIZERS:
            raise ValueError(f"unknown dequantizer {self.config.dequantizer!r}; "
                             f"choose one of {', '.join(DEQUANTIZERS)}")
        defaults = DEFAULTS[data.kind]
        self._learning_rate = float(self.config.learning_rate or defaults["learning_rate"])
        self._batch_size = int(self.config.batch_size or defaults["batch_size"])
        self.eval_every = int(self.config.eval_every or defaults["eval_every"])
        self.eval_examples = int(self.config.eval_examples or defaults["eval_examples"])
        self.train_samples = int(self.config.train_samples or (1 if self.config.objective == "elbo" else 8))
        self._build_models()
        self._split_data()
        # r's extra all-bins term: only where r learns per bin and q(u|x) is known (1-D).
        self.r_all_bins = (data.kind == "1d" and self.config.r_objective == "all-bins"
                           and any(True for _ in self.dequantizer.parameters()))
        self.data_pmf = data.histogram()  # once: for large image sets a bincount is not free
        # Batches and noise draw from separate generators: runs that differ only in their
        # dequantizer (compare mode) then see the same batches in the same order, although
        # each dequantizer draws a different amount of noise.
        self._batch_generator = torch.Generator().manual_seed(self.config.seed)
        self._generator = torch.Generator().manual_seed(self.config.seed + 1_000_003)
        self._params = self.parameters()  # fixed after construction; step() reuses the list
        skip_dynamo_disable_wrappers()  # 1.4 s less before the first picture (see the module)
        self.optimizer = torch.optim.Adam(self._params, lr=self._learning_rate)
        self.log = TrainingLog()
        self.step_count = 0
        self.catch_up_steps = 0  # r-only steps towards a frozen q (catch_up_noise)
        self.elapsed_s = 0.0
        self.stopped_reason: str | None = None
        self.restored_step: int | None = None  # after a divergence: the step gone back to, or None
        self.last_metrics: dict[str, float] = {}
        self._pending_bounds: list[float] = []
        self._checkpoints: list[_Checkpoint] = []
        self._log_cut: int | None = None  # the log was cut back to this length (see export_state)

    # -- construction ---------------------------------------------------------------
    def _build_models(self) -> None:
        cfg, data = self.config, self.data
        # Seed the initial weights without disturbing anyone else's global RNG state.  torch's
        # initialisers draw from the one global generator: two trainers built at once in
        # two threads (compare mode with the thread worker) drew from each other's seed, and
        # a run's weights depended on the timing (a resume test failed 3 times in 4).
        with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            if data.kind == "1d":
                # `none`: the spikes' final width.  Narrower ones are narrower than the jitter of
                # Adam's steps on the means (lr x K levels a step), miss their integer point
                # and "pop" (measured on bimodal, 5000 steps, 2 seeds: floors 0.005-0.06 level
                # popped, 0.1 collapsed steadily).  The other dequantizers keep q's sharp floor.
                floor = SPIKE_FLOOR if cfg.dequantizer == "none" else 0.005
                self.density = LogisticMixture1D(data.levels, cfg.components, min_scale=floor)
                sizes = {"layers": cfg.noise_layers, "components": cfg.noise_components}
            else:
                self.density = ImageFlow(data.levels, data.image_shape, hidden=cfg.hidden)
                sizes = {"hidden": cfg.noise_hidden or max(4, cfg.hidden // 2), "context": 8,
                         "couplings": cfg.noise_couplings}
            self.dequantizer = make_dequantizer(cfg.dequantizer, data.kind, data.levels, data.image_shape,
                                                **(sizes if cfg.dequantizer == "variational" else {}))

    def _split_data(self) -> None:
        order = np.random.default_rng(self.config.seed).permutation(self.data.count)
        n_val = min(max(1, int(round(self.config.val_fraction * self.data.count))), self.data.count - 1)
        if self.data.count < 2:
            n_val = 0  # a single example: validate on it too rather than refuse
        values = torch.from_numpy(np.array(self.data.values))  # a writable copy for torch
        self.x_val = values[order[:n_val]] if n_val else values
        self.x_train = values[order[n_val:]]
        self.x_all = values
        # Examples per level in each split (K,): which bins r ever saw during training.
        self.train_counts = np.bincount(self.x_train.numpy().ravel(), minlength=self.data.levels)
        self.val_counts = np.bincount(self.x_val.numpy().ravel(), minlength=self.data.levels)

    def parameters(self) -> list[torch.nn.Parameter]:
        return list(self.density.parameters()) + list(self.dequantizer.parameters())

    def parameter_counts(self) -> dict[str, int]:
        return {"density": sum(p.numel() for p in self.density.parameters()),
                "dequantizer": sum(p.numel() for p in self.dequantizer.parameters())}

    # -- live settings -----------------------------------------------------------------
    @property
    def is_bound(self) -> bool:
        return bool(self.dequantizer.is_bound)

    @property
    def learning_rate(self) -> float:
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        """Takes effect at the next step; Adam's moments are kept (no reset)."""
        self._learning_rate = check_learning_rate(value)
        for group in self.optimizer.param_groups:
            group["lr"] = self._learning_rate

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        if int(value) < 1:
            raise ValueError("batch size must be at least 1")
        self._batch_size = int(value)

    # -- a replica elsewhere ---------------------------------------------------------------
    def export_state(self, log_from: int = 0) -> dict:
        """What a replica needs to show this trainer's state: copies of the parameters, the
        scalar state, and the log rows from ``log_from`` on.  A few kB for a 1-D model, so
        it can cross a pipe every frame (the window inspects a replica; see
        vdq_gui.app.process_worker).  The optimizer's moments are not part of it."""
        # numpy, not tensors: multiprocessing pickles a tensor by sharing its storage
        # through a file descriptor, a socket handshake per tensor in both processes.
        log_cut = self._log_cut is not None and self._log_cut < log_from
        if self._log_cut is not None:  # a divergence cut the log back: resend from there
            log_from, self._log_cut = min(log_from, self._log_cut), None
        return {
            "density": {k: v.detach().numpy().copy() for k, v in self.density.state_dict().items()},
            "dequantizer": {k: v.detach().numpy().copy() for k, v in self.dequantizer.state_dict().items()},
            "log_from": int(log_from), "log_cut": log_cut, "log_rows": self.log.rows_from(log_from), "log_length": len(self.log),
            "step_count": self.step_count, "elapsed_s": self.elapsed_s,
            "last_metrics": dict(self.last_metrics), "stopped_reason": self.stopped_reason,
            "restored_step": self.restored_step,
            "learning_rate": self._learning_rate, "batch_size": self._batch_size,
        }

    def load_state(self, state: dict) -> None:
        """Become a replica of the exported state (this trainer was built from the same
        spec).  The log grows by the rows sent, which must continue this log exactly (or
        start where a divergence cut the original's log back, before this log's end)."""
        cut = state.get("log_cut") and state["log_from"] < len(self.log)
        if state["log_from"] != len(self.log) and not cut:
            raise ValueError(f"log rows from {state['log_from']} cannot continue a log of {len(self.log)} rows")
        if cut:
            self.log.truncate(state["log_from"])
        self.density.load_state_dict({k: torch.from_numpy(v) for k, v in state["density"].items()})
        self.dequantizer.load_state_dict({k: torch.from_numpy(v) for k, v in state["dequantizer"].items()})
        self.log.extend(state["log_rows"])
        self.step_count, self.elapsed_s = state["step_count"], state["elapsed_s"]
        self.last_metrics, self.stopped_reason = dict(state["last_metrics"]), state["stopped_reason"]
        self.restored_step = state.get("restored_step")
        self.learning_rate, self.batch_size = state["learning_rate"], state["batch_size"]

    # -- saving and resuming (vdq_gui.training.trainer_state) ---------------------------------
    def full_state(self):
        """Everything that decides the next steps (model, Adam, random-number states, log):
        a ``TrainerState`` to save in a session file and resume exactly."""
        from vdq_gui.training import trainer_state

        return trainer_state.export(self)

    def restore_full_state(self, state) -> None:
        """Continue from ``state`` (this trainer freshly built from the same spec); ValueError
        if it does not fit this model, and then nothing is changed."""
        from vdq_gui.training import trainer_state

        trainer_state.restore(self, state)

    # -- training ------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One Adam step on a fresh batch.  Returns this step's metrics.

        A state is *good* only if its loss, its gradients and its evaluation are finite.
        A non-finite loss or gradient is caught before the parameters move, a non-finite
        evaluation right after: then the newest kept good state is restored (parameters,
        optimizer state, step count and log), ``stopped_reason`` says what happened and
        what was restored, and the returned metrics carry ``finite = 0``.  Callers decide
        whether to stop.
        """
        started = time.perf_counter()
        idx = torch.randint(self.x_train.shape[0], (self._batch_size,), generator=self._batch_generator)
        result, total = self._batch_loss(self.x_train[idx])
        self.optimizer.zero_grad(set_to_none=True)
        # One read of the loss serves the finiteness check and the metrics (each tensor
        # op and .item() costs microseconds, a few percent of a 1-D step).
        loss = result.loss.item() if total is result.loss else total.item()
        if not math.isfinite(loss):
            return self._reject(f"non-finite loss ({loss}) at step {self.step_count + 1}")
        total.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self._params, self.config.grad_clip)
        if not math.isfinite(grad_norm.item()):
            self.optimizer.zero_grad(set_to_none=True)
            return self._reject(f"non-finite gradient at step {self.step_count + 1}")
        if self.step_count % CHECKPOINT_EVERY == 0:
            self._keep_checkpoint()  # this state's loss and gradients are finite
        self.optimizer.step()
        self.step_count += 1
        self.stopped_reason = self.restored_step = None
        if total is not result.loss:  # report the objective itself, not r's extra term
            objective_value = result.loss.item()
            result.terms["r_all_bins_bpd"] = loss - objective_value
            loss = objective_value
        metrics = {"step": self.step_count, "bound_bpd": loss, "finite": 1.0, **result.terms}
        self._pending_bounds.append(loss)
        if self.step_count % self.eval_every == 0:
            evaluation = self.evaluate()
            if not _all_finite(evaluation):
                return self._reject(f"non-finite evaluation at step {self.step_count}")
            metrics.update(evaluation)
        self.elapsed_s += time.perf_counter() - started
        if self.step_count % self.config.log_every == 0 or "val_bound_bpd" in metrics:
            self._log_row(metrics)
        self.last_metrics = metrics
        return metrics

    def _batch_loss(self, batch: torch.Tensor):
        """(the objective on the batch, the tensor to differentiate): the same tensor, or
        the objective plus r's all-bins term."""
        cfg = self.config
        result = training_objective(self.density, self.dequantizer, batch, cfg.objective, self.train_samples,
                                    cfg.alpha, self._generator)
        if not self.r_all_bins:
            return result, result.loss
        per_bin = r_samples_per_bin(self.data.levels, self._batch_size)
        return result, result.loss + all_bins_r_loss(self.density, self.dequantizer, self.data.levels, per_bin,
                                                     self._generator)

    # -- divergence --------------------------------------------------------------------
    def _keep_checkpoint(self) -> None:
        """Copy the current state (before this step's update), keeping step 0's and the newest few."""
        checkpoint = _Checkpoint(
            step=self.step_count,
            density={k: v.detach().clone() for k, v in self.density.state_dict().items()},
            dequantizer={k: v.detach().clone() for k, v in self.dequantizer.state_dict().items()},
            optimizer=copy.deepcopy(self.optimizer.state_dict()),
            log_length=len(self.log), last_metrics=dict(self.last_metrics))
        # Those after it were left behind by a restore; of the rest keep the first and the newest.
        first, rest = self._checkpoints[:1], [c for c in self._checkpoints[1:] if c.step < checkpoint.step]
        if first and first[0].step >= checkpoint.step:
            first = []
        self._checkpoints = first + rest[max(0, len(rest) - (CHECKPOINTS_KEPT - 1)):] + [checkpoint]

    def _restore(self, checkpoint: _Checkpoint) -> None:
        self.density.load_state_dict(checkpoint.density)  # copies into the same Parameters
        self.dequantizer.load_state_dict(checkpoint.dequantizer)
        # load_state_dict may keep the given tensors: hand it a copy, the checkpoint stays
        # usable for the next divergence.  The learning rate stays the one set now.
        self.optimizer.load_state_dict(copy.deepcopy(checkpoint.optimizer))
        for group in self.optimizer.param_groups:
            group["lr"] = self._learning_rate
        self.step_count = checkpoint.step
        if len(self.log) > checkpoint.log_length:
            self.log.truncate(checkpoint.log_length)
            self._log_cut = checkpoint.log_length if self._log_cut is None else min(self._log_cut,
                                                                                   checkpoint.log_length)
        self._pending_bounds.clear()

    def _reject(self, reason: str) -> dict[str, float]:
        """Go back to the newest kept state whose evaluation is finite; say what happened."""
        self.optimizer.zero_grad(set_to_none=True)
        self._pending_bounds.clear()
        while self._checkpoints:
            checkpoint = self._checkpoints[-1]
            self._restore(checkpoint)
            evaluation = self.evaluate()
            if _all_finite(evaluation):
                self.restored_step = checkpoint.step
                self.last_metrics = {**checkpoint.last_metrics, "step": checkpoint.step, **evaluation}
                self.stopped_reason = (f"{reason}: training stopped and went back to step {checkpoint.step}, "
                                       "the last state whose loss, gradients and evaluation are finite")
                return {"step": self.step_count, "bound_bpd": float("nan"), "finite": 0.0}
            self._checkpoints.pop()  # its evaluation is not finite: not a good state
        self.restored_step = None
        self.stopped_reason = (f"{reason}: training stopped; no earlier state with a finite loss, "
                               "gradients and evaluation was kept, so none could be restored")
        return {"step": self.step_count, "bound_bpd": float("nan"), "finite": 0.0}

    def _log_row(self, metrics: dict[str, float]) -> None:
        # The logged train bound is the mean over the steps since the last row: smoother
        # than one batch, and no step is left out of the curve.
        pending = self._pending_bounds
        row = {"step": self.step_count, "train_bound": sum(pending) / len(pending), "seconds": self.elapsed_s}
        self._pending_bounds.clear()
        for key, column in (("val_bound_bpd", "val_bound"), ("iw_bound_bpd", "iw_bound"),
                            ("exact_bpd", "exact"), ("gap_bpd", "gap")):
            if key in metrics:
                row[column] = metrics[key]
        self.log.append(**row)

    def catch_up_noise(self, steps: int, draws: int = 4096, learning_rate: float | None = None) -> int:
        """Let r catch up with the current, frozen q: ``steps`` Adam steps on r alone towards
        q(u|x) in every bin (the all-bins term; 1-D variational only, else nothing).

        q moves at every training step and r lags behind it, so the final gap of a run is
        partly r's lag, not what r's family can do (issue 11: 0.003-0.02 bits/dim wander
        vs ~2e-5 for r fitted to a fixed q).  The result is still a bound for the final q.
        ``draws`` of u per step in all.  Returns the steps taken; ``catch_up_steps`` sums them.

        It never leaves r worse than it found it: every CATCH_UP_CHECK steps the exact mean
        gap over the bins (quadrature) is measured and the best r seen, the starting one
        included, is kept.  Measured on the 178 lab values (K = 93, most bins empty, where
        q(u|x) in a far, empty bin is steep): a fresh Adam at the training rate took one
        seed's mean bin gap from 0.72 to 3.2 bits (one bin 212 bits) within 100 steps and
        then stopped on an infinite loss, leaving the all-data gap at 0.157 instead of 0.0004.
        (A tenth of the rate was tried: it avoided that blow-up but left the gaps of the
        other files ~10x larger after 1000 steps, 2e-4 vs 2e-5 bits/dim on the measurements.)
        """
        params = list(self.dequantizer.parameters())
        if self.data.kind != "1d" or not params or steps <= 0:
            return 0
        optimizer = torch.optim.Adam(params, lr=float(learning_rate or self._learning_rate))
        per_bin = max(1, int(draws) // self.data.levels)
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_033 + self.step_count)
        best_gap, best_r = self._mean_bin_gap(), copy.deepcopy(self.dequantizer.state_dict())
        for step in range(1, int(steps) + 1):
            loss = all_bins_r_loss(self.density, self.dequantizer, self.data.levels, per_bin, generator)
            if not math.isfinite(loss.item()):
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip)
            optimizer.step()
            self.catch_up_steps += 1
            if step % CATCH_UP_CHECK == 0 or step == steps:
                gap = self._mean_bin_gap()
                if gap < best_gap:
                    best_gap, best_r = gap, copy.deepcopy(self.dequantizer.state_dict())
        self.dequantizer.load_state_dict(best_r)
        return int(steps)

    @torch.no_grad()
    def _mean_bin_gap(self) -> float:
        """Mean over all K bins of KL(r(u|x) || q(u|x)) in nats, by quadrature (inf if not finite)."""
        gap = float(bin_bounds_1d(self.density, self.dequantizer, self.data.levels)["gap"].mean())
        return gap if math.isfinite(gap) else math.inf

    def run(self, steps: int, on_step=None) -> None:
        """Train ``steps`` steps (stops early on a non-finite loss); ``on_step(metrics)`` after each."""
        for _ in range(int(steps)):
            metrics = self.step()
            if on_step is not None:
                on_step(metrics)
            if self.stopped_reason:
                break

    # -- evaluation ------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, x: torch.Tensor | None = None, iw_samples: int | None = None,
                 max_examples: int | None = None) -> dict[str, float]:
        """Bound, IW bound and (1-D) exact bits/dim on validation data (or ``x``).

        For 1-D data the bound is its exact expectation over r (quadrature per bin); for
        images it is a one-sample Monte-Carlo estimate per example.

        Returned keys: ``val_bound_bpd``, ``iw_bound_bpd``, ``iw_samples`` and for 1-D
        ``exact_bpd``, ``gap_bpd`` (bound minus exact, >= 0 for a true bound) and
        ``point_density_bpd`` (-log2 q(x) at the integer points: what ``none`` maximises;
        a density, not a probability, so it can fall below the exact figure).  Each figure
        ``F_bpd`` comes with ``F_se``, its standard error over the examples (``val_bound_se``
        for the bound).
        """
        x = self.x_val if x is None else x
        limit = max_examples or self.eval_examples
        x = x[:limit]
        samples = int(iw_samples or self.config.iw_samples)
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step_count)
        dims = dims_of(x)
        iw = importance_weighted_log_likelihood(self.density, self.dequantizer, x, samples, generator)
        iw_bpd, iw_se = evaluation.mean_and_se(-iw / (dims * evaluation.LN2))
        out = {"iw_bound_bpd": iw_bpd, "iw_bound_se": iw_se, "iw_samples": float(samples)}
        if self.data.kind == "1d":
            # 1-D: the bound's expectation by quadrature (no sampling noise on tiny gaps).
            terms = bin_bounds_1d(self.density, self.dequantizer, self.data.levels)
            points = self.density.log_prob(torch.arange(self.data.levels, dtype=torch.float32))
            counts = np.bincount(x.numpy(), minlength=self.data.levels)
            figures = evaluation.split_figures_1d(terms["bound"], terms["log_mass"], points, counts)
            out.update(val_bound_bpd=figures.pop("bound_bpd"), val_bound_se=figures.pop("bound_se"),
                       exact_bpd=figures["exact_bpd"], exact_se=figures["exact_se"],
                       gap_bpd=figures["gap_bpd"], gap_se=figures["gap_se"],
                       point_density_bpd=figures["point_density_bpd"], point_density_se=figures["point_density_se"])
        else:
            bound = negative_bound(self.density, self.dequantizer, x, generator)
            out["val_bound_bpd"], out["val_bound_se"] = evaluation.mean_and_se(bound.per_example / (dims * evaluation.LN2))
        return out

    def evaluate_all_data(self, iw_samples: int | None = None, max_examples: int | None = None) -> dict[str, float]:
        """``evaluate`` on every example (training and validation together), same keys.

        The fairer figure on small data: a validation split of a dozen points has a standard
        error as large as the gaps being compared."""
        return self.evaluate(self.x_all, iw_samples=iw_samples, max_examples=max_examples or self.x_all.shape[0])


def _all_finite(values: dict) -> bool:
    """Whether an evaluation's figures are finite (standard errors are NaN for a single
    example, which says nothing about the state)."""
    return all(math.isfinite(v) for k, v in values.items() if not k.endswith("_se"))
