"""The dequantization bound, in bits per dimension, with its terms kept apart.

    log P(x) >= E_{u ~ r(u|x)} [ log q(x + u) - log r(u|x) ]

Positions are in level units (x + u in [0, K]), so for 8-bit images with K = 256 the
numbers are the usual bits/dim.  A *negative* bound in bits/dim is what we minimise:

    bound_bpd = -log q(x+u) / (D ln 2)  +  log r(u|x) / (D ln 2)
                '----- log_q_bpd -----'    '---- log_r_bpd ----'

log r >= 0 on average (a density on the unit cube has entropy <= 0, uniform being 0),
so the noise term always costs bits: it is the price of the noise being learned.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from vdq_gui.training.config import OBJECTIVES, R_OBJECTIVES  # noqa: F401 (re-exported)

LN2 = math.log(2.0)
QUADRATURE_NODES = 256  # nodes per bin for 1-D expectations over r


@dataclass
class BoundResult:
    """One Monte-Carlo estimate of the bound on a batch.

    loss: the mean negative bound in bits/dim (a scalar tensor with gradient);
    per_example: the negative bound of each example in nats, shape (B,), detached;
    terms: named terms in bits/dim (floats) whose sum is the bound: ``log_q_bpd``
        (= -E log q(x+u)/(D ln2), itself split into ``<name>_bpd`` parts for image
        flows: flow, logit, scale) and ``log_r_bpd`` (= E log r(u|x)/(D ln2)).
    """

    loss: torch.Tensor
    per_example: torch.Tensor
    terms: dict[str, float]


def dims_of(x: torch.Tensor) -> int:
    """Dimensions D of one example: 1 for 1-D data, C*H*W for images."""
    return int(math.prod(x.shape[1:])) if x.dim() > 1 else 1


def negative_bound(density, dequantizer, x: torch.Tensor, generator: torch.Generator | None = None) -> BoundResult:
    """Draw u ~ r(u|x) once per example and evaluate -[log q(x+u) - log r(u|x)]."""
    u, log_r = dequantizer(x, generator)
    parts = density.log_prob_terms(x.to(u.dtype) + u)
    # One part (1-D): use it as is; sum() would add a tensor op (0 + t) to every step.
    log_q = next(iter(parts.values())) if len(parts) == 1 else sum(parts.values())
    per_example = log_r - log_q
    scale = 1.0 / (dims_of(x) * LN2)
    loss = per_example.mean() * scale
    terms = {"log_q_bpd": float(-log_q.mean().detach()) * scale, "log_r_bpd": float(log_r.mean().detach()) * scale}
    if len(parts) > 1:
        for name, value in parts.items():
            terms[f"{name}_bpd"] = float(-value.mean().detach()) * scale
    return BoundResult(loss, per_example.detach(), terms)


@torch.no_grad()
def importance_weighted_log_likelihood(density, dequantizer, x: torch.Tensor, samples: int,
                                       generator: torch.Generator | None = None, chunk: int = 4096) -> torch.Tensor:
    """IW bound per example (nats): log (1/M) sum_m q(x + u_m) / r(u_m | x), u_m ~ r.

    M = 1 is the ordinary bound; it tightens towards log P(x) as M grows (Burda et al.).
    Examples are processed in chunks of about ``chunk`` draws to bound memory.
    """
    samples = int(samples)
    if samples < 1:
        raise ValueError("the importance-weighted bound needs at least one sample")
    per_chunk = max(1, chunk // samples)
    results = []
    for start in range(0, x.shape[0], per_chunk):
        xs = x[start : start + per_chunk]
        repeated = xs.repeat_interleave(samples, dim=0)
        u, log_r = dequantizer(repeated, generator)
        log_w = (density.log_prob(repeated.to(u.dtype) + u) - log_r).reshape(xs.shape[0], samples)
        results.append(torch.logsumexp(log_w, dim=1) - math.log(samples))
    return torch.cat(results)


def nats_to_bpd(nats_per_example: torch.Tensor | float, dims: int) -> float:
    """Mean nats per example -> bits per dimension."""
    value = nats_per_example.mean().item() if isinstance(nats_per_example, torch.Tensor) else float(nats_per_example)
    return value / (dims * LN2)


# -- 1-D: the bound's expectation by quadrature ------------------------------------------
# Every 1-D dequantizer is u = T_x(eps) with a monotone T_x and a base variable eps of
# CDF F; in the CDF coordinate v = F(eps) in (0, 1), E_r[f(u)] = int_0^1 f(T_x(F^-1(v))) dv.
# The integrand has logarithmic singularities at v = 0 and 1 (r's tails: log r -> -inf),
# which cost Gauss-Legendre on v two orders of accuracy (3e-5 bits with 48 nodes on a
# trained r).  The tanh-sinh rule (Takahasi & Mori 1974) is built for exactly that: with
# v = sigmoid(pi sinh t) and the trapezoid rule in t it converges double-exponentially
# (1e-10 bits with 32 nodes, measured against a 40001-node reference; see the tests).
# For the logistic base F^-1(v) = logit(v) = pi sinh t: the nodes are plain numbers.
QUADRATURE_NODES = 128  # nodes per bin for evaluations (the window's snapshots use fewer)
TANH_SINH_RANGE = 3.0  # |t| <= 3: the outermost weights are ~1e-13, the tails' share below that


@functools.lru_cache(maxsize=16)
def tanh_sinh_nodes(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """(s, w): nodes s = logit(v) = pi sinh(t) and weights (summing to 1) of the tanh-sinh
    rule for int_0^1 g(v) dv, in float64."""
    if nodes < 3:
        raise ValueError("the tanh-sinh rule needs at least 3 nodes")
    t = np.linspace(-TANH_SINH_RANGE, TANH_SINH_RANGE, nodes)
    s = math.pi * np.sinh(t)
    # dv/dt = sigmoid'(s) * pi cosh t, with sigmoid'(s) = 1 / (2 + 2 cosh s).
    weights = (t[1] - t[0]) * math.pi * np.cosh(t) / (2.0 + 2.0 * np.cosh(s))
    return s, weights / weights.sum()


def noise_nodes_1d(dequantizer, levels: int, nodes: int = QUADRATURE_NODES, dtype=torch.float32):
    """Quadrature nodes of r(u|x) for every bin: (u, log r), each (K, n), and the weights (n,).

    ``none`` puts all mass at u = 0 (log r is reported as 0: there is no density).
    """
    s, w = tanh_sinh_nodes(int(nodes))
    weights = torch.from_numpy(w).to(dtype)
    zeros = torch.zeros(levels, nodes, dtype=dtype)
    if dequantizer.name == "none":
        return zeros, zeros, weights
    if dequantizer.name == "uniform":
        return torch.sigmoid(torch.from_numpy(s)).to(dtype).expand(levels, nodes), zeros, weights
    param_dtype = next(dequantizer.parameters()).dtype
    split = getattr(dequantizer, "quadrature_split", None)
    if split is None:
        eps = dequantizer.base.from_logit(torch.from_numpy(s)).to(param_dtype).unsqueeze(0)
    else:
        # The integrand has a kink where the noise crosses u = 1/2 (log r holds -log u(1-u)),
        # as sharp as r is wide: one tanh-sinh panel on each side of it, n/2 nodes each.
        eps, weights = _split_nodes(dequantizer.base, split().detach().double(), nodes)
        eps, weights = eps.to(param_dtype), weights.to(dtype)
    u, log_r = dequantizer.transform(eps, dequantizer.bin_params().unsqueeze(1))
    return u, log_r, weights


def _split_nodes(base, eps_split: torch.Tensor, nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-bin nodes (K, n) and weights (K, n): tanh-sinh on [0, v*] and on [v*, 1] in the CDF
    coordinate, v* = F(eps_split).  Both tails of every v are kept without cancellation."""
    s, w = (torch.from_numpy(a) for a in tanh_sinh_nodes(max(3, nodes // 2)))
    below, above = base.cdf(eps_split).unsqueeze(1), base.cdf(-eps_split).unsqueeze(1)  # v*, 1 - v*
    sig, sig_neg = torch.sigmoid(s), torch.sigmoid(-s)
    # Lower panel v = v* sig(s): 1 - v = (1 - v*) + v* sig(-s).  Upper: v = v* + (1 - v*) sig(s).
    lower = base.from_tails(below * sig, above + below * sig_neg)
    upper = base.from_tails(below + above * sig, above * sig_neg)
    return torch.cat([lower, upper], dim=1), torch.cat([below * w, above * w], dim=1)


@torch.no_grad()
def bin_bounds_1d(density, dequantizer, levels: int, nodes: int = QUADRATURE_NODES) -> dict[str, torch.Tensor]:
    """Per-bin expected bound terms in nats, each of shape (K,).

    ``bound`` = E_r[log q(x+u) - log r(u|x)], ``log_mass`` = exact log P(x),
    ``gap`` = log_mass - bound = KL(r(.|x) || q(.|x)) (only a KL when r is a density);
    also the nodes ``u``, ``log_r``, ``log_q`` (K, n) and ``weights`` of the quadrature.
    """
    dtype = next(density.parameters()).dtype
    u, log_r, weights = noise_nodes_1d(dequantizer, levels, nodes, dtype)
    x = torch.arange(levels, dtype=dtype).unsqueeze(1)
    log_q = density.log_prob(x + u)
    bound = ((log_q - log_r) * weights).sum(dim=1)
    log_mass = density.log_mass_all()
    return {"bound": bound, "log_mass": log_mass, "gap": log_mass - bound, "u": u, "log_r": log_r,
            "log_q": log_q, "weights": weights}


def expected_bound_bpd_1d(density, dequantizer, x: torch.Tensor, levels: int) -> tuple[float, float]:
    """(bound, exact) in bits/dim over examples ``x``: the bound's expectation by quadrature."""
    terms = bin_bounds_1d(density, dequantizer, levels)
    return (-terms["bound"][x].mean().item() / LN2, -terms["log_mass"][x].mean().item() / LN2)


# -- training objectives: ELBO, importance-weighted, Renyi-alpha ----------------------------
# (Burda et al. 2016; Li & Turner 2016; Hoogeboom, Cohen & Tomczak 2020 train dequantizers
# on all three.)  With M samples u_m ~ r(u|x) and log weights log w_m = log q(x+u_m) - log r(u_m|x):
#
#     ELBO   (1/M) sum_m log w_m
#     IW-M   log (1/M) sum_m w_m                                  (alpha = 0)
#     Renyi  1/(1-alpha) log (1/M) sum_m w_m^(1-alpha)            (0 < alpha < 1)
#
# and ELBO <= Renyi-alpha <= IW-M <= log P(x) in expectation (Renyi decreases in alpha).
# The names (OBJECTIVES, and R_OBJECTIVES for how r is trained in 1-D) live in the
# torch-free training/config.py, so that the window can offer them before torch loads.


def uses_path_derivative(dequantizer) -> bool:
    """Whether the dequantizer's gradients leave out the score term d log r/d theta at fixed u
    (the 1-D flow does; see vdq_gui.models.noiseflow1d).  Then an importance-weighted
    objective needs the doubly-reparameterised weights below to stay unbiased."""
    flag = getattr(dequantizer, "path_derivative", None)
    if flag is not None:
        return bool(flag)
    # Until the dequantizers declare it themselves: both of these use it.
    return type(dequantizer).__name__ in ("VariationalDequantizer1D", "LogitNormalDequantizer")


def log_weights(density, dequantizer, x: torch.Tensor, samples: int,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(log w, log q(x+u), u + x) for ``samples`` draws per example, each (B, M) [or (B*M, ...) for y]."""
    repeated = x.repeat_interleave(samples, dim=0) if samples > 1 else x
    u, log_r = dequantizer(repeated, generator)
    y = repeated.to(u.dtype) + u
    parts = density.log_prob_terms(y)
    log_q = next(iter(parts.values())) if len(parts) == 1 else sum(parts.values())
    shape = (x.shape[0], samples)
    return (log_q - log_r).reshape(shape), log_q.reshape(shape), y


def training_objective(density, dequantizer, x: torch.Tensor, objective: str = "elbo", samples: int = 1,
                       alpha: float = 0.5, generator: torch.Generator | None = None) -> BoundResult:
    """The negative training objective in bits/dim, with a gradient that is right for it.

    ``loss``'s *value* is the negative objective (its Monte-Carlo estimate on the batch);
    its gradient is

        q:  sum_m w~_m d log q(x+u_m)           w~ = softmax((1-alpha) log w)   (alpha = 0: IW)
        r:  sum_m v_m  d_path log w_m           v = alpha w~ + (1-alpha) w~^2

    for a path-derivative r (the doubly-reparameterised estimator of Tucker et al. 2019,
    extended to Renyi-alpha: the score term's expectation is moved onto the path through
    w~), and v = w~ (plain reparameterisation, unbiased) otherwise.  ELBO: w~ = v = 1/M.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    samples = int(samples)
    if objective == "elbo" and samples == 1:
        return negative_bound(density, dequantizer, x, generator)
    log_w, log_q, y = log_weights(density, dequantizer, x, samples, generator)
    scale = 1.0 / (dims_of(x) * LN2)
    log_r = log_q - log_w
    terms = {"log_q_bpd": float(-log_q.mean().detach()) * scale, "log_r_bpd": float(log_r.mean().detach()) * scale}
    if objective == "elbo":
        per_example = -log_w.mean(dim=1)
        return BoundResult(per_example.mean() * scale, per_example.detach(), terms)
    a = 0.0 if objective == "iw" else float(alpha)
    tempered = (1.0 - a) * log_w
    value = (torch.logsumexp(tempered, dim=1) - math.log(samples)) / (1.0 - a)  # the objective, (B,)
    weights = torch.softmax(tempered.detach(), dim=1)
    if uses_path_derivative(dequantizer):
        r_weights = a * weights + (1.0 - a) * weights**2
        # q's gradient must keep the weights w~: add (w~ - v) d log q with u held fixed.
        y_fixed = y.detach()
        parts = density.log_prob_terms(y_fixed)
        log_q_fixed = (next(iter(parts.values())) if len(parts) == 1 else sum(parts.values())).reshape(log_w.shape)
        surrogate = (r_weights * log_w).sum(dim=1) + ((weights - r_weights) * log_q_fixed).sum(dim=1)
    else:
        surrogate = (weights * log_w).sum(dim=1)
    # Value of the objective, gradient of the surrogate (only).
    per_example = -value.detach()
    loss = (per_example.mean() - (surrogate - surrogate.detach()).mean()) * scale
    return BoundResult(loss, per_example.detach(), terms)


def all_bins_r_loss(density, dequantizer, levels: int, per_bin: int,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """mean over all K bins of E_r[log r(u|x) - log q(x+u)] in bits, with q held fixed.

    Its gradient reaches r only; it equals mean_x KL(r(.|x) || q(.|x)) - mean_x log P(x), so
    r is pulled towards the exact posterior q(u|x) in every bin, also in bins that the
    training split never shows (there the data term gives r no gradient at all).
    """
    x = torch.arange(levels).repeat(int(per_bin))
    u, log_r = dequantizer(x, generator)
    flags = [p.requires_grad for p in density.parameters()]
    try:
        for p in density.parameters():
            p.requires_grad_(False)  # q fixed: the graph reaches q's parameters not at all
        log_q = density.log_prob(x.to(u.dtype) + u)
    finally:
        for p, flag in zip(density.parameters(), flags):
            p.requires_grad_(flag)
    return (log_r - log_q).mean() / LN2


def r_samples_per_bin(levels: int, batch_size: int) -> int:
    """Draws per bin for the all-bins term: about one batch in all, 1..16 per bin."""
    return int(min(16, max(1, batch_size // levels)))
