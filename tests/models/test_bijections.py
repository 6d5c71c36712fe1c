"""Every bijection and every flow built from them, one test each way (issue 11, item 9):
inverse(forward(x)) == x, and log|det dy/dx| against a float64 autograd Jacobian.

(MixtureLogisticLogit's inverse is a bisection without gradient, so Inverse is checked on
the steps with closed-form inverses: Logit = Inverse(Sigmoid) and Inverse(Squeeze2x2).)"""

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.bijections import (Affine, Compose, Inverse, Logit, MixtureLogisticLogit, Sigmoid,
                                       soft_clamp)
from vdq_gui.models.coupling import AffineCoupling, Squeeze2x2, channel_mask, checkerboard_mask
from vdq_gui.models.imageflow import ImageFlow
from vdq_gui.models.logitnormal import LogitNormalDequantizer
from vdq_gui.models.noiseflow1d import VariationalDequantizer1D
from vdq_gui.models.noiseflow_image import VariationalDequantizerImage

F64 = torch.float64


def _randn(*shape, seed=0, scale=1.0):
    return scale * torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def _step(step, x, cond=None):
    """A case for one step: (forward, inverse, x), each map returning (y, log|det| per example)."""
    step = randomise(step, scale=0.3) if list(step.parameters()) else step.double()

    def as_example(log_det):  # elementwise steps: the determinant of a diagonal Jacobian
        return log_det.reshape(x.shape[0], -1).sum(dim=1) if step.event_dim == 0 else log_det

    def forward(v):
        y, ld = step(v, cond)
        return y, as_example(ld)

    def inverse(y):
        v, ld = step.inverse(y, cond)
        return v, as_example(ld)

    return forward, inverse, x


def _dequantizer(flow, eps, params_of):
    """A case for a noise flow eps -> u, its log-det read off log r = log p(eps) - log|det|."""
    randomise(flow, scale=0.2, seed=1)
    params = params_of(flow)

    def per_example(t):
        return t.reshape(eps.shape[0], -1).sum(dim=1)

    def forward(e):
        u, log_r = flow.transform(e, params)
        return u, per_example(flow.base.log_prob(e)) - per_example(log_r)

    def inverse(u):
        e, log_r = flow.inverse(u, params) if not isinstance(flow, VariationalDequantizerImage) else flow.inverse(u, X_IMAGE)
        return e, per_example(flow.base.log_prob(e)) - per_example(log_r)

    return forward, inverse, eps


X_IMAGE = torch.randint(0, 9, (1, 2, 4, 4), generator=torch.Generator().manual_seed(3))
IMAGE = (1, 2, 4, 4)


def _image_flow():
    flow = randomise(ImageFlow(9, IMAGE[1:], hidden=8), scale=0.2, seed=2)
    y = torch.rand(IMAGE, generator=torch.Generator().manual_seed(4), dtype=F64) * 9
    return flow.to_base, lambda z: flow.flow.inverse(z), y


CASES = {
    "Sigmoid": lambda: _step(Sigmoid(), _randn(1, 7, scale=3)),
    "Logit": lambda: _step(Logit(), torch.rand(1, 7, generator=torch.Generator().manual_seed(1), dtype=F64)),
    "Affine (fixed)": lambda: _step(Affine(shift=0.3, log_scale=-1.2), _randn(1, 7)),
    "Affine (1-D table, clamped)": lambda: _step(Affine(bound=3.0), _randn(1, 7), _randn(1, 7, 2, seed=2, scale=3)),
    "Affine (feature maps)": lambda: _step(Affine(param_axis=1), _randn(*IMAGE), _randn(1, 4, 4, 4, seed=2)),
    "MixtureLogisticLogit": lambda: _step(MixtureLogisticLogit(3), _randn(1, 7, scale=3), _randn(1, 7, 9, seed=2)),
    "Compose (1-D, split table)": lambda: _step(
        Compose([Affine(bound=3.0), MixtureLogisticLogit(2), Affine(bound=3.0), Sigmoid()], split_params=True),
        _randn(1, 5), _randn(1, 5, 10, seed=2)),
    "Squeeze2x2": lambda: _step(Squeeze2x2(), _randn(*IMAGE)),
    "Inverse(Squeeze2x2)": lambda: _step(Inverse(Squeeze2x2()), _randn(1, 8, 2, 2)),
    "AffineCoupling (checkerboard)": lambda: _step(AffineCoupling(checkerboard_mask(2, 4, 4, 1), 8), _randn(*IMAGE)),
    "AffineCoupling (channels, context)": lambda: _step(
        AffineCoupling(channel_mask(2, 4, 4, 0), 8, context_channels=3), _randn(*IMAGE), _randn(1, 3, 4, 4, seed=2)),
    "Compose (image, elementwise inside)": lambda: _step(
        Compose([AffineCoupling(checkerboard_mask(2, 4, 4, 0), 8), Sigmoid()], event_dim=3), _randn(*IMAGE)),
    "flow: 1-D noise flow": lambda: _dequantizer(
        VariationalDequantizer1D(6, embedding=4, hidden=8, components=3), _randn(1, 6, scale=2),
        lambda f: f.bin_params().unsqueeze(0)),  # one "example": every bin once
    "flow: logit-normal": lambda: _dequantizer(
        LogitNormalDequantizer(6), _randn(1, 6, scale=2), lambda f: f.bin_params().unsqueeze(0)),
    "flow: image noise flow": lambda: _dequantizer(
        VariationalDequantizerImage(9, IMAGE[1:], hidden=8, context=4, couplings=3), _randn(*IMAGE),
        lambda f: f.context(X_IMAGE).double()),
    "flow: image flow q": _image_flow,
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    torch.manual_seed(0)
    return CASES[request.param]()


def test_inverse_undoes_forward(case):
    forward, inverse, x = case
    with torch.no_grad():
        y, log_det = forward(x)
        x_back, log_det_back = inverse(y)
    assert torch.allclose(x_back, x, atol=1e-7, rtol=1e-7)
    assert torch.allclose(log_det_back, log_det, atol=1e-7)


def test_log_det_matches_the_autograd_jacobian(case):
    forward, _, x = case
    # One example at a time (the first axis is the batch): the Jacobian of that example.
    for index in range(x.shape[0]):
        example = x[index : index + 1]

        def flat_map(flat):
            return forward(flat.reshape(example.shape))[0].reshape(-1)

        jacobian = torch.autograd.functional.jacobian(flat_map, example.reshape(-1))
        with torch.no_grad():
            log_det = forward(example)[1]
        assert log_det.shape == (1,)
        assert log_det.item() == pytest.approx(torch.linalg.slogdet(jacobian)[1].item(), abs=1e-8)


def test_identity_at_zero_parameters():
    # The uniform start rests on this: each learnable 1-D step is the identity at zero.
    x = _randn(1, 9, scale=4)
    for step, count in ((Affine(bound=3.0), 2), (MixtureLogisticLogit(4), 12)):
        y, log_det = step(x, torch.zeros(1, 9, count, dtype=F64))
        assert torch.allclose(y, x, atol=1e-12) and log_det.abs().max() < 1e-12
    assert soft_clamp(torch.tensor(0.0), 3.0) == 0.0
