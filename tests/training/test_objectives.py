"""ELBO, importance-weighted and Renyi-alpha objectives, and r's all-bins term, tested as maths.

Orders that hold draw by draw (Jensen on the same draws) are asserted exactly; orders that
hold in expectation are asserted with a margin of a few standard errors of the estimate.
"""

import math

import numpy as np

import pytest
import torch

from tests.models.helpers import randomise
from vdq_gui.models.density1d import LogisticMixture1D
from vdq_gui.models.dequantizers import Dequantizer, make_dequantizer
from vdq_gui.training.inspect import iw_ladder_1d
from vdq_gui.training.objective import (all_bins_r_loss, bin_bounds_1d, negative_bound, training_objective,
                                        uses_path_derivative)
from vdq_gui.training.trainer import TrainConfig, Trainer

LEVELS = 8
DRAWS = 3000  # examples per bin


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)  # the flows' initial weights come from the global generator


def _models(name="variational"):
    density = randomise(LogisticMixture1D(LEVELS, components=4), scale=0.4, seed=1)
    dequantizer = make_dequantizer(name, "1d", LEVELS)
    if name == "variational":
        randomise(dequantizer, scale=0.15, seed=2)
    return density, dequantizer.double()


def _per_bin(density, dequantizer, objective, samples, alpha=0.5, seed=0):
    """Objective estimate (nats, maximised) for DRAWS examples of every bin: (K, DRAWS)."""
    x = torch.arange(LEVELS).repeat_interleave(DRAWS)
    with torch.no_grad():
        result = training_objective(density, dequantizer, x, objective, samples, alpha,
                                    torch.Generator().manual_seed(seed))
    return -result.per_example.reshape(LEVELS, DRAWS)


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_elbo_below_iw_m_below_iw_more_below_exact_in_every_bin(name):
    density, dequantizer = _models(name)
    with torch.no_grad():
        exact = density.log_mass_all()
        elbo = bin_bounds_1d(density, dequantizer, LEVELS, nodes=4096)["bound"]  # quadrature: no noise
    means, errors = [], []
    for samples in (1, 4, 16):
        estimate = _per_bin(density, dequantizer, "iw", samples, seed=samples)
        means.append(estimate.mean(dim=1))
        errors.append(estimate.std(dim=1) / math.sqrt(DRAWS))
    for i in range(len(means) - 1):
        # Independent draws for each M: the difference has the combined standard error.
        margin = 4 * torch.sqrt(errors[i] ** 2 + errors[i + 1] ** 2)
        assert (means[i] <= means[i + 1] + margin).all()
    assert (elbo <= means[0] + 4 * errors[0]).all()
    assert (means[-1] <= exact + 4 * errors[-1]).all()
    # Not vacuous: with a gap to close, more samples really tighten the bound, far beyond the noise.
    assert (means[-1] - means[0]).sum() > 8 * torch.sqrt((errors[0] ** 2 + errors[-1] ** 2).sum())
    assert (exact - elbo).sum() > 1e-3


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_renyi_lies_between_elbo_and_exact_and_below_iw_on_the_same_draws(name):
    density, dequantizer = _models(name)
    with torch.no_grad():
        exact = density.log_mass_all()
    elbo = _per_bin(density, dequantizer, "elbo", 8, seed=4)
    previous = elbo
    for alpha in (0.9, 0.5, 0.1):  # Renyi-alpha grows as alpha falls towards IW (alpha = 0)
        renyi = _per_bin(density, dequantizer, "renyi", 8, alpha=alpha, seed=4)
        assert (renyi >= previous - 1e-9).all(), "power means: same draws, ordered exactly"
        previous = renyi
    iw = _per_bin(density, dequantizer, "iw", 8, seed=4)
    assert (previous <= iw + 1e-9).all()
    for alpha in (0.1, 0.5, 0.9):
        renyi = _per_bin(density, dequantizer, "renyi", 8, alpha=alpha, seed=5)
        error = renyi.std(dim=1) / math.sqrt(DRAWS)
        assert (renyi.mean(dim=1) <= exact + 4 * error).all()


