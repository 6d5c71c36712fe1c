import threading

import numpy as np
import pytest
import torch

from vdq_gui.training.trainer import TrainConfig, Trainer


def _params(trainer):
    return [p.detach().clone() for p in trainer.parameters()]


@pytest.mark.parametrize("name", ["none", "uniform", "variational"])
def test_same_seed_same_run(bimodal_small, name):
    runs = []
    for _ in range(2):
        trainer = Trainer(bimodal_small, TrainConfig(dequantizer=name, seed=7, eval_every=10))
        trainer.run(25)
        runs.append((_params(trainer), trainer.evaluate(), np.array(trainer.log.column("train_bound"))))
    (params_a, eval_a, log_a), (params_b, eval_b, log_b) = runs
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b))
    assert eval_a == eval_b
    assert np.array_equal(log_a, log_b)


def test_different_seed_different_run(bimodal_small):
    a = Trainer(bimodal_small, TrainConfig(seed=1))
    b = Trainer(bimodal_small, TrainConfig(seed=2))
    a.run(5)
    b.run(5)
    assert not all(torch.equal(p, q) for p, q in zip(_params(a), _params(b)))


def test_trainers_built_at_once_in_threads_get_their_own_seeds_weights(bimodal_small):
    """Compare mode with the thread worker builds its runs in two threads at once; torch's
    initialisers share one global generator."""
    def weights(trainer):
        return torch.cat([p.detach().flatten() for p in trainer.parameters()])

    expected = {seed: weights(Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=seed)))
                for seed in (3, 4)}
    built = {3: [], 4: []}
    start = threading.Barrier(2)

    def build(seed):
        start.wait()
        for _ in range(6):
            built[seed].append(weights(Trainer(bimodal_small, TrainConfig(dequantizer="variational", seed=seed))))

    threads = [threading.Thread(target=build, args=(seed,)) for seed in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, runs in built.items():
        assert len(runs) == 6 and all(torch.equal(w, expected[seed]) for w in runs)


def test_evaluating_does_not_change_the_training_trajectory(bimodal_small):
    often = Trainer(bimodal_small, TrainConfig(seed=3, eval_every=2))
    rarely = Trainer(bimodal_small, TrainConfig(seed=3, eval_every=1000))
    often.run(12)
    rarely.run(12)
    assert all(torch.equal(p, q) for p, q in zip(_params(often), _params(rarely)))


@pytest.mark.parametrize("name", ["uniform", "variational"])
def test_training_improves_the_bound_and_stays_a_bound(bimodal_small, name):
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer=name, seed=0))
    before = trainer.evaluate()
    trainer.run(400)
    after = trainer.evaluate()
    assert after["val_bound_bpd"] < before["val_bound_bpd"] - 0.2
    assert after["gap_bpd"] >= 0.0
    assert after["val_bound_bpd"] >= after["exact_bpd"]


def test_learning_rate_and_batch_size_change_live(bimodal_small):
    trainer = Trainer(bimodal_small, TrainConfig(seed=0))
    trainer.run(3)
    state_before = trainer.optimizer.state_dict()["state"][0]["step"].item()
    trainer.learning_rate = 1e-4
    trainer.batch_size = 32
    trainer.step()
    assert all(group["lr"] == 1e-4 for group in trainer.optimizer.param_groups)
    assert trainer.optimizer.state_dict()["state"][0]["step"].item() == state_before + 1  # moments kept
    assert trainer.step_count == 4
    with pytest.raises(ValueError):
        trainer.learning_rate = 0.0
    with pytest.raises(ValueError):
        trainer.batch_size = 0


def test_image_training_runs_and_reports_terms(tiny_images):
    trainer = Trainer(tiny_images, TrainConfig(dequantizer="variational", seed=0, hidden=8, eval_every=5))
    trainer.run(10)
    metrics = trainer.last_metrics
    assert {"bound_bpd", "log_q_bpd", "log_r_bpd", "flow_bpd", "logit_bpd", "scale_bpd"} <= set(metrics)
    assert np.isfinite(metrics["val_bound_bpd"]) and np.isfinite(metrics["iw_bound_bpd"])
    assert "exact_bpd" not in metrics


