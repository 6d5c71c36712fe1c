"""Image pictures thin their noise histogram while training runs and pictures are slow,
and are whole again when paused."""

from types import SimpleNamespace

import numpy as np
import pytest

from vdq_gui.app.worker_base import PictureBudget, picture

IMAGES = SimpleNamespace(data=SimpleNamespace(kind="images"))
ONE_D = SimpleNamespace(data=SimpleNamespace(kind="1d"))


def test_slow_pictures_halve_the_share_and_cheap_ones_restore_it():
    budget = PictureBudget()
    for _ in range(3):
        budget.record(IMAGES, 0.060, {})
    assert budget.fraction == 0.5
    assert budget.parts(IMAGES, running=True) == {"noise_fraction": 0.5}
    assert budget.parts(IMAGES, running=False) == {}  # paused: always the whole picture
    for _ in range(12):
        budget.record(IMAGES, 0.060, {"noise_fraction": budget.fraction})
    assert budget.fraction == PictureBudget.MIN_FRACTION  # never below the floor
    assert budget.reduced
    for _ in range(3 * 5):
        budget.record(IMAGES, 0.001, {})
    assert budget.fraction == 1.0 and not budget.reduced


def test_one_dimensional_pictures_are_never_thinned():
    budget = PictureBudget()
    for _ in range(10):
        budget.record(ONE_D, 1.0, {})
    assert budget.fraction == 1.0 and budget.parts(ONE_D, running=True) == {}


def test_a_thinned_picture_uses_fewer_pixels_of_the_same_images(tiny_image_trainer):
    from vdq_gui.training.inspect import histogram_images, snapshot

    full, thin = histogram_images(tiny_image_trainer), histogram_images(tiny_image_trainer, 0.25)
    assert len(thin) == max(4, len(full) // 4) and np.array_equal(thin.numpy(), full[:len(thin)].numpy())
    budget = PictureBudget()
    budget.fraction = 0.25
    shot = picture(snapshot, tiny_image_trainer, 1.0, budget=budget, running=True)
    assert budget.reduced and shot.noise_density.shape[0] == tiny_image_trainer.data.levels
    whole = picture(snapshot, tiny_image_trainer, 1.0, budget=budget, running=False)
    assert not budget.reduced
    np.testing.assert_array_equal(whole.noise_density, snapshot(tiny_image_trainer).noise_density)


@pytest.fixture
def tiny_image_trainer():
    from vdq_gui.data.dataset import DiscreteData
    from vdq_gui.training.trainer import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    values = rng.integers(0, 8, size=(64, 1, 4, 4))
    trainer = Trainer(DiscreteData(values, 8, "images", name="tiny"), TrainConfig(dequantizer="variational", hidden=8))
    trainer.run(2)
    return trainer


def test_both_workers_adapt_their_pictures(bimodal_spec):
    from tests.app import fakes
    from vdq_gui.app.process_worker import ProcessTrainingWorker
    from vdq_gui.app.worker import TrainingWorker

    for cls in (ProcessTrainingWorker, TrainingWorker):  # made, not started: no thread, no process
        worker = cls(bimodal_spec, build=fakes.build, inspect=fakes.inspect)
        assert isinstance(worker.budget, PictureBudget), cls


@pytest.fixture
def bimodal_spec():
    from vdq_gui.data.loaders import load_data
    from vdq_gui.training.loop import RunSpec

    return RunSpec.of(load_data("builtin:bimodal"))