def test_elbo_with_one_sample_is_the_plain_bound_and_iw_one_equals_it():
    density, dequantizer = _models()
    x = torch.arange(LEVELS).repeat(20)
    plain = negative_bound(density, dequantizer, x, torch.Generator().manual_seed(3))
    elbo = training_objective(density, dequantizer, x, "elbo", 1, generator=torch.Generator().manual_seed(3))
    iw = training_objective(density, dequantizer, x, "iw", 1, generator=torch.Generator().manual_seed(3))
    assert elbo.loss.item() == plain.loss.item()
    assert torch.allclose(iw.per_example, plain.per_example)
    with pytest.raises(ValueError, match="unknown objective"):
        training_objective(density, dequantizer, x, "kl")


class _PlainReparameterised(Dequantizer):
    """The same 1-D flow with ordinary reparameterisation gradients (score term kept)."""

    name = "variational"
    path_derivative = False

    def __init__(self, flow):
        super().__init__()
        self.flow = flow

    def forward(self, x, generator=None):
        eps = self.flow.base.sample(x.shape, generator, x.device, torch.float64)
        return self.flow.transform(eps, self.flow.bin_params()[x])


@pytest.mark.parametrize("objective,alpha", [("iw", 0.0), ("renyi", 0.5)])
def test_doubly_reparameterised_gradient_has_the_plain_gradients_mean(objective, alpha):
    # Both estimators are unbiased for the same gradient: their means over many draws agree
    # within their standard errors (estimated from independent chunks).
    density, flow = _models()
    plain = _PlainReparameterised(flow)
    assert uses_path_derivative(flow) and not uses_path_derivative(plain)
    x = torch.full((4000,), 5)

    def gradients(dequantizer, seed):
        chunks = []
        for chunk in range(10):
            flow.zero_grad()
            result = training_objective(density, dequantizer, x, objective, 4, alpha,
                                        torch.Generator().manual_seed(100 * seed + chunk))
            result.loss.backward()
            chunks.append(torch.cat([p.grad.flatten() for p in flow.net[-1].parameters()]))
        chunks = torch.stack(chunks)
        return chunks.mean(dim=0), chunks.std(dim=0) / math.sqrt(len(chunks))

    mean_dreg, se_dreg = gradients(flow, 1)
    mean_plain, se_plain = gradients(plain, 2)
    big = mean_plain.abs() > 6 * se_plain  # components clearly away from zero
    assert big.sum() >= 5
    # (Only there: over a thousand components, a few would pass 5 errors by chance alone.)
    difference = (mean_dreg - mean_plain)[big].abs()
    assert (difference <= 5 * torch.sqrt(se_dreg**2 + se_plain**2)[big]).all()


def test_ladder_is_ordered_bounded_by_exact_and_starts_at_the_elbo():
    density, dequantizer = _models()
    with torch.no_grad():
        exact = -density.log_mass_all().double().numpy() / math.log(2)
        terms = bin_bounds_1d(density, dequantizer, LEVELS)
    samples, ladder = iw_ladder_1d(density, dequantizer, LEVELS, terms)
    assert list(samples) == [1, 4, 16, 64] and ladder.shape == (4, LEVELS)
    np.testing.assert_allclose(ladder[0], -terms["bound"].double().numpy() / math.log(2), atol=1e-9)
    assert (ladder[1:] <= ladder[:-1] + 1e-12).all() and (ladder >= exact - 1e-12).all()
    # Against Monte Carlo of IW-4 in the bin with the largest gap (tolerance: 4 standard errors).
    level = int(np.argmax(ladder[0] - exact))
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():
        x = torch.full((4 * 50_000,), level)
        u, log_r = dequantizer(x, generator)
        log_w = (density.log_prob(x.float() + u) - log_r).double().reshape(50_000, 4)
    estimate = -(torch.logsumexp(log_w, dim=1) - math.log(4)).numpy() / math.log(2)
    assert abs(estimate.mean() - ladder[1, level]) < 4 * estimate.std() / math.sqrt(estimate.size) + 1e-4


