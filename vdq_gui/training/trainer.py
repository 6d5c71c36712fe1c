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
import numpy as np
import torch

from vdq_gui.data.dataset import DiscreteData
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import DEQUANTIZERS, make_dequantizer
from vdq_gui.models.imageflow import ImageFlow
from vdq_gui.training.config import TrainConfig
from vdq_gui.training.defaults import DEFAULTS
from vdq_gui.training.history import TrainingLog
from vdq_gui.training.objective import (dims_of, expected_bound_bpd_1d, importance_weighted_log_likelihood,
                                        nats_to_bpd, negative_bound)


# DEFAULTS (per kind of data) live in a torch-free module: the window shows them before torch loads.


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
        self._build_models()
        self._split_data()
        self.data_pmf = data.histogram()  # once: for large image sets a bincount is not free
        # Batches and noise draw from separate generators: runs that differ only in their
        # dequantizer (compare mode) then see the same batches in the same order, although
        # each dequantizer draws a different amount of noise.
        self._batch_generator = torch.Generator().manual_seed(self.config.seed)
        self._generator = torch.Generator().manual_seed(self.config.seed + 1_000_003)
        self._params = self.parameters()  # fixed after construction; step() reuses the list
        self.optimizer = torch.optim.Adam(self._params, lr=self._learning_rate)
        self.log = TrainingLog()
        self.step_count = 0
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
                self.density = LogisticMixture1D(data.levels, cfg.components)
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
        idx = torch.randint(self.x_train.shape[0], (self._batch_size,), generator=self._batch_generator)
        result = negative_bound(self.density, self.dequantizer, self.x_train[idx], self._generator)
        self.optimizer.zero_grad(set_to_none=True)
        # One read of the loss serves the finiteness check and the metrics (each tensor
        # op and .item() costs microseconds, a few percent of a 1-D step).
        loss = result.loss.item()
        if not math.isfinite(loss):
            return self._reject(f"non-finite loss ({loss}) at step {self.step_count + 1}")
        result.loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self._params, self.config.grad_clip)
        if not math.isfinite(grad_norm.item()):
            self.optimizer.zero_grad(set_to_none=True)
            return self._reject(f"non-finite gradient at step {self.step_count + 1}")
        self.optimizer.step()
        self.step_count += 1
        self.stopped_reason = None
        metrics = {"step": self.step_count, "bound_bpd": loss, "finite": 1.0, **result.terms}
        self._pending_bounds.append(loss)
        if self.step_count % self.eval_every == 0:
            metrics.update(self.evaluate())
        self.elapsed_s += time.perf_counter() - started
        if self.step_count % self.config.log_every == 0 or "val_bound_bpd" in metrics:
            self._log_row(metrics)
        self.last_metrics = metrics
        return metrics

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
        ``exact_bpd`` and ``gap_bpd`` (bound minus exact, >= 0 for a true bound).
        """
        x = self.x_val if x is None else x
        limit = max_examples or self.eval_examples
        x = x[:limit]
        samples = int(iw_samples or self.config.iw_samples)
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step_count)
        dims = dims_of(x)
        iw = importance_weighted_log_likelihood(self.density, self.dequantizer, x, samples, generator)
        out = {"iw_bound_bpd": nats_to_bpd(-iw, dims), "iw_samples": float(samples)}
        if self.data.kind == "1d":
            # 1-D: the bound's expectation by quadrature (no sampling noise on tiny gaps).
            bound, exact = expected_bound_bpd_1d(self.density, self.dequantizer, x, self.data.levels)
            out.update(val_bound_bpd=bound, exact_bpd=exact, gap_bpd=bound - exact)
        else:
            bound = negative_bound(self.density, self.dequantizer, x, generator)
            out["val_bound_bpd"] = nats_to_bpd(bound.per_example, dims)
        return out
