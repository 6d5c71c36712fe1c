"""Variational dequantization for images: r(u | x) is a flow conditioned on the whole image.

As in Flow++ (Ho et al. 2019), a small CNN reads the discrete image x and produces
context features; every step of the noise flow sees them, so the noise of each pixel
depends on its neighbourhood, not only on its own value:

    eps ~ Logistic(0, 1)^D                 shape of the image
    z   = m(ctx) + exp(l(ctx)) * eps       Affine (conditional, elementwise)
    z   = checkerboard couplings(z; ctx)   AffineCoupling, alternating parity
    u   = sigmoid(z)                       Sigmoid, onto (0, 1)^D

a list of bijections (``vdq_gui.models.bijections``).  The affine map and every coupling
start as the identity (zero last layers), and the sigmoid of a logistic variable is
uniform: r starts as exactly U(0, 1)^D, the uniform dequantizer.
"""

from __future__ import annotations

import torch
from torch import nn

from vdq_gui.models.bijections import Affine, Compose, LogisticBase, Sigmoid
from vdq_gui.models.coupling import AffineCoupling, checkerboard_mask
from vdq_gui.models.dequantizer_base import Dequantizer


class VariationalDequantizerImage(Dequantizer):
    name = "variational"
    base = LogisticBase

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
        # The affine step's (shift, log-scale) maps, read from the context (zero at the start).
        self.affine = nn.Conv2d(context, 2 * c, 3, padding=1)
        nn.init.zeros_(self.affine.weight)
        nn.init.zeros_(self.affine.bias)
        self.flow = Compose([
            Affine(param_axis=1),
            *(AffineCoupling(checkerboard_mask(c, h, w, i % 2), hidden, context_channels=context)
              for i in range(couplings)),
            Sigmoid(),
        ], event_dim=3)

    @property
    def couplings(self) -> list[AffineCoupling]:
        return list(self.flow.steps[1:-1])

    def _conds(self, ctx: torch.Tensor) -> list[torch.Tensor]:
        """What each step reads: its (shift, log-scale) maps for the affine step, the context
        for the couplings, nothing for the sigmoid."""
        return [self.affine(ctx)] + [ctx] * (len(self.flow.steps) - 2) + [None]

    def context(self, x: torch.Tensor) -> torch.Tensor:
        """Features of the discrete image, centred so that the CNN sees values in [-0.5, 0.5]."""
        return self.context_net(x.to(self.affine.weight.dtype) / (self.levels - 1) - 0.5)

    def _conds(self, ctx: torch.Tensor) -> list[torch.Tensor]:
        """What each step reads: the affine maps for the first, the context for the couplings."""
        return [self.affine(ctx)] + [ctx] * (len(self.flow.steps) - 1)

    def transform(self, eps: torch.Tensor, ctx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Base noise -> (u, log r(u|x)) with log r summed per example."""
        u, log_det = self.flow(eps, self._conds(ctx))
        return u, self.base.log_prob(eps).flatten(1).sum(dim=1) - log_det

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        eps = self.base.sample(x.shape, generator, x.device, self.affine.weight.dtype)
        return self.transform(eps, self.context(x))

    def inverse(self, u: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """u -> (eps, log r(u|x)), exact (every step has a closed-form inverse)."""
        eps, log_det = self.flow.inverse(u, self._conds(self.context(x)))
        return eps, self.base.log_prob(eps).flatten(1).sum(dim=1) - log_det

    def log_prob(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.inverse(u, x)[1]
