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

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from vdq_gui.data.dataset import DiscreteData
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import DEQUANTIZERS, make_dequantizer
from vdq_gui.models.imageflow import ImageFlow
from vdq_gui.training.history import TrainingLog
from vdq_gui.training.objective import (OBJECTIVES, R_OBJECTIVES, all_bins_r_loss, bin_bounds_1d, dims_of,
                                        importance_weighted_log_likelihood, nats_to_bpd, negative_bound,
                                        r_samples_per_bin, training_objective)
from vdq_gui.training import evaluation


@dataclass
class TrainConfig:
    """Hyperparameters.  ``None`` means the default for the kind of data (1-D / images)."""

    dequantizer: str = "variational"
    seed: int = 0
    # Training objective (see vdq_gui.training.objective): "elbo" | "iw" | "renyi", with
    # ``train_samples`` draws of u per example (None: 1 for elbo, 8 for iw and renyi) and
    # Renyi's ``alpha`` in (0, 1).
    objective: str = "elbo"
    train_samples: int | None = None
    alpha: float = 0.5
    # How the 1-D variational r learns: "flowpp" (the plain objective only: r learns only in
    # bins the training batches show) or "all-bins" (also towards q(u|x) in every bin, q held
    # fixed).  Measured on the three small files of issue 11 (3000 steps, 3 seeds) the
    # all-bins term did not lower the final gap (r's lag behind a moving q dominates) and
    # makes a step 1.7x as slow; what does lower it is ``Trainer.catch_up_noise`` before
    # results are reported (0.002-0.008 -> ~1e-4 bits/dim), which vdq-train does by default.
    # Ignored for images and fixed noise.
    r_objective: str = "flowpp"
    learning_rate: float | None = None
    batch_size: int | None = None
    grad_clip: float = 10.0
    val_fraction: float = 0.1
    iw_samples: int = 16
    eval_every: int | None = None  # None: the default for the kind of data (DEFAULTS)
    eval_examples: int | None = None
    log_every: int = 5
    # 1-D model sizes
    components: int = 16
    noise_layers: int = 2
    noise_components: int = 4
    # image model sizes (r is kept smaller than q, as in Flow++: its job is easier)
    hidden: int = 32
    noise_hidden: int | None = None  # default: hidden // 2
    noise_couplings: int = 3

    def __post_init__(self) -> None:
        if self.dequantizer not in DEQUANTIZERS:
            raise ValueError(f"unknown dequantizer {self.dequantizer!r}; choose one of {', '.join(DEQUANTIZERS)}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}")
        if self.r_objective not in R_OBJECTIVES:
            raise ValueError(f"unknown r objective {self.r_objective!r}; choose one of {', '.join(R_OBJECTIVES)}")
        if self.objective == "renyi" and not 0.0 < float(self.alpha) < 1.0:
            raise ValueError(f"alpha must lie strictly between 0 and 1 (got {self.alpha}); "
                             "alpha -> 0 is the iw objective, alpha -> 1 the elbo")
        for name in ("eval_every", "log_every", "iw_samples", "eval_examples", "components", "hidden",
                     "train_samples"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("val_fraction must lie strictly between 0 and 1")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError("learning_rate must be positive")
        if self.batch_size is not None and int(self.batch_size) < 1:
            raise ValueError("batch_size must be at least 1")


# Evaluation during training (validation and IW bound for the curves) runs every
# ``eval_every`` steps on ``eval_examples`` validation examples.  Every 200 steps keeps
# it near 1.5 % of training time (a 1-D evaluation costs about three variational steps;
# for images an IW evaluation over many images costs a dozen steps, so it also runs on
# fewer images); that is still one to five points a second on the curves.  The CLI's
# final evaluation always uses the whole validation set.
DEFAULTS = {
    "1d": {"learning_rate": 1e-2, "batch_size": 512, "eval_every": 200, "eval_examples": 1024},
    "images": {"learning_rate": 2e-3, "batch_size": 64, "eval_every": 200, "eval_examples": 64},
}


# r-only steps towards the final, frozen q before vdq-train and the benchmark report (1-D
# variational): 200 reach ~3e-4 bits/dim, 1000 ~1e-4 on the small files (~6 s on one core).
CATCH_UP_STEPS = 1000
SPIKE_FLOOR = 0.1  # smallest scale of q's components with `none`, in levels (see _build_models)


class Trainer:
    """Owns q, r, the optimizer, the data split and the log.  One ``step()`` = one Adam step."""

    def __init__(self, data: DiscreteData, config: TrainConfig | None = None):
        self.data = data
        self.config = config or TrainConfig()
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
        self._generator = torch.Generator().manual_seed(self.config.seed)
        self._params = self.parameters()  # fixed after construction; step() reuses the list
        self.optimizer = torch.optim.Adam(self._params, lr=self._learning_rate)
        self.log = TrainingLog()
        self.step_count = 0
        self.catch_up_steps = 0  # r-only steps towards a frozen q (catch_up_noise)
        self.elapsed_s = 0.0
        self.stopped_reason: str | None = None
        self.last_metrics: dict[str, float] = {}
        self._pending_bounds: list[float] = []

    # -- construction ---------------------------------------------------------------
    def _build_models(self) -> None:
        cfg, data = self.config, self.data
        # Seed the initial weights without disturbing anyone else's global RNG state.
        with torch.random.fork_rng(devices=[]):
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
        if not value > 0:
            raise ValueError("learning rate must be positive")
        self._learning_rate = float(value)
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
        return {
            "density": {k: v.detach().numpy().copy() for k, v in self.density.state_dict().items()},
            "dequantizer": {k: v.detach().numpy().copy() for k, v in self.dequantizer.state_dict().items()},
            "log_from": int(log_from), "log_rows": self.log.rows_from(log_from), "log_length": len(self.log),
            "step_count": self.step_count, "elapsed_s": self.elapsed_s,
            "last_metrics": dict(self.last_metrics), "stopped_reason": self.stopped_reason,
            "learning_rate": self._learning_rate, "batch_size": self._batch_size,
        }

    def load_state(self, state: dict) -> None:
        """Become a replica of the exported state (this trainer was built from the same
        spec).  The log grows by the rows sent, which must continue this log exactly."""
        if state["log_from"] != len(self.log):
            raise ValueError(f"log rows from {state['log_from']} cannot continue a log of {len(self.log)} rows")
        self.density.load_state_dict({k: torch.from_numpy(v) for k, v in state["density"].items()})
        self.dequantizer.load_state_dict({k: torch.from_numpy(v) for k, v in state["dequantizer"].items()})
        self.log.extend(state["log_rows"])
        self.step_count, self.elapsed_s = state["step_count"], state["elapsed_s"]
        self.last_metrics, self.stopped_reason = dict(state["last_metrics"]), state["stopped_reason"]
        self.learning_rate, self.batch_size = state["learning_rate"], state["batch_size"]

    # -- training ------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One Adam step on a fresh batch.  Returns this step's metrics.

        A non-finite loss or gradient is caught *before* the parameters move: the step
        is skipped, the parameters stay the last good ones, ``stopped_reason`` says why
        and the returned metrics carry ``finite = 0``.  Callers decide whether to stop.
        """
        started = time.perf_counter()
        idx = torch.randint(self.x_train.shape[0], (self._batch_size,), generator=self._generator)
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
        self.optimizer.step()
        self.step_count += 1
        self.stopped_reason = None
        if total is not result.loss:  # report the objective itself, not r's extra term
            objective_value = result.loss.item()
            result.terms["r_all_bins_bpd"] = loss - objective_value
            loss = objective_value
        metrics = {"step": self.step_count, "bound_bpd": loss, "finite": 1.0, **result.terms}
        self._pending_bounds.append(loss)
        if self.step_count % self.eval_every == 0:
            metrics.update(self.evaluate())
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

    def _reject(self, reason: str) -> dict[str, float]:
        self.stopped_reason = (f"{reason}: training stopped and kept the parameters of step {self.step_count}, "
                               "the last good one")
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
        """
        params = list(self.dequantizer.parameters())
        if self.data.kind != "1d" or not params or steps <= 0:
            return 0
        optimizer = torch.optim.Adam(params, lr=float(learning_rate or self._learning_rate))
        per_bin = max(1, int(draws) // self.data.levels)
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_033 + self.step_count)
        for _ in range(int(steps)):
            loss = all_bins_r_loss(self.density, self.dequantizer, self.data.levels, per_bin, generator)
            if not math.isfinite(loss.item()):
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip)
            optimizer.step()
            self.catch_up_steps += 1
        return int(steps)

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
