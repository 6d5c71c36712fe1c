import math

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import DEQUANTIZERS, make_dequantizer
from vdq_gui.models.logitnormal import LogitNormalDequantizer
from vdq_gui.training.objective import bin_bounds_1d, importance_weighted_log_likelihood


def test_registered_for_both_kinds():
    assert "logit-normal" in DEQUANTIZERS
    assert isinstance(make_dequantizer("logit-normal", "1d", 5), LogitNormalDequantizer)
    assert isinstance(make_dequantizer("logit-normal", "images", 5, (1, 4, 4)), LogitNormalDequantizer)


def test_every_bins_noise_density_integrates_to_one():
    r = randomise(LogitNormalDequantizer(7), scale=1.0, seed=1)
    z = torch.linspace(-30, 30, 30001, dtype=torch.float64)
    u = torch.sigmoid(z)
    for x in range(7):
        log_r = r.log_prob(u, torch.full_like(z, x, dtype=torch.long))
        assert torch.trapezoid(torch.exp(log_r) * u * (1 - u), z).item() == pytest.approx(1.0, abs=1e-6)


def test_bound_below_iw_below_exact_in_every_bin():
    levels = 8
    density = randomise(LogisticMixture1D(levels, components=4), scale=0.4, seed=2)
    r = randomise(LogitNormalDequantizer(levels), scale=0.5, seed=3)
    with torch.no_grad():
        per_bin = bin_bounds_1d(density, r, levels)
        x = torch.arange(levels).repeat_interleave(400)
        iw = importance_weighted_log_likelihood(density, r, x, 32, torch.Generator().manual_seed(4))
    iw = iw.reshape(levels, 400)
    err = 4 * iw.std(dim=1) / math.sqrt(400) + 1e-9
    assert (per_bin["gap"] >= -1e-7).all()
    assert (per_bin["bound"] <= iw.mean(dim=1) + err).all()
    assert (iw.mean(dim=1) <= per_bin["log_mass"] + err).all()


def test_image_noise_depends_on_the_pixel_value_only_and_sums_per_image():
    r = randomise(LogitNormalDequantizer(5), scale=0.5, seed=4)
    x = torch.randint(0, 5, (3, 1, 4, 4), generator=torch.Generator().manual_seed(0))
    u, log_r = r(x, torch.Generator().manual_seed(1))
    assert u.shape == x.shape and log_r.shape == (3,)
    assert torch.allclose(log_r, r.log_prob(u.detach(), x).detach(), atol=1e-9)


def test_training_gradient_is_the_path_derivative():
    # d/dtheta of log r at the sample, with r's density frozen: the score term is dropped.
    r = randomise(LogitNormalDequantizer(4), scale=0.5, seed=5)
    x = torch.arange(4).repeat(3)
    _, log_r = r(x, torch.Generator().manual_seed(2))
    (grad,) = torch.autograd.grad(log_r.sum(), r.table)
    eps = r.base.sample(x.shape, torch.Generator().manual_seed(2), dtype=torch.float64)
    frozen = r.table.detach().clone()
    direction = torch.randn(frozen.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)

    def frozen_log_r_after_moving(t):
        u_t, _ = r.transform(eps, (frozen + t * direction)[x])
        return r.inverse(u_t, frozen[x])[1].sum()

    h = 1e-5
    numeric = (frozen_log_r_after_moving(h) - frozen_log_r_after_moving(-h)) / (2 * h)
    assert (grad * direction).sum().item() == pytest.approx(numeric.item(), rel=1e-4, abs=1e-7)