def test_all_bins_term_trains_r_only_and_reaches_every_bin():
    density, dequantizer = _models()
    loss = all_bins_r_loss(density, dequantizer, LEVELS, per_bin=4, generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert all(p.grad is None for p in density.parameters()), "q is held fixed"
    assert all(p.requires_grad for p in density.parameters()), "and released afterwards"
    assert (dequantizer.embedding.weight.grad.abs().sum(dim=1) > 0).all(), "every bin's row moves"


def _unseen_bin_data():
    import numpy as np

    from vdq_gui.data.dataset import DiscreteData

    rng = np.random.default_rng(0)
    values = rng.normal(5, 1.2, 800).round().clip(0, 11).astype(int)
    values = values[values != 9]
    return DiscreteData(values, 12, "1d", name="bin 9 empty")


@pytest.mark.parametrize("r_objective", ["flowpp", "all-bins"])
def test_only_the_all_bins_objective_moves_r_in_a_bin_without_data(r_objective):
    trainer = Trainer(_unseen_bin_data(), TrainConfig(seed=0, r_objective=r_objective, eval_every=1000))
    assert trainer.train_counts[9] == 0 and trainer.train_counts.sum() == trainer.x_train.shape[0]
    before = trainer.dequantizer.embedding.weight[9].detach().clone()
    trainer.run(20)
    moved = not torch.equal(trainer.dequantizer.embedding.weight[9], before)
    assert moved == (r_objective == "all-bins")
    assert ("r_all_bins_bpd" in trainer.last_metrics) == (r_objective == "all-bins")


def test_catch_up_lowers_the_gap_and_leaves_q_alone():
    trainer = Trainer(_unseen_bin_data(), TrainConfig(seed=0, r_objective="flowpp", eval_every=1000))
    trainer.run(150)
    q_before = [p.detach().clone() for p in trainer.density.parameters()]
    before = trainer.evaluate_all_data()
    assert trainer.catch_up_noise(400, draws=1024) == 400 and trainer.catch_up_steps == 400
    after = trainer.evaluate_all_data()
    assert all(torch.equal(a, b) for a, b in zip(q_before, trainer.density.parameters()))
    assert after["exact_bpd"] == before["exact_bpd"]
    assert 0 <= after["gap_bpd"] < 0.7 * before["gap_bpd"]


def test_catch_up_never_leaves_r_worse_than_it_found_it():
    """A far too large rate wrecks r within a few steps; the catch-up keeps the best r it
    measured (by quadrature), here the one it started from."""
    trainer = Trainer(_unseen_bin_data(), TrainConfig(seed=0, eval_every=1000))
    trainer.run(150)
    before = trainer._mean_bin_gap()
    trainer.catch_up_noise(60, draws=1024, learning_rate=30.0)
    assert trainer.catch_up_steps > 0
    assert trainer._mean_bin_gap() <= before


@pytest.mark.parametrize("objective", ["iw", "renyi"])
def test_trainer_trains_on_every_objective(bimodal_small, objective):
    trainer = Trainer(bimodal_small, TrainConfig(seed=0, objective=objective, train_samples=4, eval_every=1000))
    before = trainer.evaluate()["val_bound_bpd"]
    trainer.run(150)
    after = trainer.evaluate()
    assert after["val_bound_bpd"] < before - 0.2 and after["gap_bpd"] >= 0
    assert trainer.train_samples == 4


@pytest.mark.parametrize("options,message", [
    ({"objective": "kl"}, "unknown objective"), ({"r_objective": "all"}, "unknown r objective"),
    ({"objective": "renyi", "alpha": 1.0}, "alpha"), ({"objective": "renyi", "alpha": 0.0}, "alpha"),
    ({"train_samples": 0}, "train_samples"),
])
def test_bad_objective_settings_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**options)


def test_default_train_samples():
    from vdq_gui.data.dataset import DiscreteData

    data = DiscreteData(torch.arange(10).numpy() % 5, 5, "1d")
    assert Trainer(data, TrainConfig(objective="elbo")).train_samples == 1
    assert Trainer(data, TrainConfig(objective="iw")).train_samples == 8
