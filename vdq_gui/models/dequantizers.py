"""Dequantizers: the noise distribution r(u | x) on [0, 1)^D added to each discrete x,
and their registry ``DEQUANTIZERS`` / ``make_dequantizer``.

All share one interface (``vdq_gui.models.dequantizer_base``)::

    u, log_r = dequantizer(x, generator)   # reparameterised sample and log r(u|x)

Training maximises E_r[log q(x+u) - log r(u|x)], a lower bound on log P(x)
whose gap is KL(r(u|x) || q(u|x)).

- ``none``: u = 0.  q is fitted on the integer points themselves.  This is *not* a
  bound on log P(x) (q is a density, not a probability), and q collapses into spikes.
- ``uniform``: u ~ U(0,1), log r = 0 (Theis et al. 2016).
- ``variational``: r is a conditional flow (Flow++, Ho et al. 2019): base noise, flow
  layers whose parameters depend on x, then a sigmoid onto (0, 1).  See
  ``noiseflow1d`` and ``noiseflow_image`` for the two conditional flows.
- ``logit-normal``: u = sigmoid(mu(x) + sigma(x) eps), one (mu, sigma) per level
  (Hoogeboom et al. 2020); see ``logitnormal``.
"""

from __future__ import annotations

import torch

from vdq_gui.models.dequantizer_base import Dequantizer
from vdq_gui.models.logitnormal import LogitNormalDequantizer
from vdq_gui.models.names import DEQUANTIZERS
from vdq_gui.models.noiseflow1d import VariationalDequantizer1D
from vdq_gui.models.noiseflow_image import VariationalDequantizerImage

__all__ = ["DEQUANTIZERS", "Dequantizer", "make_dequantizer"]


class NoDequantizer(Dequantizer):
    """u = 0: the model sees the integer points (shows the spike collapse)."""

    name = "none"
    is_bound = False

    def forward(self, x, generator=None):
        u = torch.zeros(x.shape, dtype=torch.float32, device=x.device)
        return u, torch.zeros(x.shape[0], device=x.device)


class UniformDequantizer(Dequantizer):
    """u ~ U(0, 1) independently per dimension; log r(u|x) = 0."""

    name = "uniform"

    def forward(self, x, generator=None):
        u = torch.rand(x.shape, generator=generator, device=x.device)
        return u, torch.zeros(x.shape[0], device=x.device)

    def log_prob(self, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        inside = ((u >= 0) & (u < 1)).reshape(u.shape[0], -1).all(dim=1)
        return torch.where(inside, torch.zeros(u.shape[0]), torch.full((u.shape[0],), -torch.inf))


def make_dequantizer(name: str, kind: str, levels: int, image_shape=None, **sizes) -> Dequantizer:
    """Build the dequantizer ``name`` for 1-D (``kind == "1d"``) or image data."""
    if name == "none":
        return NoDequantizer()
    if name == "uniform":
        return UniformDequantizer()
    if name == "logit-normal":
        return LogitNormalDequantizer(levels)
    if name == "variational":
        if kind == "1d":
            return VariationalDequantizer1D(levels, **sizes)
        return VariationalDequantizerImage(levels, image_shape, **sizes)
    raise ValueError(f"unknown dequantizer {name!r}; choose one of {', '.join(DEQUANTIZERS)}")
