"""Figures over a split of the data with their standard errors, for 1-D from per-bin values.

In 1-D every per-example quantity (bound, exact -log P(x), gap) depends on the example
only through its bin, so a split is summarised by its counts per bin: the mean is the
count-weighted mean of the per-bin values and the standard error is that of a mean over
the split's examples, sqrt(var / N).  The error says how much the figure would move with
another draw of the same number of examples; on a split of 15 points it is as large as
the gaps being compared (issue 11), which is why the CLI also reports all the data.
"""

from __future__ import annotations

import math

import numpy as np
import torch

LN2 = math.log(2.0)


def weighted_mean_and_se(values: np.ndarray, counts: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error of a sample holding ``counts[k]`` copies of ``values[k]``."""
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.sum()
    if n <= 0:
        return float("nan"), float("nan")
    seen = counts > 0
    values = np.asarray(values, dtype=np.float64)[seen]
    counts = counts[seen]
    mean = float((counts * values).sum() / n)
    if n < 2:
        return mean, float("nan")
    variance = float((counts * (values - mean) ** 2).sum() / (n - 1))
    return mean, math.sqrt(max(variance, 0.0) / n)


def mean_and_se(values: torch.Tensor | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of per-example values."""
    values = np.asarray(values.detach().numpy() if isinstance(values, torch.Tensor) else values, dtype=np.float64)
    n = values.size
    if n == 0:
        return float("nan"), float("nan")
    mean = float(values.mean())
    return mean, (float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan"))


def split_figures_1d(bound_nats: torch.Tensor, log_mass: torch.Tensor, log_q_points: torch.Tensor,
                     counts: np.ndarray) -> dict[str, float]:
    """Bound, exact and gap in bits/dim with standard errors over a split given by ``counts``.

    ``bound_nats``: E_r[log q(x+u) - log r(u|x)] per bin; ``log_mass``: log P(x) per bin;
    ``log_q_points``: log q(x) at the integer points (what ``none`` maximises), per bin.
    """
    bound = -bound_nats.double().numpy() / LN2
    exact = -log_mass.double().numpy() / LN2
    points = -log_q_points.double().numpy() / LN2
    out: dict[str, float] = {}
    for key, values in (("bound", bound), ("exact", exact), ("gap", bound - exact), ("point_density", points)):
        out[f"{key}_bpd"], out[f"{key}_se"] = weighted_mean_and_se(values, counts)
    return out
