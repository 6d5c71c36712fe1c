"""The interface every dequantizer r(u | x) shares (its own module, so that the noise
flows and the registry in ``dequantizers`` can both import it without a circle)::

    u, log_r = dequantizer(x, generator)   # reparameterised sample and log r(u|x)

``x`` is a LongTensor of levels (shape (B,) for 1-D, (B, C, H, W) for images); ``u`` has
the same shape as float; ``log_r`` has shape (B,), summed over the dimensions of one
example.

Learned 1-D dequantizers whose noise in bin x is u = T_x(eps) for a monotone T_x and a
base variable eps also provide ``base`` (with ``icdf``), ``bin_params()`` (a (K, P)
table) and ``transform(eps, params) -> (u, log r)``: the exact per-bin expectations of
``vdq_gui.training.objective`` are taken by quadrature through them.
"""

from __future__ import annotations

import torch
from torch import nn


class Dequantizer(nn.Module):
    """Base class.  ``is_bound`` says whether E[log q - log r] bounds log P(x)."""

    name = "base"
    is_bound = True

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        raise NotImplementedError
