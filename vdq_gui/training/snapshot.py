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
    # Which append-only log these columns are views of (vdq_gui.training.history): two
    # histories of one lineage agree on the rows both hold, so a shorter one can be
    # replaced by a prefix of the longer one (the timeline does, to free old buffers).
    lineage: object = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return int(self.step.shape[0])

    def prefix_of(self, longer: "History") -> "History":
        """These rows as views of ``longer`` (same lineage, at least as long)."""
        n = len(self)
        return History(*(getattr(longer, name)[:n] for name in HISTORY_COLUMNS), lineage=self.lineage)

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
      objective: the training objective, "elbo" | "iw" | "renyi" ("bound_bpd" is its value),
        with train_samples draws per example and alpha (renyi); iw_samples: the M of the
        periodic IW bound;
      metrics: latest scalar values, e.g. {"bound_bpd", "log_q_bpd", "neg_log_r_bpd",
        "val_bound_bpd", "iw_bound_bpd", "exact_bpd", "gap_bpd"} (keys present when known;
        the val_/iw_/exact/gap ones are from the last periodic evaluation, with
        "val_bound_se", "iw_bound_se", "exact_se", "gap_se" their standard errors over
        the examples).  1-D snapshots add figures of *this* state, in bits/dim, each with
        "..._se" beside it: "live_val_bound_bpd", "live_val_exact_bpd", "live_val_gap_bpd",
        "live_val_point_density_bpd" on the validation split and "all_bound_bpd",
        "all_exact_bpd", "all_gap_bpd", "all_point_density_bpd" on all the data, plus
        "all_iw{M}_bpd" (-IW-M on all the data, M in iw_ladder_samples).
        "point_density" is -log2 q(x) at the integer points: the continuous "likelihood"
        that `none` maximises (a density, so it can go far below the exact figure while
        the exact -log2 P(x) worsens).  For `none` the bound and gap keys are left out;
      history: the loss curves;
      data_pmf (K,): empirical probability mass of each level;
      train_counts, val_counts (K,): examples (for images: pixels) of each level in the
        training and validation splits; a bin with train_counts 0 gave r no data;
      history: the loss curves;
      u_grid (G,): noise positions in [0, 1) (bin midpoints of the u axis);
      noise_density (K, G): r(u | x) on u_grid, one row per bin x (for images: the
        density of u over all pixels whose value is x, a normalised histogram);
      gap_per_bin (K,) or None: KL(r(u|x) || q(u|x)) in bits for each bin (1-D only;
        NaN in bins that are not bounds).
    1-D only (None for images):
      y_grid (Gy,): positions over [0, K]; q_density (Gy,): q on y_grid, in level units;
      model_pmf (K,): exact P(x) of the model; posterior_density (K, G): q(u | x);
      bound_per_bin (K,): -E_r[log2 q(x+u) - log2 r(u|x)], the negative ELBO of each bin in
        bits (NaN for `none`); with -log2 model_pmf and iw_ladder_per_bin it is the ladder
        exact <= IW-M <= ELBO, all as bits to be minimised;
      iw_ladder_samples (L,): the M of each ladder row (1, 4, 16, 64);
      iw_ladder_per_bin (L, K): -IW-M in bits per bin, the expected IW-M bound computed
        from the quadrature nodes (vdq_gui.training.ladder; no draws, so it moves only
        when q or r do).  Both empty for `none`, and when the picture was taken without
        the ladder (``snapshot(..., ladder=False)``: the window does while its tab is hidden).
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
    bound_per_bin: np.ndarray | None = None
    iw_ladder_samples: np.ndarray | None = None
    iw_ladder_per_bin: np.ndarray | None = None
    train_counts: np.ndarray | None = None
    val_counts: np.ndarray | None = None
    objective: str = "elbo"
    # The M of the periodic IW bound ("iw_bound_bpd", the loss chart's IW curve) and of the
    # objective's draws per example, and Renyi's alpha (for the window's labels).
    iw_samples: int = 16
    train_samples: int = 1
    alpha: float = 0.5
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
