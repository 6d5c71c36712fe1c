import math

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.density1d import LogisticMixture1D


@pytest.fixture(params=[8, 32, 256])
def model(request):
    return randomise(LogisticMixture1D(request.param, components=7), scale=0.3, seed=request.param)


def test_q_integrates_to_one_on_its_support(model):
    y = torch.linspace(0.0, model.levels, 400001, dtype=torch.float64)
    assert torch.trapezoid(torch.exp(model.log_prob(y)), y).item() == pytest.approx(1.0, abs=1e-6)


def test_exact_bin_masses_sum_to_one(model):
    assert torch.exp(model.log_mass_all()).sum().item() == pytest.approx(1.0, abs=1e-12)


def test_bin_mass_is_the_integral_of_q_over_the_bin(model):
    for x in (0, model.levels // 2, model.levels - 1):
        y = torch.linspace(x, x + 1, 20001, dtype=torch.float64)
        integral = torch.trapezoid(torch.exp(model.log_prob(y)), y).item()
        mass = torch.exp(model.log_mass(torch.tensor([x]))).item()
        assert mass == pytest.approx(integral, rel=1e-6)


def test_q_is_zero_outside_zero_to_k(model):
    outside = torch.tensor([-0.1, model.levels + 0.1], dtype=torch.float64)
    assert torch.isneginf(model.log_prob(outside)).all()


def test_narrow_spikes_stay_finite():
    # The `none` dequantizer drives scales to their floor; masses must stay finite and sum to 1.
    model = LogisticMixture1D(32, components=4, min_scale=0.005).double()
    with torch.no_grad():
        model.raw_log_scales.fill_(-50.0)
    assert torch.isfinite(model.log_mass_all()).all()
    assert torch.exp(model.log_mass_all()).sum().item() == pytest.approx(1.0, abs=1e-9)
    peak = model.log_prob(model.raw_means[:1] * 32)
    assert math.isfinite(peak.item())


def test_smooth_floor_keeps_a_gradient_below_the_floor():
    from vdq_gui.models.density1d import smooth_floor

    value = torch.linspace(-12.0, 2.0, 50, dtype=torch.float64, requires_grad=True)
    floored = smooth_floor(value, -5.3)
    floored.sum().backward()
    assert (floored > -5.3).all()
    assert (value.grad > 0).all(), "a hard clamp would give zero gradient below the floor"
    assert torch.allclose(floored[-1], value[-1], atol=1e-6)  # far above: unchanged
