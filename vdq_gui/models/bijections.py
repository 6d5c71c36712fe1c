"""Flows as lists of small bijections (in the style of Flow++'s ``Compose`` and zuko's transforms).

Every step maps ``x`` to ``y`` and reports how it stretches space::

    y, log_det = step(x, cond)            # log_det = log|det dy/dx|
    x, log_det = step.inverse(y, cond)    # the same log_det, of the forward map at x

``cond`` carries what a conditional step depends on: a raw parameter tensor for the
1-D noise flow (one row of the per-bin table, sliced by :class:`Compose`), the context
features of a discrete image for the image noise flow, or nothing.

``event_dim`` says how many trailing axes form one event: 0 for elementwise steps, whose
``log_det`` has the shape of ``x``; 3 for image steps (C, H, W), whose ``log_det`` has
shape (B,).  A :class:`Compose` sums the log-determinants of lower-dimensional steps over
the extra axes, so an elementwise :class:`Sigmoid` can sit in an image flow.

A flow is then a list of steps, and its density follows from the change of variables:
log p_Y(y) = log p_X(x) - log|det dy/dx|.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class Bijection(nn.Module):
    """One invertible step with a tractable log-determinant.

    ``param_count``: how many entries of a flat parameter vector (the last axis of
    ``cond``) the step reads, for flows whose parameters come from one table (1-D noise
    flow); 0 for steps that take ``cond`` whole (or none).
    """

    event_dim = 0
    param_count = 0

    def forward(self, x: torch.Tensor, cond=None) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def inverse(self, y: torch.Tensor, cond=None) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


def sum_event(log_det: torch.Tensor, dims: int) -> torch.Tensor:
    """Sum a log-determinant over its last ``dims`` axes (an elementwise step inside a larger event)."""
    return log_det.flatten(-dims).sum(-1) if dims > 0 else log_det


class Compose(Bijection):
    """Steps applied in order; log-determinants add.

    ``cond`` is one object handed to every step (image flows: the context), a list with
    one entry per step, or, when ``split_params`` is set, a tensor whose last axis is cut
    into consecutive slices of each step's ``param_count`` (1-D noise flow: one row of
    the per-bin table).
    """

    def __init__(self, steps: Sequence[Bijection], event_dim: int | None = None, split_params: bool = False):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.event_dim = max((s.event_dim for s in steps), default=0) if event_dim is None else event_dim
        self.split_params = split_params
        self.param_count = sum(s.param_count for s in steps) if split_params else 0
        self._sizes = [s.param_count for s in steps]

    def _conds(self, cond) -> list:
        if isinstance(cond, (list, tuple)):
            if len(cond) != len(self.steps):
                raise ValueError(f"{len(cond)} conditions for {len(self.steps)} steps")
            return list(cond)
        if not self.split_params:
            return [cond] * len(self.steps)
        # One split (views, no copies): cheaper than slicing per step in a training step.
        pieces = iter(torch.split(cond, [n for n in self._sizes if n], dim=-1))
        return [next(pieces) if n else None for n in self._sizes]

    def forward(self, x, cond=None):
        return self._run(x, cond, record=False)[:2]

    def forward_steps(self, x, cond=None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """y and the log-determinant of every step, each summed to this flow's event."""
        y, _, parts = self._run(x, cond, record=True)
        return y, parts

    def _run(self, x, cond, record: bool):
        log_det, parts = None, []
        for step, c in zip(self.steps, self._conds(cond)):
            x, ld = step(x, c)
            ld = sum_event(ld, self.event_dim - step.event_dim)
            if record:
                parts.append(ld)
            log_det = ld if log_det is None else log_det + ld
        return x, log_det, parts

    def inverse(self, y, cond=None):
        log_det = None
        for step, c in zip(reversed(self.steps), reversed(self._conds(cond))):
            y, ld = step.inverse(y, c)
            ld = sum_event(ld, self.event_dim - step.event_dim)
            log_det = ld if log_det is None else log_det + ld
        return y, log_det


