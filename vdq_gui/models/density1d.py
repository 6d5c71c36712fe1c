"""q for 1-D data: a mixture of logistics truncated to [0, K].

Why this model: its CDF is closed-form, so the *exact* discrete likelihood
P(x) = (CDF(x+1) - CDF(x)) is available and the gap of every dequantization bound can
be measured, not guessed.  Truncation to [0, K] makes the bin masses sum to exactly one,
and the mixture is flexible enough to collapse into spikes (``none``), to form steps
(``uniform``) or to stay smooth (``variational``).

Positions are in *level units*: level x owns the interval [x, x+1).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vdq_gui.models.logistic import log_sigmoid_diff, logistic_log_pdf


def smooth_floor(value: torch.Tensor, floor: float, softness: float = 0.5) -> torch.Tensor:
    """floor + softness * softplus((value - floor) / softness): ``value`` far above the floor,
    ``floor`` far below, smooth in between with a gradient everywhere.

    A hard clamp has no gradient below its floor: with ``none`` a spike that reached the
    floor and then drifted off its integer point could not widen again (its raw scale had
    run on below the floor), so the loss jumped back up and stayed there ("the spike pops").
    """
    return floor + softness * F.softplus((value - floor) / softness)


class LogisticMixture1D(nn.Module):
    """q(y) = sum_k pi_k Logistic(y; mu_k, s_k) / Z on [0, K]."""

    def __init__(self, levels: int, components: int = 16, min_scale: float = 0.005):
        super().__init__()
        self.levels = int(levels)
        self.components = int(components)
        self.min_log_scale = math.log(min_scale)
        # Parameters live in units of the whole range [0, K], so that one learning rate
        # suits 8 levels and 256 levels alike.
        centres = (torch.arange(components, dtype=torch.float32) + 0.5) / components
        self.logits = nn.Parameter(torch.zeros(components))
        self.raw_means = nn.Parameter(centres)
        self.raw_log_scales = nn.Parameter(torch.full((components,), math.log(0.5 / components)))

    # -- parameters in level units --------------------------------------------------
    def _params(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        log_weights = torch.log_softmax(self.logits, dim=0)
        means = self.raw_means * self.levels
        log_scales = smooth_floor(self.raw_log_scales + math.log(self.levels), self.min_log_scale)
        return log_weights, means, log_scales

    def _log_normaliser(self, log_weights, means, log_scales) -> torch.Tensor:
        inv_scale = torch.exp(-log_scales)
        inside = log_sigmoid_diff((self.levels - means) * inv_scale, (0.0 - means) * inv_scale)
        return torch.logsumexp(log_weights + inside, dim=-1)

    # -- densities ----------------------------------------------------------------
    def log_prob(self, y: torch.Tensor) -> torch.Tensor:
        """log q(y) for y in [0, K] (any shape); -inf outside the support."""
        log_weights, means, log_scales = self._params()
        log_z = self._log_normaliser(log_weights, means, log_scales)
        y = y.to(means.dtype)
        # Components on the leading axis: each (component, y) pass is contiguous, which
        # made this evaluation ~40% faster than components last (measured for snapshots).
        column = (-1,) + (1,) * y.dim()
        per_component = logistic_log_pdf(y.unsqueeze(0), means.view(column), log_scales.view(column))
        log_q = torch.logsumexp(log_weights.view(column) + per_component, dim=0) - log_z
        outside = (y < 0) | (y > self.levels)
        return torch.where(outside, torch.full_like(log_q, -math.inf), log_q)

    def log_interval_mass(self, lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
        """log of q's mass on [lower, upper] (closed form via the CDF)."""
        log_weights, means, log_scales = self._params()
        log_z = self._log_normaliser(log_weights, means, log_scales)
        inv_scale = torch.exp(-log_scales)
        lo = (lower.to(means.dtype).unsqueeze(-1).clamp(0, self.levels) - means) * inv_scale
        hi = (upper.to(means.dtype).unsqueeze(-1).clamp(0, self.levels) - means) * inv_scale
        return torch.logsumexp(log_weights + log_sigmoid_diff(hi, lo), dim=-1) - log_z

    def log_mass(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log P(x) = log(CDF(x+1) - CDF(x)) for integer levels x."""
        x = x.to(self.raw_means.dtype)
        return self.log_interval_mass(x, x + 1.0)

    def log_mass_all(self) -> torch.Tensor:
        """Exact log P(x) for every level 0..K-1 (sums to one in probability)."""
        levels = torch.arange(self.levels, dtype=self.raw_means.dtype, device=self.raw_means.device)
        return self.log_mass(levels)

    def log_prob_terms(self, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """log q split into named terms (1-D has only one), summed per example."""
        return {"log_q": self.log_prob(y)}
