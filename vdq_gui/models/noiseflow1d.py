"""Variational dequantization for 1-D data: r(u | x) is a flow conditioned on the bin x.

The flow, read from noise to u (Flow++, Ho et al. 2019, in one dimension):

    eps ~ N(0, 1)
    z   = m(x) + exp(l(x)) * eps                              conditional affine
    z   = exp(a(x)) * logit(MixLogisticCDF(z; x)) + b(x)      repeated ``layers`` times
    u   = sigmoid(z)                                          onto (0, 1)

    log r(u|x) = log N(eps) - sum of the log-derivatives of every step.

Every parameter is a function of x only, through a learned embedding of the bin and a
small MLP, so the flow's parameters are computed once per bin (a K x P table) and
gathered per example.  Each step is strictly increasing, so the whole map eps -> u is
monotone: the inspection code relies on this to read r(u|x) on a grid without inverting.

Training gradients use the path-derivative ("sticking the landing") estimator of Roeder,
Wu & Duvenaud (2017): the score term d/dtheta log r_theta(u) at fixed u, whose mean is
exactly zero, is left out.  Its noise does not vanish when r matches q(u|x), and with
Adam it kept r about 1e-3 bits/dim away from the optimum (measured on the built-ins: the
1-D gap stalled at 0.003-0.01 bits/dim, above uniform's 0.0006 on ``counts``); without it
the gap reaches 1e-4-1e-3.  Values (u, log r) are unchanged; only gradients differ.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vdq_gui.models.dequantizers import Dequantizer
from vdq_gui.models.logistic import logistic_log_pdf

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class VariationalDequantizer1D(Dequantizer):
    name = "variational"

    def __init__(self, levels: int, embedding: int = 16, hidden: int = 64, layers: int = 2, components: int = 4):
        super().__init__()
        self.levels = int(levels)
        self.layers = int(layers)
        self.components = int(components)
        self.embedding = nn.Embedding(self.levels, embedding)
        n_params = 2 + self.layers * (3 * self.components + 2)
        self.net = nn.Sequential(
            nn.Linear(embedding, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, n_params)
        )
        # Start near a fixed, smooth r for every bin (zero last layer); the spread of the
        # mixture means breaks the symmetry between components so they can specialise.
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)
        self.register_buffer("mean_spread", torch.linspace(-1.5, 1.5, self.components))

    # -- parameters -----------------------------------------------------------------
    def bin_params(self) -> torch.Tensor:
        """The flow's parameters for every bin, a (K, P) table."""
        return self.net(self.embedding.weight)

    def _split(self, params: torch.Tensor):
        """Unpack a (..., P) parameter tensor into the affine step and the mixture steps."""
        shift, log_scale = params[..., 0], _soft_clamp(params[..., 1])
        steps, offset, m = [], 2, self.components
        for _ in range(self.layers):
            logits = params[..., offset : offset + m]
            means = params[..., offset + m : offset + 2 * m] + self.mean_spread
            log_scales = params[..., offset + 2 * m : offset + 3 * m]
            a, b = _soft_clamp(params[..., offset + 3 * m]), params[..., offset + 3 * m + 1]
            steps.append((torch.log_softmax(logits, dim=-1), means, log_scales, a, b))
            offset += 3 * m + 2
        return shift, log_scale, steps

    # -- the flow ---------------------------------------------------------------------
    def transform(self, eps: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Push base noise through the flow: returns (u, log r(u|x)), shapes of ``eps``.

        ``params`` broadcasts against ``eps`` with one extra trailing axis of size P.
        """
        z, log_r = self._to_logit(eps, params)
        return torch.sigmoid(z), log_r - _log_sigmoid_derivative(z)

    def _to_logit(self, eps: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """All steps but the final sigmoid: (z, log density of z)."""
        shift, log_scale, steps = self._split(params)
        log_r = -0.5 * eps**2 - LOG_SQRT_2PI
        z = shift + torch.exp(log_scale) * eps
        log_r = log_r - log_scale
        for log_w, means, log_scales, a, b in steps:
            z, log_det = _mixture_logit(z, log_w, means, log_scales)
            z = torch.exp(a) * z + b
            log_r = log_r - log_det - a
        return z, log_r

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        eps = torch.randn(x.shape, generator=generator, device=x.device)
        params = self.bin_params()[x]
        z, log_rz = self._to_logit(eps, params)
        if torch.is_grad_enabled() and params.requires_grad:
            # Path derivative: log r is evaluated at z with the parameters frozen, so the
            # gradient reaches theta only through z.  eps_path is the frozen flow's inverse
            # of z to first order: equal to eps in value, with d eps_path/d theta =
            # (dz/d theta) / (dz/d eps); the map is elementwise, so dz/d eps = N(eps) / r_z(z).
            dz_deps = torch.exp(-0.5 * eps**2 - LOG_SQRT_2PI - log_rz).detach()
            eps_path = eps + (z - z.detach()) / dz_deps.clamp_min(torch.finfo(dz_deps.dtype).tiny)
            _, log_rz = self._to_logit(eps_path, params.detach())
        return torch.sigmoid(z), log_rz - _log_sigmoid_derivative(z)

    def inverse(self, u: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u -> (eps, log r(u|x)).  The mixture steps are inverted by bisection (slow, exact)."""
        shift, log_scale, steps = self._split(params)
        z = torch.logit(u)
        log_det = F.logsigmoid(z) + F.logsigmoid(-z)
        for log_w, means, log_scales, a, b in reversed(steps):
            w = (z - b) * torch.exp(-a)
            z = _invert_mixture_logit(w, log_w, means, log_scales)
            _, step_log_det = _mixture_logit(z, log_w, means, log_scales)
            log_det = log_det + step_log_det + a
        eps = (z - shift) * torch.exp(-log_scale)
        log_det = log_det + log_scale
        return eps, -0.5 * eps**2 - LOG_SQRT_2PI - log_det

    def log_prob(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Exact log r(u|x) for u in (0, 1) (via the inverse; for tests and checks)."""
        return self.inverse(u, self.bin_params()[x])[1]


def _log_sigmoid_derivative(z: torch.Tensor) -> torch.Tensor:
    """log du/dz for u = sigmoid(z)."""
    return F.logsigmoid(z) + F.logsigmoid(-z)


def _soft_clamp(log_scale: torch.Tensor, bound: float = 3.0) -> torch.Tensor:
    """Keep a log-scale within +-bound smoothly: stacked exp-scales otherwise push u
    onto exactly 0 or 1 in float32, where log r is infinite."""
    return bound * torch.tanh(log_scale / bound)


def _mixture_logit(z, log_w, means, log_scales):
    """w = logit(sum_k pi_k sigmoid((z - mu_k)/s_k)) and log dw/dz.

    Computed from log CDF and log(1 - CDF) separately, so w stays exact in both tails.
    """
    t = (z.unsqueeze(-1) - means) * torch.exp(-log_scales)
    log_cdf = torch.logsumexp(log_w + F.logsigmoid(t), dim=-1)
    log_sf = torch.logsumexp(log_w + F.logsigmoid(-t), dim=-1)
    log_pdf = torch.logsumexp(log_w + logistic_log_pdf(z.unsqueeze(-1), means, log_scales), dim=-1)
    return log_cdf - log_sf, log_pdf - log_cdf - log_sf


@torch.no_grad()
def _invert_mixture_logit(w, log_w, means, log_scales, iterations: int = 100):
    """Solve logit(MixCDF(z)) = w for z by bisection.

    Bracket: at z = max_k(mu_k + s_k w) every component's CDF is >= sigmoid(w), so the
    mixture's logit is >= w there; symmetrically at the min.  The root lies between.
    """
    candidates = means + torch.exp(log_scales) * w.unsqueeze(-1)
    lo, hi = candidates.min(dim=-1).values, candidates.max(dim=-1).values
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        above = _mixture_logit(mid, log_w, means, log_scales)[0] > w
        hi = torch.where(above, mid, hi)
        lo = torch.where(above, lo, mid)
    return 0.5 * (lo + hi)