class Inverse(Bijection):
    """A step run backwards: y = b^{-1}(x), log|det| = -log|det| of b at y."""

    def __init__(self, step: Bijection):
        super().__init__()
        self.step = step
        self.event_dim, self.param_count = step.event_dim, step.param_count

    def forward(self, x, cond=None):
        y, log_det = self.step.inverse(x, cond)
        return y, -log_det

    def inverse(self, y, cond=None):
        x, log_det = self.step(y, cond)
        return x, -log_det


# -- elementwise steps ------------------------------------------------------------------
class Sigmoid(Bijection):
    """y = sigmoid(x), onto (0, 1); log dy/dx = log sigmoid(x) + log sigmoid(-x)."""

    def forward(self, x, cond=None):
        return torch.sigmoid(x), F.logsigmoid(x) + F.logsigmoid(-x)

    def inverse(self, y, cond=None):
        x = torch.logit(y)
        return x, F.logsigmoid(x) + F.logsigmoid(-x)


class Logit(Inverse):
    """y = logit(x) = log x - log(1 - x) for x in (0, 1); log dy/dx = -log x - log(1 - x)."""

    def __init__(self):
        super().__init__(Sigmoid())

    def forward(self, x, cond=None):
        # Directly from x: logit(sigmoid(.)) would lose the digits of x near 0 and 1.
        log_x, log_1mx = torch.log(x), torch.log1p(-x)
        return log_x - log_1mx, -(log_x + log_1mx)


def soft_clamp(value: torch.Tensor, bound: float) -> torch.Tensor:
    """bound * tanh(value / bound): within +-bound, the identity near 0."""
    return bound * torch.tanh(value / bound)


class Affine(Bijection):
    """y = shift + exp(log_scale) * x, elementwise.

    Fixed (``shift``/``log_scale`` numbers) or conditional: ``cond`` holds the raw pair,
    on its last axis (1-D tables, ``param_axis=-1``) or as the two halves of the channel
    axis (image feature maps, ``param_axis=1``).  ``bound`` soft-clamps the log-scale:
    stacked exp-scales otherwise push u onto exactly 0 or 1 in float32.
    """

    def __init__(self, shift: float | None = None, log_scale: float | None = None,
                 param_axis: int = -1, bound: float | None = None):
        super().__init__()
        self.fixed = shift is not None
        if self.fixed:
            self.shift, self.log_scale = float(shift), float(log_scale or 0.0)
        self.param_axis, self.bound = param_axis, bound
        self.param_count = 0 if self.fixed or param_axis != -1 else 2

    def _shift_log_scale(self, x, cond):
        if self.fixed:
            return self.shift, torch.full_like(x, self.log_scale)
        if self.param_axis == -1:
            shift, log_scale = cond[..., 0], cond[..., 1]
        else:
            shift, log_scale = cond.chunk(2, dim=self.param_axis)
        return shift, (log_scale if self.bound is None else soft_clamp(log_scale, self.bound))

    def forward(self, x, cond=None):
        shift, log_scale = self._shift_log_scale(x, cond)
        return shift + torch.exp(log_scale) * x, log_scale

    def inverse(self, y, cond=None):
        shift, log_scale = self._shift_log_scale(y, cond)
        return (y - shift) * torch.exp(-log_scale), log_scale


