import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.noiseflow_image import VariationalDequantizerImage


def _flow(shape, seed=0):
    return randomise(VariationalDequantizerImage(9, shape, hidden=8, context=4, couplings=3), scale=0.2, seed=seed)


def _levels(shape, count=2, seed=0):
    return torch.randint(0, 9, (count, *shape), generator=torch.Generator().manual_seed(seed))


def test_noise_flow_inverts():
    flow = _flow((2, 4, 4))
    x = _levels((2, 4, 4))
    eps = torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    u, log_r = flow.transform(eps, flow.context(x).double())
    eps_back, log_r_back = flow.inverse(u, x)
    assert torch.allclose(eps_back, eps, atol=1e-8)
    assert torch.allclose(log_r_back, log_r, atol=1e-8)


def test_log_density_matches_autograd_jacobian():
    shape = (1, 4, 4)
    flow = _flow(shape, seed=3)
    x = _levels(shape, count=1)
    ctx = flow.context(x).double()
    eps = torch.randn(16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)

    def to_u(flat):
        return flow.transform(flat.reshape(1, *shape), ctx)[0].reshape(-1)

    jacobian = torch.autograd.functional.jacobian(to_u, eps)
    expected = flow.base.log_prob(eps).sum() - torch.linalg.slogdet(jacobian)[1]
    _, log_r = flow.transform(eps.reshape(1, *shape), ctx)
    assert log_r.item() == pytest.approx(expected.item(), abs=1e-8)


def test_noise_density_integrates_to_one_on_a_two_pixel_image():
    flow = _flow((1, 1, 2), seed=4)
    x = torch.tensor([[[[3, 7]]]])
    z = torch.linspace(-14, 14, 701, dtype=torch.float64)
    a, b = torch.meshgrid(z, z, indexing="ij")
    logits = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1).reshape(-1, 1, 1, 2)
    u = torch.sigmoid(logits)
    log_r = flow.log_prob(u, x.expand(u.shape[0], 1, 1, 2))
    # du = u (1 - u) dz per pixel: integrate in logit space to resolve the edges.
    jac = (u * (1 - u)).flatten(1).prod(dim=1)
    step = (z[1] - z[0]).item()
    assert (torch.exp(log_r) * jac).sum().item() * step * step == pytest.approx(1.0, abs=2e-3)


def test_noise_depends_on_the_neighbourhood():
    flow = _flow((1, 4, 4), seed=5).float()
    x = _levels((1, 4, 4), count=1)
    changed = x.clone()
    changed[0, 0, 0, 0] = (changed[0, 0, 0, 0] + 4) % 9  # a neighbour of pixel (0, 1)
    u1, _ = flow(x, torch.Generator().manual_seed(0))
    u2, _ = flow(changed, torch.Generator().manual_seed(0))
    assert not torch.isclose(u1[0, 0, 0, 1], u2[0, 0, 0, 1])
