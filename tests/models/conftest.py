import pytest
import torch


@pytest.fixture(autouse=True)
def seeded_torch():
    """Module initialisation draws from torch's global RNG: seed it so that each test
    builds the same model whatever ran before it."""
    state = torch.random.get_rng_state()
    torch.manual_seed(1234)
    yield
    torch.random.set_rng_state(state)