class MixtureLogisticLogit(Bijection):
    """y = logit(sum_k pi_k sigmoid((x - mu_k) / s_k)): Flow++'s MixLogisticCDF followed by
    the logit, fused so that y stays exact in both tails (log CDF and log(1 - CDF) are
    computed apart).  ``cond`` (..., 3m) = (mixture logits, means, log-scales).

    With all m components at mean 0 and scale 1 the step is the identity.  The inverse has
    no closed form: bisection on a bracket that always holds the root.
    """

    def __init__(self, components: int):
        super().__init__()
        self.components = int(components)
        self.param_count = 3 * self.components

    def _unpack(self, cond):
        log_w, means, log_scales = cond.chunk(3, dim=-1)
        return torch.log_softmax(log_w, dim=-1), means, log_scales

    def forward(self, x, cond=None):
        return _mixture_logit(x, *self._unpack(cond))

    @torch.no_grad()
    def _solve(self, y, log_w, means, log_scales, iterations: int = 100):
        # At x = max_k(mu_k + s_k y) every component's CDF is >= sigmoid(y), so the
        # mixture's logit is >= y there; symmetrically at the min.  The root lies between.
        candidates = means + torch.exp(log_scales) * y.unsqueeze(-1)
        lo, hi = candidates.min(dim=-1).values, candidates.max(dim=-1).values
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            above = _mixture_logit(mid, log_w, means, log_scales)[0] > y
            hi = torch.where(above, mid, hi)
            lo = torch.where(above, lo, mid)
        return 0.5 * (lo + hi)

    def inverse(self, y, cond=None):
        params = self._unpack(cond)
        x = self._solve(y, *params)
        return x, _mixture_logit(x, *params)[1]


def _mixture_logit(x, log_w, means, log_scales):
    """logit(MixLogisticCDF(x)) and its log-derivative (the mixture pdf over CDF (1 - CDF))."""
    inv_scales = torch.exp(-log_scales)
    t = (x.unsqueeze(-1) - means) * inv_scales
    log_sig, log_sig_neg = F.logsigmoid(t), F.logsigmoid(-t)
    log_cdf = torch.logsumexp(log_w + log_sig, dim=-1)
    log_sf = torch.logsumexp(log_w + log_sig_neg, dim=-1)
    # The logistic pdf is sigmoid(t) sigmoid(-t) / s: reuse both logs.
    log_pdf = torch.logsumexp(log_w + log_sig + log_sig_neg - log_scales, dim=-1)
    return log_cdf - log_sf, log_pdf - log_cdf - log_sf


# -- base distributions -----------------------------------------------------------------
class LogisticBase:
    """The standard logistic: sigmoid of it is U(0, 1), so a flow that is the identity
    followed by a sigmoid *is* uniform dequantization."""

    name = "logistic"

    @staticmethod
    def log_prob(eps: torch.Tensor) -> torch.Tensor:
        return F.logsigmoid(eps) + F.logsigmoid(-eps)

    @staticmethod
    def sample(shape, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
        # logit of a uniform draw on [tiny, 1), so that the logit stays finite.
        v = torch.empty(shape, device=device, dtype=dtype).uniform_(torch.finfo(dtype).tiny, 1.0, generator=generator)
        return torch.logit(v)

    @staticmethod
    def icdf(v: torch.Tensor) -> torch.Tensor:
        return torch.logit(v)

    @staticmethod
    def from_logit(s: torch.Tensor) -> torch.Tensor:
        """F^-1(sigmoid(s)): the base variable whose CDF coordinate has logit s."""
        return s


class NormalBase:
    """The standard normal."""

    name = "normal"
    LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

    @staticmethod
    def log_prob(eps: torch.Tensor) -> torch.Tensor:
        return -0.5 * eps**2 - NormalBase.LOG_SQRT_2PI

    @staticmethod
    def sample(shape, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
        return torch.randn(shape, generator=generator, device=device, dtype=dtype)

    @staticmethod
    def icdf(v: torch.Tensor) -> torch.Tensor:
        return torch.special.ndtri(v)

    @staticmethod
    def from_logit(s: torch.Tensor) -> torch.Tensor:
        """F^-1(sigmoid(s)), from the smaller tail on each side (no cancellation near v = 1)."""
        return torch.where(s > 0, -torch.special.ndtri(torch.sigmoid(-s)), torch.special.ndtri(torch.sigmoid(s)))

    @staticmethod
    def cdf(eps: torch.Tensor) -> torch.Tensor:
        return torch.special.ndtr(eps)

    @staticmethod
    def from_tails(lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
        """F^-1(v) from v = ``lower`` and 1 - v = ``upper``, reading the smaller one."""
        return torch.where(lower < 0.5, torch.special.ndtri(lower), -torch.special.ndtri(upper))
