"""The immutable, self-describing picture of one training state that every plot draws.

A snapshot holds plain numpy arrays (made read-only) and scalars; a panel needs nothing
else to draw it, so the same snapshot can be drawn live, kept, or compared in a test
with what ``vdq_gui.training.inspect`` computes for that state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The columns of the training log, in order.  All are in bits per dimension; NaN where a
# value was not computed at that step (validation and the IW bound are computed every
# ``eval_every`` steps; ``exact`` and ``gap`` exist only for 1-D data).
HISTORY_COLUMNS = ("step", "train_bound", "val_bound", "iw_bound", "exact", "gap")


@dataclass(frozen=True)
class History:
    """Loss curves: one entry per logged step, arrays of equal length."""

    step: np.ndarray
    train_bound: np.ndarray
    val_bound: np.ndarray
    iw_bound: np.ndarray
    exact: np.ndarray
    gap: np.ndarray

    def __len__(self) -> int:
        return int(self.step.shape[0])

    @classmethod
    def empty(cls) -> "History":
        return cls(*(_frozen(np.zeros(0)) for _ in HISTORY_COLUMNS))


@dataclass(frozen=True)
class Snapshot:
    """Everything the window shows for one state of the trainer.

    Common to 1-D and image data:
      step, elapsed_s: training steps done and seconds spent training;
      kind: "1d" or "images"; dequantizer: one of models.names.DEQUANTIZERS;
      is_bound: False for "none" (then log q(x) is not a bound on log P(x));
      levels, origin, value_step: K and the map level -> original value
        (origin + level * value_step) for axis labels;
      learning_rate, batch_size: the optimizer settings in force;
      metrics: latest scalar values, e.g. {"bound_bpd", "log_q_bpd", "neg_log_r_bpd",
        "val_bound_bpd", "iw_bound_bpd", "exact_bpd", "gap_bpd"} (keys present when known);
      history: the loss curves;
      data_pmf (K,): empirical probability mass of each level;
      u_grid (G,): noise positions in [0, 1) (bin midpoints of the u axis);
      noise_density (K, G): r(u | x) on u_grid, one row per bin x (for images: the
        density of u over all pixels whose value is x, a normalised histogram);
      gap_per_bin (K,) or None: KL(r(u|x) || q(u|x)) in bits for each bin (1-D only;
        NaN in bins that are not bounds).
    1-D only (None for images):
      y_grid (Gy,): positions over [0, K]; q_density (Gy,): q on y_grid, in level units;
      model_pmf (K,): exact P(x) of the model; posterior_density (K, G): q(u | x).
    Images only (None for 1-D): arrays (n, H, W) or (n, H, W, C) with values in [0, 1]:
      data_images, sample_images, dequantized_images ((x+u)/K).
    status: "" or a sentence the window must show (e.g. why training stopped).
    """

    step: int
    elapsed_s: float
    kind: str
    dequantizer: str
    is_bound: bool
    levels: int
    origin: float
    value_step: float
    learning_rate: float
    batch_size: int
    metrics: dict
    history: History
    data_pmf: np.ndarray
    u_grid: np.ndarray
    noise_density: np.ndarray
    gap_per_bin: np.ndarray | None = None
    y_grid: np.ndarray | None = None
    q_density: np.ndarray | None = None
    model_pmf: np.ndarray | None = None
    posterior_density: np.ndarray | None = None
    data_images: np.ndarray | None = None
    sample_images: np.ndarray | None = None
    dequantized_images: np.ndarray | None = None
    status: str = ""
    steps_per_s: float = float("nan")
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze every array so a panel can never scribble on what another reads.
        for name, value in list(self.__dict__.items()):
            if isinstance(value, np.ndarray):
                object.__setattr__(self, name, _frozen(value))

    def with_speed(self, steps_per_s: float) -> "Snapshot":
        """A copy that carries the worker's measured speed (arrays are shared, not copied)."""
        from dataclasses import replace

        return replace(self, steps_per_s=float(steps_per_s))


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only view (no copy when the array is already ours)."""
    view = array.view()
    view.setflags(write=False)
    return view
