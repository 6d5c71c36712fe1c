"""Divergence: a state counts as good only if its loss, gradients and evaluation are
finite; on a non-finite loss, gradient or evaluation the trainer goes back to the newest
such state it kept (parameters, optimizer state, step and log), and says so."""

import math

import numpy as np
import torch

from vdq_gui.training import trainer as trainer_module
from vdq_gui.training.inspect import snapshot
from vdq_gui.training.trainer import CHECKPOINT_EVERY, TrainConfig, Trainer


def _params(trainer):
    return [p.detach().clone() for p in trainer.parameters()]


def _poison_loss(monkeypatch, trainer):
    monkeypatch.setattr(trainer.density, "log_prob_terms",
                        lambda y: {"log_q": torch.full(y.shape[:1], float("nan"))})


def _all_arrays_finite(picture):
    for name, value in vars(picture).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and name != "gap_per_bin":
            assert np.isfinite(value).all(), name


def test_a_huge_learning_rate_goes_back_to_a_finite_state_and_smaller_one_trains_on(bimodal_small):
    # (q alone, a logistic mixture, survives even lr 1e8: the noise flow is what diverges)
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=0, learning_rate=100.0))
    trainer.run(20)
    assert trainer.stopped_reason and "went back to step 0" in trainer.stopped_reason
    assert trainer.restored_step == 0 == trainer.step_count
    evaluation = trainer.evaluate()
    assert all(math.isfinite(v) for v in evaluation.values())
    assert all(math.isfinite(v) for v in trainer.last_metrics.values())
    picture = snapshot(trainer)
    _all_arrays_finite(picture)
    assert picture.model_pmf.max() < 0.5  # not the P(x) = 1 of NaN parameters
    assert np.isfinite(picture.gap_per_bin).all()  # a bound with a gap, not "no bound"
    # The banner's advice works: a smaller learning rate and Play train on from there.
    trainer.learning_rate = 0.01
    trainer.run(2 * CHECKPOINT_EVERY + 10)
    assert trainer.stopped_reason is None and trainer.restored_step is None
    assert trainer.step_count == 2 * CHECKPOINT_EVERY + 10


def test_goes_back_to_the_newest_checkpoint_with_its_optimizer_state_and_log(bimodal_small, monkeypatch):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=1, eval_every=40))
    trainer.run(2 * CHECKPOINT_EVERY)
    at_checkpoint = _params(trainer)
    moments = {i: {k: v.clone() for k, v in s.items()} for i, s in trainer.optimizer.state_dict()["state"].items()}
    log_length = len(trainer.log)
    trainer.run(17)
    _poison_loss(monkeypatch, trainer)
    metrics = trainer.step()
    assert metrics["finite"] == 0.0
    assert trainer.step_count == trainer.restored_step == 2 * CHECKPOINT_EVERY
    assert f"non-finite loss (nan) at step {2 * CHECKPOINT_EVERY + 18}" in trainer.stopped_reason
    assert all(torch.equal(p, q) for p, q in zip(at_checkpoint, _params(trainer)))
    restored = trainer.optimizer.state_dict()["state"]
    assert all(torch.equal(restored[i][k], v) for i, s in moments.items() for k, v in s.items())
    assert len(trainer.log) == log_length and trainer.log.column("step")[-1] <= 2 * CHECKPOINT_EVERY
    monkeypatch.undo()
    trainer.run(5)  # and trains on from there
    assert trainer.step_count == 2 * CHECKPOINT_EVERY + 5 and trainer.stopped_reason is None


def test_a_non_finite_gradient_or_evaluation_is_a_divergence_too(bimodal_small, monkeypatch):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=0, eval_every=10))
    trainer.run(9)
    real_evaluate = trainer.evaluate
    calls = []

    def evaluate_nan_once(*args, **kwargs):
        out = real_evaluate(*args, **kwargs)
        calls.append(1)
        return {**out, "val_bound_bpd": float("nan")} if len(calls) == 1 else out

    monkeypatch.setattr(trainer, "evaluate", evaluate_nan_once)
    trainer.step()  # step 10 evaluates: NaN
    assert "non-finite evaluation at step 10" in trainer.stopped_reason
    assert trainer.step_count == 0 and len(calls) == 2  # the restored state was evaluated: finite
    monkeypatch.undo()
    real_backward = torch.Tensor.backward

    def nan_gradient(loss, *args, **kwargs):
        real_backward(loss, *args, **kwargs)
        for p in trainer.parameters():
            p.grad.fill_(float("nan"))

    monkeypatch.setattr(torch.Tensor, "backward", nan_gradient)
    trainer.step()
    assert "non-finite gradient at step 1" in trainer.stopped_reason


def test_says_so_when_no_finite_state_can_be_restored(bimodal_small, monkeypatch):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=0))
    trainer.run(3)
    monkeypatch.setattr(trainer, "evaluate", lambda *a, **k: {"val_bound_bpd": float("nan")})
    _poison_loss(monkeypatch, trainer)
    trainer.step()
    assert trainer.restored_step is None
    assert "none could be restored" in trainer.stopped_reason
    trainer.run(10)  # run() stops at once while the loss stays non-finite
    assert "none could be restored" in trainer.stopped_reason


def test_checkpoints_kept_are_the_first_and_the_newest(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="uniform", seed=0))
    trainer.run(5 * CHECKPOINT_EVERY + 1)
    steps = [c.step for c in trainer._checkpoints]
    assert steps == [0] + [CHECKPOINT_EVERY * k for k in range(5 - trainer_module.CHECKPOINTS_KEPT + 1, 6)]


def test_a_replica_follows_a_log_cut_back_by_a_divergence(bimodal_small, monkeypatch):
    config = TrainConfig(dequantizer="uniform", seed=0, eval_every=20)
    original, replica = Trainer(bimodal_small, config), Trainer(bimodal_small, config)
    original.run(CHECKPOINT_EVERY + 30)
    replica.load_state(original.export_state(0))
    sent = len(original.log)
    _poison_loss(monkeypatch, original)
    original.step()
    monkeypatch.undo()
    original.run(12)  # the log grows again before the next state is sent
    replica.load_state(original.export_state(sent))
    assert original.step_count == replica.step_count == CHECKPOINT_EVERY + 12
    for column in ("step", "train_bound", "val_bound"):
        np.testing.assert_array_equal(original.log.column(column), replica.log.column(column))
