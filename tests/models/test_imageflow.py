import math

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.coupling import squeeze2x2, unsqueeze2x2
from vdq_gui.models.imageflow import ImageFlow

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _images(shape, levels, count=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand((count, *shape), generator=generator, dtype=torch.float64) * levels


@pytest.mark.parametrize("shape", [(1, 4, 4), (3, 4, 4), (1, 3, 5)])
def test_flow_inverts(shape):
    flow = randomise(ImageFlow(17, shape, hidden=8), scale=0.2)
    y = _images(shape, 17)
    z, _ = flow.to_base(y)
    assert torch.allclose(flow.from_base(z), y, atol=1e-8)


@pytest.mark.parametrize("shape", [(1, 4, 4), (2, 2, 4)])
def test_log_density_matches_autograd_jacobian(shape):
    flow = randomise(ImageFlow(17, shape, hidden=8), scale=0.2, seed=1)
    y = _images(shape, 17, count=1)[0]

    def to_base(flat):
        return flow.to_base(flat.reshape(1, *shape))[0].reshape(-1)

    jacobian = torch.autograd.functional.jacobian(to_base, y.reshape(-1))
    log_det = torch.linalg.slogdet(jacobian)[1]
    z = to_base(y.reshape(-1))
    expected = (-0.5 * z**2 - LOG_SQRT_2PI).sum() + log_det
    assert flow.log_prob(y.unsqueeze(0)).item() == pytest.approx(expected.item(), abs=1e-8)


def test_terms_add_up_to_log_q():
    flow = randomise(ImageFlow(5, (1, 4, 4), hidden=8), scale=0.2)
    y = _images((1, 4, 4), 5)
    terms = flow.log_prob_terms(y)
    assert set(terms) == {"flow", "logit", "scale"}
    assert torch.allclose(sum(terms.values()), flow.log_prob(y))


def test_density_integrates_to_one_on_a_two_pixel_image():
    flow = randomise(ImageFlow(4, (1, 1, 2), hidden=8), scale=0.3, seed=2)
    # q lives where p = alpha + (1 - 2 alpha) y / K lies in (0, 1): slightly wider than [0, K].
    lo, hi = -flow.alpha * 4 / (1 - 2 * flow.alpha), (1 - flow.alpha) * 4 / (1 - 2 * flow.alpha)
    grid = torch.linspace(lo, hi, 801, dtype=torch.float64)[1:-1]
    a, b = torch.meshgrid(grid, grid, indexing="ij")
    y = torch.stack([a.reshape(-1), b.reshape(-1)], dim=1).reshape(-1, 1, 1, 2)
    density = torch.exp(flow.log_prob(y)).reshape(a.shape)
    step = (grid[1] - grid[0]).item()
    # Edges are cut off by a half cell where the logit density goes to ~0 anyway.
    assert density.sum().item() * step * step == pytest.approx(1.0, abs=3e-3)


def test_squeeze_roundtrip():
    x = torch.arange(2 * 3 * 4 * 6, dtype=torch.float64).reshape(2, 3, 4, 6)
    assert squeeze2x2(x).shape == (2, 12, 2, 3)
    assert torch.equal(unsqueeze2x2(squeeze2x2(x)), x)


def test_samples_lie_in_the_data_range():
    flow = randomise(ImageFlow(17, (1, 8, 8), hidden=8), scale=0.1).float()
    samples = flow.sample(5, torch.Generator().manual_seed(0))
    assert samples.shape == (5, 1, 8, 8)
    assert float(samples.min()) >= 0.0 and float(samples.max()) <= 17.0
