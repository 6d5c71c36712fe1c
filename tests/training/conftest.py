import numpy as np
import pytest
import torch

from vdq_gui.data.dataset import DiscreteData


@pytest.fixture
def bimodal_small():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(4, 0.8, 600), rng.normal(11, 1.5, 400)]).round().clip(0, 15)
    return DiscreteData(values.astype(int), 16, "1d", name="small-bimodal")


@pytest.fixture
def tiny_images():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 5, size=(60, 1, 4, 4))
    return DiscreteData(base, 5, "images", name="tiny-images")


@pytest.fixture
def one_torch_thread():
    """Bit-for-bit comparisons (save, resume, compare) need the same thread count on both sides."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
