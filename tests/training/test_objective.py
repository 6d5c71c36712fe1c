"""The bounds are tested as maths: bound <= IW bound <= exact log P(x), per bin."""

import math

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import NoDequantizer, UniformDequantizer, make_dequantizer
from vdq_gui.models.imageflow import ImageFlow
from vdq_gui.training.objective import bin_bounds_1d, importance_weighted_log_likelihood, negative_bound

LEVELS = 10


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def _models(name):
    density = randomise(LogisticMixture1D(LEVELS, components=5), scale=0.4, seed=1)
    dequantizer = make_dequantizer(name, "1d", LEVELS)
    if name == "variational":
        randomise(dequantizer, scale=0.15, seed=2)
    return density, dequantizer.double()


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_bound_below_iw_bound_below_exact_for_every_bin(name):
    density, dequantizer = _models(name)
    with torch.no_grad():
        per_bin = bin_bounds_1d(density, dequantizer, LEVELS, nodes=2048)
        x = torch.arange(LEVELS).repeat_interleave(400)
        generator = torch.Generator().manual_seed(3)
        iw = importance_weighted_log_likelihood(density, dequantizer, x, 32, generator).reshape(LEVELS, 400)
    iw_mean, iw_err = iw.mean(dim=1), 4 * iw.std(dim=1) / math.sqrt(400) + 1e-9
    assert (per_bin["gap"] >= -1e-9).all(), "a KL is never negative"
    assert (per_bin["bound"] <= iw_mean + iw_err).all()
    assert (iw_mean <= per_bin["log_mass"] + iw_err).all()
    # The IW bound really tightens the ordinary one where there is a gap to close.
    assert (iw_mean - per_bin["bound"]).sum() > 0


def test_quadrature_bound_equals_monte_carlo_bound():
    density, dequantizer = _models("variational")
    x = torch.full((20000,), 3)
    with torch.no_grad():
        mc = -negative_bound(density, dequantizer, x, torch.Generator().manual_seed(0)).per_example
        quadrature = bin_bounds_1d(density, dequantizer, LEVELS, nodes=2048)["bound"][3]
    assert mc.mean().item() == pytest.approx(quadrature.item(), abs=4 * mc.std().item() / math.sqrt(x.numel()))


def test_uniform_gap_is_the_kl_from_uniform_to_the_posterior():
    # KL(U || q(u|x)) = -integral of log q(u|x) du, computed here on a fine grid.
    density, dequantizer = _models("uniform")
    u = (torch.arange(20000, dtype=torch.float64) + 0.5) / 20000
    x = 6
    log_post = density.log_prob(x + u) - density.log_mass(torch.tensor([x]))
    with torch.no_grad():
        gap = bin_bounds_1d(density, dequantizer, LEVELS, nodes=4096)["gap"][x]
    assert gap.item() == pytest.approx(-log_post.mean().item(), abs=1e-6)


def test_iw_with_one_sample_is_the_ordinary_bound_estimator():
    density, dequantizer = _models("uniform")
    x = torch.arange(LEVELS).repeat(50)
    with torch.no_grad():
        one = importance_weighted_log_likelihood(density, dequantizer, x, 1, torch.Generator().manual_seed(5))
        plain = -negative_bound(density, dequantizer, x, torch.Generator().manual_seed(5)).per_example
    assert torch.allclose(one, plain)


def test_none_is_flagged_as_not_a_bound_and_uses_integer_points():
    density, _ = _models("uniform")
    dequantizer = NoDequantizer()
    assert not dequantizer.is_bound and UniformDequantizer.is_bound
    x = torch.arange(LEVELS)
    result = negative_bound(density, dequantizer, x)
    assert torch.allclose(-result.per_example, density.log_prob(x.double()))


def test_image_bound_terms_add_up_and_are_in_bits_per_dim():
    torch.manual_seed(0)
    flow = ImageFlow(5, (1, 4, 4), hidden=8)
    x = torch.randint(0, 5, (8, 1, 4, 4))
    result = negative_bound(flow, UniformDequantizer(), x, torch.Generator().manual_seed(0))
    terms = result.terms
    assert terms["log_q_bpd"] + terms["log_r_bpd"] == pytest.approx(result.loss.item(), rel=1e-5)
    assert terms["flow_bpd"] + terms["logit_bpd"] + terms["scale_bpd"] == pytest.approx(terms["log_q_bpd"], rel=1e-5)
    assert result.loss.item() == pytest.approx(result.per_example.mean().item() / (16 * math.log(2)), rel=1e-6)
    with pytest.raises(ValueError):
        importance_weighted_log_likelihood(flow, UniformDequantizer(), x, 0)
