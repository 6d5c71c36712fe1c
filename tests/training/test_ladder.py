"""The expected IW-M gaps of the bound ladder, against closed forms and Monte Carlo."""

import math

import numpy as np
import pytest
import torch

from vdq_gui.training.ladder import iw_gaps


def two_point_gap(a: float, b: float, p: float, m: int) -> float:
    """-E[log mean of m draws] for rho in {a, b} with P(a) = p (exact, binomial)."""
    k = np.arange(m + 1)
    log_binom = np.array([math.lgamma(m + 1) - math.lgamma(i + 1) - math.lgamma(m - i + 1) for i in k])
    prob = np.exp(log_binom + k * np.log(p) + (m - k) * np.log1p(-p))
    return float(-(prob * np.log((k * a + (m - k) * b) / m)).sum())


@pytest.mark.parametrize("a, p", [(0.5, 0.5), (3.0, 0.1), (1e-3, 0.3), (40.0, 0.02)])
def test_gaps_equal_the_binomial_closed_form(a, p):
    b = (1 - p * a) / (1 - p)  # E[rho] = 1
    log_rho = torch.tensor([[math.log(a), math.log(b)]], dtype=torch.float64)
    weights = torch.tensor([p, 1 - p], dtype=torch.float64)
    gaps = iw_gaps(log_rho, weights, (1, 4, 16, 64))[:, 0].numpy()
    expected = [two_point_gap(a, b, p, m) for m in (1, 4, 16, 64)]
    np.testing.assert_allclose(gaps, expected, rtol=1e-4, atol=3e-6)  # trapezoid step log 2: ~1e-6 nats


def test_gaps_fall_with_m_and_vanish_for_an_exact_r():
    rng = np.random.default_rng(0)
    log_rho = torch.from_numpy(rng.normal(0, 0.7, size=(5, 40)))
    gaps = iw_gaps(log_rho, torch.full((40,), 1 / 40, dtype=torch.float64), (1, 4, 16, 64)).numpy()
    assert (gaps >= 0).all() and (np.diff(gaps, axis=0) < 0).all()
    assert np.abs(iw_gaps(torch.zeros(3, 8), torch.ones(8), (1, 4, 64)).numpy()).max() < 1e-12


def test_gaps_match_monte_carlo_of_the_same_distribution():
    rng = np.random.default_rng(1)
    values = rng.lognormal(0, 0.5, size=64)
    values /= values.mean()  # equal weights: E[rho] = 1
    gaps = iw_gaps(torch.from_numpy(np.log(values))[None], torch.full((64,), 1 / 64, dtype=torch.float64),
                   (4, 16)).numpy()[:, 0]
    for gap, m in zip(gaps, (4, 16)):
        draws = values[rng.integers(0, 64, size=(200_000, m))].mean(axis=1)
        estimate = -np.log(draws)
        assert abs(estimate.mean() - gap) < 4 * estimate.std() / math.sqrt(estimate.size)


def test_only_powers_of_two():
    with pytest.raises(ValueError, match="powers of 2"):
        iw_gaps(torch.zeros(1, 4), torch.ones(4), (3,))
