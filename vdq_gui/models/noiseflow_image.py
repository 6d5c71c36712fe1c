"""Variational dequantization for images: r(u | x) is a flow conditioned on the whole image.

As in Flow++ (Ho et al. 2019), a small CNN reads the discrete image x and produces
context features; every step of the noise flow sees them, so the noise of each pixel
depends on its neighbourhood, not only on its own value:

    eps ~ N(0, I)                          shape of the image
    z   = m(ctx) + exp(l(ctx)) * eps       conditional elementwise affine
    z   = checkerboard couplings(z; ctx)   alternating parity
    u   = sigmoid(z)                       onto (0, 1)^D
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vdq_gui.models.coupling import AffineCoupling, checkerboard_mask
from vdq_gui.models.dequantizers import Dequantizer

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class VariationalDequantizerImage(Dequantizer):
    name = "variational"

    def __init__(self, levels: int, image_shape: tuple[int, int, int], hidden: int = 32,
                 context: int = 16, couplings: int = 4):
        super().__init__()
        self.levels = int(levels)
        self.image_shape = tuple(int(s) for s in image_shape)
        c, h, w = self.image_shape
        self.context_net = nn.Sequential(
            nn.Conv2d(c, hidden, 3, padding=1), nn.SiLU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.SiLU(),
            nn.Conv2d(hidden, context, 3, padding=1),
        )
        self.affine = nn.Conv2d(context, 2 * c, 3, padding=1)
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)
        self.couplings = nn.ModuleList(
            AffineCoupling(checkerboard_mask(c, h, w, i % 2), hidden, context_channels=context)
            for i in range(couplings)
        )

    def context(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the discrete image, centred so that the CNN sees values in [-0.5, 0.5]."""
        return self.context_net(x.to(self.affine.weight.dtype) / (self.levels - 1) - 0.5)

    def transform(self, eps: torch.Tensor, ctx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Base noise -> (u, log r(u|x)) with log r summed per example."""
        log_r = (-0.5 * eps**2 - LOG_SQRT_2PI).flatten(1).sum(dim=1)
        shift, log_scale = self.affine(ctx).chunk(2, dim=1)
        z = shift + torch.exp(log_scale) * eps
        log_r = log_r - log_scale.flatten(1).sum(dim=1)
        for layer in self.couplings:
            z, log_det = layer(z, ctx)
            log_r = log_r - log_det
        u = torch.sigmoid(z)
        log_r = log_r - (F.logsigmoid(z) + F.logsigmoid(-z)).flatten(1).sum(dim=1)
        return u, log_r

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        eps = torch.randn(x.shape, generator=generator, device=x.device)
        return self.transform(eps, self.context(x))

    def inverse(self, u: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u -> (eps, log r(u|x)), exact (every step has a closed-form inverse)."""
        ctx = self.context(x)
        z = torch.logit(u)
        log_det = (F.logsigmoid(z) + F.logsigmoid(-z)).flatten(1).sum(dim=1)
        for layer in reversed(self.couplings):
            z, step_log_det = layer.inverse(z, ctx)
            log_det = log_det + step_log_det
        shift, log_scale = self.affine(ctx).chunk(2, dim=1)
        eps = (z - shift) * torch.exp(-log_scale)
        log_det = log_det + log_scale.flatten(1).sum(dim=1)
        return eps, (-0.5 * eps**2 - LOG_SQRT_2PI).flatten(1).sum(dim=1) - log_det

    def log_prob(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.inverse(u, x)[1]
