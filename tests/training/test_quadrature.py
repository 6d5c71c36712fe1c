"""The per-bin expectations over r are exact to below 1e-5 bits (issue 11, item 3): the
tanh-sinh rule of ``bin_bounds_1d`` against a dense grid and a Monte-Carlo estimate, on
a trained r, on deliberately sharp r's, and on the logit-normal r."""

import math

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import make_dequantizer
from vdq_gui.training.inspect import snapshot_nodes
from vdq_gui.training.objective import bin_bounds_1d, negative_bound
from vdq_gui.training.trainer import TrainConfig, Trainer

LN2 = math.log(2.0)
TOLERANCE_BITS = 1e-5


@torch.no_grad()
def dense_grid_gaps(density, dequantizer, levels):
    """Gap per bin in bits by the trapezoid rule over the base variable on a fine grid."""
    span = 40.0 if dequantizer.base.name == "logistic" else 12.0
    eps = torch.linspace(-span, span, 40001, dtype=torch.float64)
    weight = torch.exp(dequantizer.base.log_prob(eps))
    u, log_r = dequantizer.transform(eps.unsqueeze(0), dequantizer.bin_params().unsqueeze(1))
    x = torch.arange(levels, dtype=torch.float64).unsqueeze(1)
    integrand = torch.where(weight > 0, (density.log_prob(x + u) - log_r) * weight, torch.zeros(()))
    bound = torch.trapezoid(integrand, eps, dim=1) / torch.trapezoid(weight, eps)
    return (density.log_mass_all() - bound) / LN2


def _trained(name, steps=300):
    from vdq_gui.data import load_data

    trainer = Trainer(load_data("builtin:bimodal"), TrainConfig(dequantizer=name, seed=1))
    trainer.run(steps)
    return trainer.density.double(), trainer.dequantizer.double(), trainer.data.levels


def _sharp(name, scale, seed):
    levels = 12
    density = randomise(LogisticMixture1D(levels, components=6), scale=0.2, seed=seed)
    dequantizer = randomise(make_dequantizer(name, "1d", levels), scale=scale, seed=seed + 1)
    return density, dequantizer, levels


def _narrow_variational(log_scales, shift):
    """A flow whose noise is one narrow bump in every bin: the affine steps' log-scales
    (soft-clamped at -3 each) stacked, the mixture steps left at the identity."""
    density, dequantizer, levels = _sharp("variational", 0.0, 11)
    with torch.no_grad():
        last = dequantizer.net[-1]
        last.weight.zero_()
        last.bias.zero_()
        dequantizer.gate.fill_(1.0)
        offsets = [0] + [2 + (i + 1) * (3 * dequantizer.components + 2) - 2 for i in range(dequantizer.layers)]
        for offset, log_scale in zip(offsets, log_scales):
            last.bias[offset + 1] = log_scale
        last.bias[0] = shift
    return density, dequantizer, levels


def _widest_logit_normal():
    density, dequantizer, levels = _sharp("logit-normal", 1.0, 9)
    with torch.no_grad():
        dequantizer.table[:, 1] = 20.0  # sigma at its clamp (20): r piles up at both ends of the bin
    return density, dequantizer, levels


CASES = {
    "trained variational": lambda: _trained("variational"),
    "trained logit-normal": lambda: _trained("logit-normal"),
    "random variational": lambda: _sharp("variational", 0.15, 3),
    "narrow variational (u std 0.01)": lambda: _narrow_variational([-20.0], 1.5),
    "narrowest variational (u std 6e-5)": lambda: _narrow_variational([-20.0, -20.0, -20.0], -2.0),
    "sharp logit-normal": lambda: _sharp("logit-normal", 2.0, 7),
    "widest logit-normal": _widest_logit_normal,
}


@pytest.fixture(scope="module", params=sorted(CASES))
def models(request):
    torch.manual_seed(0)
    density, dequantizer, levels = CASES[request.param]()
    return density, dequantizer, levels, dense_grid_gaps(density, dequantizer, levels)


@pytest.mark.parametrize("nodes", ["snapshot at K=256", 128])
def test_quadrature_matches_a_dense_grid_in_every_bin(models, nodes):
    density, dequantizer, levels, reference = models
    nodes = snapshot_nodes(256, dequantizer) if isinstance(nodes, str) else nodes
    gaps = bin_bounds_1d(density, dequantizer, levels, nodes=nodes)["gap"] / LN2
    assert (gaps - reference).abs().max().item() < TOLERANCE_BITS
    assert (gaps >= -TOLERANCE_BITS).all(), "a KL is never negative beyond the quadrature's error"


def test_quadrature_in_float32_is_as_exact(models):
    density, dequantizer, levels, reference = models
    gaps = bin_bounds_1d(density.float(), dequantizer.float(), levels, nodes=snapshot_nodes(256, dequantizer))
    gaps = gaps["gap"] / LN2
    density.double(), dequantizer.double()
    assert (gaps.double() - reference).abs().max().item() < TOLERANCE_BITS


def test_quadrature_matches_monte_carlo(models):
    density, dequantizer, levels, _ = models
    bins = [0, levels // 2, levels - 1]
    x = torch.tensor(bins).repeat_interleave(100_000)
    with torch.no_grad():
        per_example = -negative_bound(density, dequantizer, x, torch.Generator().manual_seed(0)).per_example
    mc = per_example.reshape(len(bins), -1)
    bound = bin_bounds_1d(density, dequantizer, levels)["bound"][bins]
    standard_error = mc.std(dim=1) / math.sqrt(mc.shape[1])
    assert ((mc.mean(dim=1) - bound).abs() <= 4 * standard_error + 1e-9).all()