def test_bad_config_is_refused(bimodal_small):
    with pytest.raises(ValueError, match="unknown dequantizer 'gaussian'"):
        Trainer(bimodal_small, TrainConfig(dequantizer="gaussian"))  # the registry is checked here
    with pytest.raises(ValueError):
        TrainConfig(val_fraction=1.0)
    for bad in ({"grad_clip": -1.0}, {"grad_clip": float("nan")}, {"grad_clip": float("inf")}, {"grad_clip": 0.0},
                {"learning_rate": float("inf")}, {"learning_rate": float("nan")}, {"learning_rate": -1e-3},
                {"seed": -1}, {"seed": 2**32}, {"iw_samples": 10**6}, {"val_fraction": float("nan")},
                {"batch_size": 0}, {"eval_every": 0}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)


def _assert_same_snapshot(a, b):
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, other, err_msg=name)
        elif name == "history":
            for column in ("step", "train_bound", "val_bound", "iw_bound", "exact", "gap"):
                np.testing.assert_array_equal(getattr(value, column), getattr(other, column), err_msg=column)
        elif name != "steps_per_s":
            assert value == other or (value != value and other != other), name


@pytest.mark.parametrize("data, name", [("bimodal_small", "variational"), ("bimodal_small", "uniform"),
                                        ("tiny_images", "variational")])
def test_a_replica_fed_exported_states_shows_the_same_snapshot(request, data, name):
    from vdq_gui.training.inspect import snapshot

    data = request.getfixturevalue(data)
    config = TrainConfig(dequantizer=name, seed=4, eval_every=5)
    original, replica = Trainer(data, config), Trainer(data, config)
    sent = 0
    for steps in (7, 1, 12):  # states sent now and then, each with the rows since the last
        original.run(steps)
        replica.load_state(original.export_state(sent))
        sent = len(original.log)
    original.learning_rate, original.batch_size = 0.0042, 9
    replica.load_state(original.export_state(sent))
    assert replica.learning_rate == 0.0042 and replica.batch_size == 9
    _assert_same_snapshot(snapshot(original), snapshot(replica))


def test_a_replica_refuses_log_rows_that_do_not_continue_its_log(bimodal_small):
    original, replica = Trainer(bimodal_small), Trainer(bimodal_small)
    original.run(20)
    replica.load_state(original.export_state(0))
    original.run(20)
    assert len(original.log) > len(replica.log) > 0
    with pytest.raises(ValueError, match="cannot continue"):
        replica.load_state(original.export_state(0))


def test_runs_that_differ_only_in_the_dequantizer_see_the_same_batches(bimodal_small):
    """Compare mode relies on it: noise draws must not shift the batch order."""
    import torch

    seen = {}
    for name in ("uniform", "variational"):
        trainer = Trainer(bimodal_small, TrainConfig(dequantizer=name, seed=5))
        batches = []
        original = trainer.x_train
        for _ in range(3):
            state = trainer._batch_generator.get_state()
            index = torch.randint(original.shape[0], (trainer.batch_size,), generator=trainer._batch_generator)
            trainer._batch_generator.set_state(state)
            batches.append(index)
            trainer.step()
        seen[name] = torch.stack(batches)
    assert torch.equal(seen["uniform"], seen["variational"])


def test_none_collapses_steadily_into_spikes(bimodal_small):
    # The continuous "likelihood" (log q at the integer points) improves steadily, with no
    # jump back up of the smoothed loss once spikes have formed (issue 11, item 8).
    trainer = Trainer(bimodal_small, TrainConfig(dequantizer="none", seed=0, eval_every=500))
    start = trainer.evaluate()
    losses = []
    for _ in range(1500):
        losses.append(trainer.step()["bound_bpd"])
    smooth = np.convolve(losses, np.ones(20) / 20, mode="valid")
    assert (smooth - np.minimum.accumulate(smooth)).max() < 0.3
    end = trainer.evaluate()
    assert end["point_density_bpd"] < start["point_density_bpd"] - 0.3
    assert end["point_density_bpd"] < end["exact_bpd"], "a density at points is not a probability"
