"""r starts as exactly U(0, 1): the lecture starts from uniform's gap (issue 11, item 2)."""

import pytest
import torch

from vdq_gui.data import load_data
from vdq_gui.training.trainer import TrainConfig, Trainer


@pytest.mark.parametrize("source", ["builtin:bimodal", "builtin:counts"])
def test_variational_gap_at_step_0_equals_uniforms(source):
    data = load_data(source)
    uniform = Trainer(data, TrainConfig(dequantizer="uniform", seed=3))
    uniform.run(300)  # an untrained q is smooth and every gap tiny: give q some shape first
    variational = Trainer(data, TrainConfig(dequantizer="variational", seed=3))
    variational.density.load_state_dict(uniform.density.state_dict())  # same q, only r differs
    uniform, variational = uniform.evaluate(), variational.evaluate()
    assert uniform["gap_bpd"] > 2e-4  # a gap worth comparing
    assert variational["gap_bpd"] == pytest.approx(uniform["gap_bpd"], abs=1e-4)
    assert variational["val_bound_bpd"] == pytest.approx(uniform["val_bound_bpd"], abs=1e-4)


def test_variational_noise_at_step_0_is_flat_in_every_bin():
    trainer = Trainer(load_data("builtin:bimodal"), TrainConfig(dequantizer="variational", seed=0))
    x = torch.arange(trainer.data.levels).repeat_interleave(200)
    with torch.no_grad():
        u, log_r = trainer.dequantizer(x, torch.Generator().manual_seed(0))
        assert log_r.abs().max().item() < 1e-5
        grid = torch.linspace(0.01, 0.99, 99)
        log_density = trainer.dequantizer.log_prob(grid.repeat(3), torch.tensor([0, 7, 31]).repeat_interleave(99))
    assert log_density.abs().max().item() < 1e-5
    # The draws are U(0, 1): the empirical CDF within a Kolmogorov-Smirnov band.
    sorted_u = u.sort().values
    ecdf = torch.arange(1, u.numel() + 1) / u.numel()
    assert (ecdf - sorted_u).abs().max().item() < 1.63 / u.numel() ** 0.5


def test_image_noise_at_step_0_is_uniform(tiny_images):
    trainer = Trainer(tiny_images, TrainConfig(dequantizer="variational", seed=0))
    x = trainer.x_train[:8]
    with torch.no_grad():
        u, log_r = trainer.dequantizer(x, torch.Generator().manual_seed(1))
    assert log_r.abs().max().item() < 1e-4  # summed over the pixels of an image
    sorted_u = u.flatten().sort().values
    ecdf = torch.arange(1, u.numel() + 1) / u.numel()
    assert (ecdf - sorted_u).abs().max().item() < 1.63 / u.numel() ** 0.5
