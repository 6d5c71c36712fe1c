"""Numerically stable pieces of the logistic distribution, shared by q and r.

Everything is written in log space because the interesting regimes of this app are
exactly the extreme ones: with the ``none`` dequantizer q collapses into spikes whose
scales shrink towards zero, and sigmoid differences underflow long before that.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def logistic_log_pdf(y: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """log of the logistic density: z = (y - mean)/s, p = exp(-z) / (s (1 + exp(-z))^2)."""
    z = (y - mean) * torch.exp(-log_scale)
    return -z - log_scale - 2.0 * F.softplus(-z)


def log_sigmoid_diff(upper: torch.Tensor, lower: torch.Tensor) -> torch.Tensor:
    """log(sigmoid(upper) - sigmoid(lower)) for upper >= lower, without cancellation.

    sigmoid(b) - sigmoid(a) = e^b (1 - e^(a-b)) / ((1 + e^a)(1 + e^b)); the log of each
    factor is computed on its own so that the result stays accurate when both
    arguments are large and positive (tails) or very close (narrow bins).
    Infinite bounds are allowed (-inf lower / +inf upper).
    """
    upper, lower = torch.broadcast_tensors(upper, lower)
    # Reflect so that the smaller sigmoid is computed: sigma(b)-sigma(a) = sigma(-a)-sigma(-b).
    flip = (upper + lower) > 0
    b = torch.where(flip, -lower, upper)
    a = torch.where(flip, -upper, lower)
    # Now a <= b and b + a <= 0: both terms small or moderate.
    return F.logsigmoid(b) + log1mexp(b - a) + F.logsigmoid(-a)


def log1mexp(d: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(-d)) for d >= 0, accurate for small and large d (Maechler 2012).

    Both branches get inputs that are safe for them, so that the branch torch.where
    discards cannot send inf or NaN into the gradient.
    """
    d = d.clamp_min(1e-30)
    small = d < 0.6931
    d_small = torch.where(small, d, torch.ones_like(d))
    d_large = torch.where(small, torch.ones_like(d), d)
    return torch.where(small, torch.log(-torch.expm1(-d_small)), torch.log1p(-torch.exp(-d_large)))
