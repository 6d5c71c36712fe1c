import torch

from vdq_gui.models.logistic import log1mexp, log_sigmoid_diff, logistic_log_pdf


def test_log_sigmoid_diff_matches_direct_formula_where_that_is_accurate():
    upper = torch.tensor([0.5, 3.0, -1.0, 2.0, 10.0], dtype=torch.float64)
    lower = torch.tensor([-0.5, -3.0, -4.0, 1.999, 9.0], dtype=torch.float64)
    direct = torch.log(torch.sigmoid(upper) - torch.sigmoid(lower))
    assert torch.allclose(log_sigmoid_diff(upper, lower), direct, rtol=1e-10, atol=1e-12)


def test_log_sigmoid_diff_stays_accurate_in_far_tails():
    # sigma(41) - sigma(40) ~ e^-40 - e^-41: the direct formula returns log(0) = -inf in float64.
    value = log_sigmoid_diff(torch.tensor(41.0, dtype=torch.float64), torch.tensor(40.0, dtype=torch.float64))
    expected = torch.log(torch.exp(torch.tensor(-40.0, dtype=torch.float64)) - torch.exp(torch.tensor(-41.0, dtype=torch.float64)))
    assert torch.isclose(value, expected, rtol=1e-9)
    symmetric = log_sigmoid_diff(torch.tensor(-40.0, dtype=torch.float64), torch.tensor(-41.0, dtype=torch.float64))
    assert torch.isclose(symmetric, expected, rtol=1e-9)


def test_log_sigmoid_diff_with_infinite_ends_and_finite_gradients():
    lower = torch.tensor([-torch.inf, 0.0, -2.0], dtype=torch.float64, requires_grad=True)
    upper = torch.tensor([0.0, torch.inf, -2.0 + 1e-9], dtype=torch.float64, requires_grad=True)
    out = log_sigmoid_diff(upper, lower)
    assert torch.allclose(out[:2], torch.log(torch.tensor([0.5, 0.5], dtype=torch.float64)))
    assert torch.isfinite(out).all()
    out.sum().backward()
    assert torch.isfinite(upper.grad).all() and torch.isfinite(lower.grad[1:]).all()


def test_log1mexp_both_branches():
    d = torch.tensor([1e-8, 0.1, 0.69, 0.7, 5.0, 50.0], dtype=torch.float64)
    assert torch.allclose(log1mexp(d), torch.log(1 - torch.exp(-d)), rtol=1e-8)


def test_logistic_pdf_integrates_to_one():
    y = torch.linspace(-60, 60, 200001, dtype=torch.float64)
    density = torch.exp(logistic_log_pdf(y, torch.tensor(1.5, dtype=torch.float64), torch.tensor(0.7, dtype=torch.float64)))
    assert abs(torch.trapezoid(density, y).item() - 1.0) < 1e-8
