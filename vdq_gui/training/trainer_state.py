"""A trainer's *full* state, to save and resume a run exactly (no Qt).

``Trainer.export_state``/``load_state`` hand a window's replica what it needs to draw;
this is everything that decides what the next steps do as well:

  * the parameters and buffers of q and r;
  * Adam's state: per parameter the moments ``exp_avg``, ``exp_avg_sq`` and the step
    counter (the learning rate is a scalar of the trainer);
  * every random-number state training draws from: the batch generator and the noise
    generator of the trainer (``_batch_generator``, ``_generator``).  Nothing else keeps
    one: the data split uses a fresh ``np.random.default_rng(seed)``, the initial weights
    a forked global RNG seeded by the seed, evaluation and the r catch-up generators
    seeded by (seed, step), so all of these follow from the configuration and step count;
  * the step counters, the seconds trained, the log rows and the train bounds of the
    steps since the last logged row (the next row is their mean).

Not kept: the divergence checkpoints (the trainer keeps a fresh one at the next
multiple of CHECKPOINT_EVERY steps).

A ``TrainerState`` is plain data: JSON-able scalars and named numpy arrays, so a session
file stores it as JSON plus safetensors and the training process sends it down its pipe.
``restore`` validates every name, dtype and shape against the trainer it restores into,
which was freshly built from the same configuration: a crafted state is refused with a
ValueError saying what is wrong, before anything is changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vdq_gui.training.history import LOG_COLUMNS

# Array names (the scalars are listed in SCALARS).
DENSITY, DEQUANTIZER, OPTIMIZER, RNG, LOG = "density/", "dequantizer/", "optimizer/", "rng/", "log/rows"
ADAM_FIELDS = ("exp_avg", "exp_avg_sq", "step")
GENERATORS = ("batch", "noise")  # Trainer._batch_generator, Trainer._generator
SCALARS = {"step_count": int, "catch_up_steps": int, "elapsed_s": float, "stopped_reason": (str, type(None)),
           "restored_step": (int, type(None)), "last_metrics": dict, "pending_bounds": list,
           "learning_rate": float, "batch_size": int}
MAX_LOG_ROWS = 10_000_000  # a row every 5 steps: 50 million steps


@dataclass
class TrainerState:
    """``scalars``: JSON-able values (SCALARS); ``arrays``: name -> numpy array."""

    scalars: dict
    arrays: dict


def _generators(trainer) -> dict:
    return {"batch": trainer._batch_generator, "noise": trainer._generator}


def export(trainer) -> TrainerState:
    """Copies of everything (the trainer may train on while the copy is written)."""
    arrays = {}
    for prefix, module in ((DENSITY, trainer.density), (DEQUANTIZER, trainer.dequantizer)):
        for name, value in module.state_dict().items():
            arrays[prefix + name] = value.detach().numpy().copy()
    adam = trainer.optimizer.state_dict()["state"]
    for index, state in adam.items():
        for key in ADAM_FIELDS:
            value = state[key].detach().numpy().copy()
            # The step counter is a 0-d tensor: kept as shape (1,), which every reader handles.
            arrays[f"{OPTIMIZER}{index}/{key}"] = value.reshape(1) if key == "step" else value
    for name, generator in _generators(trainer).items():
        arrays[RNG + name] = generator.get_state().numpy().copy()
    arrays[LOG] = trainer.log.rows_from(0)
    scalars = {"step_count": int(trainer.step_count), "catch_up_steps": int(trainer.catch_up_steps),
               "elapsed_s": float(trainer.elapsed_s), "stopped_reason": trainer.stopped_reason,
               "restored_step": trainer.restored_step,
               "last_metrics": {str(k): float(v) for k, v in trainer.last_metrics.items()},
               "pending_bounds": [float(v) for v in trainer._pending_bounds],
               "learning_rate": float(trainer.learning_rate), "batch_size": int(trainer.batch_size)}
    return TrainerState(scalars, arrays)


def restore(trainer, state: TrainerState) -> None:
    """Make ``trainer`` (freshly built from the same spec) continue from ``state``.

    Everything is checked first; ValueError names the first thing that does not fit."""
    scalars, arrays = _checked_scalars(state.scalars), state.arrays
    if not isinstance(arrays, dict):
        raise ValueError("the arrays are not a name -> array table")
    expected = _expected_arrays(trainer)
    adam = _adam_indices(arrays, len(trainer._params))
    for index in adam:
        shape = tuple(trainer._params[index].shape)
        expected.update({f"{OPTIMIZER}{index}/exp_avg": (np.float32, shape),
                         f"{OPTIMIZER}{index}/exp_avg_sq": (np.float32, shape),
                         f"{OPTIMIZER}{index}/step": (np.float32, (1,))})
    unknown = sorted(set(arrays) - set(expected) - {LOG})
    if unknown:
        raise ValueError(f"unexpected array {unknown[0]!r} (the model has no such state)")
    for name, (dtype, shape) in expected.items():
        if name not in arrays:
            raise ValueError(f"array {name!r} is missing")
        _check_array(name, arrays[name], dtype, shape)
    rows = _checked_log(arrays.get(LOG), scalars["step_count"])
    # All checked: now change the trainer.
    with torch.no_grad():
        for prefix, module in ((DENSITY, trainer.density), (DEQUANTIZER, trainer.dequantizer)):
            module.load_state_dict({name[len(prefix):]: torch.from_numpy(np.array(value))
                                    for name, value in arrays.items() if name.startswith(prefix)})
    optimizer_state = trainer.optimizer.state_dict()
    optimizer_state["state"] = {
        index: {"step": torch.tensor(float(arrays[f"{OPTIMIZER}{index}/step"][0])),
                "exp_avg": torch.from_numpy(np.array(arrays[f"{OPTIMIZER}{index}/exp_avg"])),
                "exp_avg_sq": torch.from_numpy(np.array(arrays[f"{OPTIMIZER}{index}/exp_avg_sq"]))}
        for index in adam}
    trainer.optimizer.load_state_dict(optimizer_state)
    for name, generator in _generators(trainer).items():
        generator.set_state(torch.from_numpy(np.array(arrays[RNG + name])))
    trainer.log.truncate(0)
    trainer.log.extend(rows)
    trainer.step_count, trainer.catch_up_steps = scalars["step_count"], scalars["catch_up_steps"]
    trainer.elapsed_s, trainer.stopped_reason = scalars["elapsed_s"], scalars["stopped_reason"]
    trainer.restored_step, trainer.last_metrics = scalars["restored_step"], dict(scalars["last_metrics"])
    trainer._pending_bounds = list(scalars["pending_bounds"])
    trainer._checkpoints = []
    trainer.learning_rate, trainer.batch_size = scalars["learning_rate"], scalars["batch_size"]


def _expected_arrays(trainer) -> dict:
    """name -> (dtype, shape) of every array a state of this trainer must hold."""
    expected = {}
    for prefix, module in ((DENSITY, trainer.density), (DEQUANTIZER, trainer.dequantizer)):
        for name, value in module.state_dict().items():
            expected[prefix + name] = (value.detach().numpy().dtype.type, tuple(value.shape))
    for name, generator in _generators(trainer).items():
        expected[RNG + name] = (np.uint8, tuple(generator.get_state().shape))
    return expected


def _adam_indices(arrays: dict, parameters: int) -> list[int]:
    """The parameter indices Adam has state for (none before the first step)."""
    indices = set()
    for name in arrays:
        if not (isinstance(name, str) and name.startswith(OPTIMIZER)):
            continue
        index, _, field = name[len(OPTIMIZER):].partition("/")
        if not index.isdigit() or int(index) >= parameters or field not in ADAM_FIELDS:
            raise ValueError(f"unexpected array {name!r} (the model has {parameters} parameter tensors)")
        indices.add(int(index))
    return sorted(indices)


def _check_array(name: str, value, dtype, shape: tuple) -> None:
    if not isinstance(value, np.ndarray):
        raise ValueError(f"array {name!r} is not an array")
    if value.dtype.type is not dtype:
        raise ValueError(f"array {name!r} has dtype {value.dtype}, the model needs {np.dtype(dtype)}")
    if tuple(value.shape) != shape:
        raise ValueError(f"array {name!r} has shape {tuple(value.shape)}, the model needs {shape}")
    if value.dtype.kind == "f" and name.startswith((DENSITY, DEQUANTIZER, OPTIMIZER)) \
            and not np.all(np.isfinite(value)):
        raise ValueError(f"array {name!r} holds NaN or infinite values")


def _checked_log(rows, steps: int) -> np.ndarray:
    if rows is None:
        raise ValueError(f"array {LOG!r} is missing")
    if not isinstance(rows, np.ndarray) or rows.dtype != np.float64 or rows.ndim != 2 \
            or rows.shape[0] != len(LOG_COLUMNS) or rows.shape[1] > MAX_LOG_ROWS:
        raise ValueError(f"array {LOG!r} must be float64 shaped ({len(LOG_COLUMNS)}, n)")
    step = rows[0]
    if not np.all(np.isfinite(step)) or np.any(np.diff(step) < 0) or (step.size and step[-1] > steps):
        raise ValueError(f"the log's steps must rise and end at or before step {steps}")
    return rows


def _checked_scalars(scalars) -> dict:
    if not isinstance(scalars, dict):
        raise ValueError("the trainer's scalars are not a table")
    unknown = sorted(set(scalars) - set(SCALARS))
    if unknown:
        raise ValueError(f"unexpected trainer field {unknown[0]!r}")
    out = {}
    for name, kind in SCALARS.items():
        if name not in scalars:
            raise ValueError(f"trainer field {name!r} is missing")
        value = scalars[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError(f"trainer field {name!r} has the wrong type ({type(value).__name__})")
        out[name] = value
    if out["step_count"] < 0 or out["catch_up_steps"] < 0 or out["batch_size"] < 1:
        raise ValueError("step counts must be at least 0 and the batch size at least 1")
    if not (math.isfinite(out["learning_rate"]) and out["learning_rate"] > 0):
        raise ValueError(f"learning rate {out['learning_rate']} is not a finite number above 0")
    if not math.isfinite(out["elapsed_s"]) or out["elapsed_s"] < 0:
        raise ValueError("the seconds trained must be a finite number of at least 0")
    if not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
               for k, v in out["last_metrics"].items()):
        raise ValueError("the last metrics must map names to numbers")
    if len(out["pending_bounds"]) > 10_000 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in out["pending_bounds"]):
        raise ValueError("the pending train bounds must be a short list of numbers")
    out["last_metrics"] = {k: float(v) for k, v in out["last_metrics"].items()}
    out["pending_bounds"] = [float(v) for v in out["pending_bounds"]]
    return out
