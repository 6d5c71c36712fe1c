"""A simple learned r: the logit-normal dequantizer (Hoogeboom, Cohen & Tomczak 2020).

    eps ~ N(0, 1),   u = sigmoid(mu(x) + sigma(x) eps)          Affine, Sigmoid

with one (mu, log sigma) pair per level x, learned directly (no network): per bin for
1-D data, per pixel value for images (every pixel's noise depends on its own value
only, unlike the variational flow's, which reads the neighbourhood).  It sits between
uniform noise and the flow: it can move and narrow r within each bin but has one
bump only.  A logit-normal cannot be exactly uniform; it starts at mu = 0, sigma = 1.75,
the closest to U(0, 1) (KL 0.014 bits).

Gradients use the same path derivative as the 1-D flow (Roeder et al. 2017): log r is
evaluated at the sample with (mu, sigma) frozen.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vdq_gui.models.bijections import Affine, Compose, NormalBase, Sigmoid
from vdq_gui.models.dequantizer_base import Dequantizer

INITIAL_LOG_SIGMA = math.log(1.75)
LOG_SIGMA_BOUND = 3.0  # soft clamp, as in the flow: sigma within (0.05, 20)


class LogitNormalDequantizer(Dequantizer):
    name = "logit-normal"
    base = NormalBase

    def __init__(self, levels: int):
        super().__init__()
        self.levels = int(levels)
        self.flow = Compose([Affine(bound=LOG_SIGMA_BOUND), Sigmoid()], split_params=True)
        table = torch.zeros(self.levels, 2)
        table[:, 1] = INITIAL_LOG_SIGMA
        self.table = nn.Parameter(table)  # (mu, log sigma) of every level

    def bin_params(self) -> torch.Tensor:
        """(K, 2): mu and log sigma of every level."""
        return self.table

    def quadrature_split(self) -> torch.Tensor:
        """(K,): the eps where u crosses 1/2, eps = -mu / sigma.  A wide r turns the
        integrand's smooth -log u(1-u) into a kink there; the quadrature splits at it."""
        log_sigma = self.flow.steps[0]._shift_log_scale(self.table[:, 0], self.table)[1]
        return -self.table[:, 0] * torch.exp(-log_sigma)

    def transform(self, eps: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Base noise -> (u, log r(u|x)) elementwise; ``params`` has one extra axis of size 2."""
        u, log_det = self.flow(eps, params)
        return u, self.base.log_prob(eps) - log_det

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        eps = self.base.sample(x.shape, generator, x.device, self.table.dtype)
        params = self.table[x]
        affine, sigmoid = self.flow.steps
        z, log_det = affine(eps, params)
        if torch.is_grad_enabled() and params.requires_grad:
            # Path derivative: log r at the sample z, read through the frozen affine map
            # (on z, not u: u rounds to 1 in float32 long before z is large).
            eps, log_det = affine.inverse(z, params.detach())
        u, log_det_sigmoid = sigmoid(z)
        log_r = self.base.log_prob(eps) - log_det - log_det_sigmoid
        return u, log_r.flatten(1).sum(dim=1) if x.dim() > 1 else log_r

    def inverse(self, u: torch.Tensor, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u -> (eps, log r(u|x)) elementwise, exact."""
        eps, log_det = self.flow.inverse(u, params)
        return eps, self.base.log_prob(eps) - log_det

    def log_prob(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log r(u|x), summed per example for images."""
        log_r = self.inverse(u, self.table[x])[1]
        return log_r.flatten(1).sum(dim=1) if x.dim() > 1 else log_r
