"""A trainer's full state: what it holds, exact resumption at any step (also between two
log rows), and a state that does not fit is refused without touching the trainer."""

import numpy as np
import pytest
import torch

from vdq_gui.training import trainer_state
from vdq_gui.training.trainer import TrainConfig, Trainer


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # bit-for-bit comparisons


def test_the_state_holds_model_adam_generators_and_log(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational"))
    before = trainer_state.export(trainer)
    assert not any(name.startswith("optimizer/") for name in before.arrays)  # Adam is lazy
    trainer.run(7)
    state = trainer_state.export(trainer)
    names = set(state.arrays)
    assert {"rng/batch", "rng/noise", "log/rows"} <= names
    assert any(n.startswith("density/") for n in names) and any(n.startswith("dequantizer/") for n in names)
    adam = [n for n in names if n.startswith("optimizer/")]
    assert len(adam) == 3 * len(trainer.parameters())
    assert state.arrays["optimizer/0/step"].tolist() == [7.0]
    assert state.scalars["step_count"] == 7 and len(state.scalars["pending_bounds"]) == 2  # steps 6 and 7


def test_resuming_between_two_log_rows_and_evaluations_is_exact(bimodal_small):
    config = TrainConfig(dequantizer="variational", seed=9, eval_every=10)
    straight = Trainer(bimodal_small, config)
    straight.run(33)
    first = Trainer(bimodal_small, config)
    first.run(17)  # neither a multiple of log_every (5) nor of eval_every
    resumed = Trainer(bimodal_small, config)
    resumed.restore_full_state(first.full_state())
    resumed.run(16)
    assert np.array_equal(straight.log.rows_from(0)[:6], resumed.log.rows_from(0)[:6], equal_nan=True)
    assert all(torch.equal(p, q) for p, q in zip(straight.parameters(), resumed.parameters()))
    assert straight.last_metrics == resumed.last_metrics


def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(bimodal_small):
    source = Trainer(bimodal_small, TrainConfig(dequantizer="variational", components=8))
    source.run(3)
    state = source.full_state()
    target = Trainer(bimodal_small, TrainConfig(dequantizer="variational", components=16))
    untouched = [p.detach().clone() for p in target.parameters()]
    with pytest.raises(ValueError, match="shape"):
        target.restore_full_state(state)
    assert target.step_count == 0 and len(target.log) == 0
    assert all(torch.equal(p, q) for p, q in zip(untouched, target.parameters()))
    other = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", components=8))
    with pytest.raises(ValueError, match="unexpected array"):
        other.restore_full_state(state)


@pytest.mark.parametrize("change, words", [
    (lambda s: s.arrays.update({"rng/batch": np.zeros(3, np.uint8)}), "rng/batch"),
    (lambda s: s.arrays.pop("rng/noise"), "missing"),
    (lambda s: s.arrays.update({"log/rows": np.full((7, 2), 100.0)}), "log's steps"),  # beyond step 6
    (lambda s: s.arrays.update({"log/rows": np.zeros((3, 2))}), "log/rows"),
    (lambda s: s.scalars.update(batch_size=True), "batch_size"),
    (lambda s: s.scalars.update(learning_rate=float("nan")), "learning rate"),
    (lambda s: s.scalars.update(last_metrics={"a": "b"}), "metrics"),
])
def test_each_field_is_checked(bimodal_small, change, words):
    source = Trainer(bimodal_small, TrainConfig(dequantizer="uniform"))
    source.run(6)
    state = source.full_state()
    change(state)
    with pytest.raises(ValueError, match=words):
        Trainer(bimodal_small, TrainConfig(dequantizer="uniform")).restore_full_state(state)
