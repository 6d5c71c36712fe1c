import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.noiseflow1d import VariationalDequantizer1D


@pytest.fixture
def flow():
    return randomise(VariationalDequantizer1D(12, embedding=8, hidden=16, layers=2, components=3), scale=0.15, seed=3)


def test_flow_inverts(flow):
    eps = torch.linspace(-3, 3, 61, dtype=torch.float64).repeat(12)
    x = torch.arange(12).repeat_interleave(61)
    params = flow.bin_params()[x]
    u, log_r = flow.transform(eps, params)
    eps_back, log_r_back = flow.inverse(u, params)
    assert torch.allclose(eps_back, eps, atol=1e-7)
    assert torch.allclose(log_r_back, log_r, atol=1e-7)


def test_log_density_matches_autograd_derivative(flow):
    # The map eps -> u is elementwise, so its Jacobian is diagonal: du/deps by autograd.
    eps = torch.linspace(-2.5, 2.5, 41, dtype=torch.float64).repeat(12).requires_grad_(True)
    x = torch.arange(12).repeat_interleave(41)
    u, log_r = flow.transform(eps, flow.bin_params()[x])
    (du,) = torch.autograd.grad(u.sum(), eps)
    expected = flow.base.log_prob(eps.detach()) - torch.log(du)
    assert torch.allclose(log_r.detach(), expected, atol=1e-9)


def test_every_bins_noise_density_integrates_to_one(flow):
    # Integrate over logit(u) so that mass piled near 0 or 1 is resolved: du = u (1 - u) dz.
    z = torch.linspace(-25, 25, 20001, dtype=torch.float64)
    u = torch.sigmoid(z)
    for x in range(12):
        log_r = flow.log_prob(u, torch.full_like(z, x, dtype=torch.long))
        integral = torch.trapezoid(torch.exp(log_r) * u * (1 - u), z).item()
        assert integral == pytest.approx(1.0, abs=1e-4), f"bin {x}"


def test_map_is_monotone_so_quantiles_map_to_quantiles(flow):
    eps = torch.linspace(-4, 4, 401, dtype=torch.float64).unsqueeze(0)
    u, _ = flow.transform(eps, flow.bin_params().unsqueeze(1))
    assert (u.diff(dim=1) > 0).all()
    assert ((u > 0) & (u < 1)).all()


def test_samples_are_reparameterised(flow):
    x = torch.arange(12)
    u, log_r = flow(x, torch.Generator().manual_seed(0))
    (u.sum() + log_r.sum()).backward()
    grads = [p.grad for p in flow.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_training_gradient_of_log_r_is_the_path_derivative(flow):
    # Roeder et al. (2017): log r is differentiated only through the sample, with the
    # parameters of the density frozen.  Check along a random direction d in parameter
    # space against d/dt log r_theta0(u_{theta0 + t d}) by central differences, the
    # frozen density read with the exact inverse.
    x = torch.arange(12).repeat(4)
    _, log_r = flow(x, torch.Generator().manual_seed(1))
    eps = flow.base.sample(x.shape, torch.Generator().manual_seed(1), dtype=torch.float64)  # the same draw
    params = list(flow.parameters())
    g = torch.Generator().manual_seed(2)
    directions = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in params]
    grads = torch.autograd.grad(log_r.sum(), params, allow_unused=True)
    analytic = sum((gr * d).sum() for gr, d in zip(grads, directions) if gr is not None)
    frozen = flow.bin_params().detach()[x]

    def log_r_frozen_after_moving(t):
        with torch.no_grad():
            for p, d in zip(params, directions):
                p.add_(t * d)
            u_t, _ = flow.transform(eps, flow.bin_params()[x])
            for p, d in zip(params, directions):
                p.sub_(t * d)
        return flow.inverse(u_t, frozen)[1].sum()

    h = 1e-5
    numeric = (log_r_frozen_after_moving(h) - log_r_frozen_after_moving(-h)) / (2 * h)
    assert analytic.item() == pytest.approx(numeric.item(), rel=1e-4, abs=1e-6)
    # ... and it is not the total derivative (which includes the zero-mean score term).
    total = torch.autograd.grad(flow.transform(eps, flow.bin_params()[x])[1].sum(), params, allow_unused=True)
    total_d = sum((gr * d).sum() for gr, d in zip(total, directions) if gr is not None)
    assert abs(total_d.item() - analytic.item()) > 1e-3 * max(1.0, abs(analytic.item()))


def test_sampled_log_r_values_do_not_depend_on_grad_mode(flow):
    x = torch.arange(12).repeat(3)
    u1, log_r1 = flow(x, torch.Generator().manual_seed(4))
    with torch.no_grad():
        u2, log_r2 = flow(x, torch.Generator().manual_seed(4))
    assert torch.equal(u1.detach(), u2)
    assert torch.allclose(log_r1.detach(), log_r2, atol=1e-12)
